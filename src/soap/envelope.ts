/**
 * Any SOAP 1.1 envelope, read whole into element trees, and written: the messages of ThingSpace's registration
 * API (THINGSPACE.md §5), which the registration client receives and the simulator's fake UWS endpoint
 * receives. Callbacks do not come through here: parser.ts streams those, with roles and limits of their own.
 *
 *   Envelope / [Header / *] / Body / *      -> { header: XmlNode[], body: XmlNode[] }
 *
 * The same approach as parser.ts: saxes, elements by local name, xsi:nil elements taken as absent, a DOCTYPE
 * refused, size, depth and element count bounded. Failures are ParseErrors with parser.ts's codes.
 */
import { TextDecoder } from 'node:util';
import { SaxesParser } from 'saxes';
import { ParseError, type ParseErrorCode } from '../message/errors';
import type { XmlNode } from './types';
import { escapeXml, isNil, isXmlWhitespace, localName, nodeAttributes, quote, saxesDetail } from './xml';

const SOAP_ENVELOPE_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP_CONTENT_TYPE = 'text/xml; charset=utf-8';

export interface SoapEnvelope {
  header: readonly XmlNode[];
  body: readonly XmlNode[];
}

export interface EnvelopeLimits {
  maxBytes: number;
  /** Levels of element nesting; the Envelope is level 1. */
  maxDepth: number;
  maxElements: number;
}

/** Registration messages are a few kilobytes; a list of eleven registrations is the largest. */
const DEFAULT_ENVELOPE_LIMITS: Readonly<EnvelopeLimits> = Object.freeze({
  maxBytes: 1024 * 1024,
  maxDepth: 32,
  maxElements: 10_000,
});

interface OpenElement {
  node: { name: string; attributes: Readonly<Record<string, string>>; text: string; children: XmlNode[] };
  /** Text without the whitespace between children, used once the element turns out to have children. */
  ownText: string;
  /** Skipped: the Envelope itself, or a nil element and everything below it. */
  skipped: boolean;
}

const DECODER = new TextDecoder('utf-8', { fatal: true });

/** Reads a whole envelope; throws ParseError. */
export function readEnvelope(
  source: string | Uint8Array,
  limits: Readonly<EnvelopeLimits> = DEFAULT_ENVELOPE_LIMITS,
): SoapEnvelope {
  const text = envelopeText(source, limits.maxBytes);
  const sax = new SaxesParser();
  const fail = (code: ParseErrorCode, message: string, cause?: unknown) =>
    new ParseError(code, message, { position: { line: sax.line, column: sax.column }, cause });
  const header: XmlNode[] = [];
  const body: XmlNode[] = [];
  // The open elements below Header or Body; `section` says which list their top-level elements go to.
  const open: OpenElement[] = [];
  let section: XmlNode[] | undefined;
  let depth = 0;
  let elements = 0;
  let sawBody = false;

  sax.on('doctype', () => {
    throw fail('DOCTYPE_FORBIDDEN', 'a DOCTYPE is not accepted');
  });
  sax.on('opentag', (tag) => {
    depth += 1;
    if (depth > limits.maxDepth) {
      throw fail('TOO_DEEP', `elements are nested deeper than ${limits.maxDepth} levels`);
    }
    if (++elements > limits.maxElements) {
      throw fail('TOO_MANY_ELEMENTS', `the message has more than ${limits.maxElements} elements`);
    }
    const name = localName(tag.name);
    if (depth === 1) {
      if (name !== 'Envelope') {
        throw fail('NOT_SOAP_ENVELOPE', `the document element is ${quote(name)}, not a SOAP Envelope`);
      }
      return;
    }
    if (depth === 2) {
      section = name === 'Body' ? body : name === 'Header' ? header : undefined;
      sawBody ||= name === 'Body';
      return;
    }
    const parent = open.at(-1);
    const skipped = section === undefined || parent?.skipped === true || isNil(tag.attributes);
    open.push({
      node: { name, attributes: nodeAttributes(tag.attributes), text: '', children: [] },
      ownText: '',
      skipped,
    });
  });
  const onText = (chunk: string) => {
    const current = open.at(-1);
    if (current === undefined || current.skipped) return;
    current.node.text += chunk;
    if (!isXmlWhitespace(chunk)) current.ownText += chunk;
  };
  sax.on('text', onText);
  sax.on('cdata', onText);
  sax.on('closetag', () => {
    depth -= 1;
    if (depth < 2) return;
    const closed = open.pop()!;
    if (closed.skipped) return;
    const { node } = closed;
    if (node.children.length > 0) node.text = closed.ownText;
    const parent = open.at(-1);
    if (parent === undefined) section?.push(node);
    else parent.node.children.push(node);
  });

  try {
    sax.write(text).close();
  } catch (err) {
    if (err instanceof ParseError) throw err;
    const detail = err instanceof Error ? saxesDetail(err.message) : 'unexpected failure';
    throw fail('MALFORMED_XML', `malformed XML: ${detail}`, err);
  }
  if (!sawBody) throw new ParseError('NOT_SOAP_ENVELOPE', 'the SOAP Envelope has no Body');
  return { header, body };
}

/** The message as text, within the size limit and not empty; throws ParseError. */
function envelopeText(source: string | Uint8Array, maxBytes: number): string {
  const bytes = typeof source === 'string' ? Buffer.byteLength(source) : source.byteLength;
  if (bytes > maxBytes)
    throw new ParseError('BODY_TOO_LARGE', `the message is longer than ${maxBytes} bytes`);
  const text = typeof source === 'string' ? source : decode(source);
  if (text.trim() === '') throw new ParseError('EMPTY_BODY', 'the message is empty');
  return text;
}

function decode(bytes: Uint8Array): string {
  try {
    return DECODER.decode(bytes);
  } catch (cause) {
    throw new ParseError('INVALID_UTF8', 'the message is not valid UTF-8', { cause });
  }
}

/** The first child with this local name. */
export function childNamed(node: XmlNode, name: string): XmlNode | undefined {
  return node.children.find((child) => child.name === name);
}

/** The trimmed text of the first child with this local name; undefined when there is none. */
export function childText(node: XmlNode, name: string): string | undefined {
  return childNamed(node, name)?.text.trim();
}

/** A SOAP 1.1 Fault as it came: the code without its prefix, the text, the detail flattened to text. */
export interface SoapFault {
  faultCode: string;
  faultString: string;
  detail?: string;
}

/** The Fault a Body holds, or undefined when it holds none. */
export function faultOf(envelope: SoapEnvelope): SoapFault | undefined {
  const fault = envelope.body.find((node) => node.name === 'Fault');
  if (fault === undefined) return undefined;
  const detail = childNamed(fault, 'detail');
  const detailText = detail === undefined ? '' : allText(detail).trim();
  return {
    faultCode: localName(childText(fault, 'faultcode') ?? ''),
    faultString: childText(fault, 'faultstring') ?? '',
    ...(detailText === '' ? {} : { detail: detailText }),
  };
}

function allText(node: XmlNode): string {
  return [node.text, ...node.children.map(allText)].filter((text) => text.trim() !== '').join(' ');
}

/** `<name>text</name>`, the text escaped. */
export function textElement(name: string, text: string): string {
  return `<${name}>${escapeXml(text)}</${name}>`;
}

/** A SOAP 1.1 envelope around body content (and header content when given), with the XML declaration. */
export function writeEnvelope(body: string, header = ''): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${SOAP_ENVELOPE_NS}">` +
    `${header === '' ? '' : `<s:Header>${header}</s:Header>`}<s:Body>${body}</s:Body></s:Envelope>`
  );
}

/** A SOAP 1.1 Fault envelope. */
export function writeFault(faultCode: 'Client' | 'Server', faultString: string): string {
  return writeEnvelope(
    `<s:Fault><faultcode>s:${faultCode}</faultcode>${textElement('faultstring', faultString)}</s:Fault>`,
  );
}
