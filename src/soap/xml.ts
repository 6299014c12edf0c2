/**
 * Small XML helpers shared by the readers built on saxes (the callback parser, the envelope reader) and the
 * writers of SOAP messages. Names are matched by local name throughout: namespaces are not significant in
 * ThingSpace's messages (THINGSPACE.md §2).
 */

export const EMPTY_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze(
  Object.create(null) as Record<string, string>,
);

const SAXES_POSITION = /^\d+:\d+: /;
/** Longest element name quoted in an error message. */
const MAX_QUOTED = 80;

export function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon === -1 ? qname : qname.slice(colon + 1);
}

/** `xsi:nil` by local name: any prefixed attribute named nil (the xsi prefix is conventional, not fixed). */
export function isNil(attributes: Readonly<Record<string, string>>): boolean {
  for (const qname in attributes) {
    if (qname.endsWith(':nil')) {
      const value = attributes[qname]?.trim();
      return value === 'true' || value === '1';
    }
  }
  return false;
}

/** Attributes by local name, without namespace declarations and xsi:nil (XmlNode's contract). */
export function nodeAttributes(
  attributes: Readonly<Record<string, string>>,
): Readonly<Record<string, string>> {
  let kept: Record<string, string> | undefined;
  for (const qname in attributes) {
    const value = attributes[qname];
    if (value === undefined || qname === 'xmlns' || qname.startsWith('xmlns:') || qname.endsWith(':nil')) {
      continue;
    }
    // No prototype: an attribute may be called __proto__.
    kept ??= Object.create(null) as Record<string, string>;
    kept[localName(qname)] = value;
  }
  return kept ?? EMPTY_ATTRIBUTES;
}

export function isXmlWhitespace(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

/**
 * What saxes says went wrong, without its "line:column: " prefix (we give the position our own way) and without
 * the name it may quote after another ": ": in a broken message that name can be body text, even a password.
 */
export function saxesDetail(message: string): string {
  const what = message.replace(SAXES_POSITION, '');
  const name = what.indexOf(': ');
  return name === -1 ? what : what.slice(0, name);
}

/** An element name for an error message: JSON-quoted, cut short. */
export function quote(text: string): string {
  return JSON.stringify(text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}...` : text);
}

const XML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Text or attribute content, escaped for any position in an XML document. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}
