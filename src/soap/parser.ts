/**
 * The streaming SOAP parser: request bytes in, ParsedCallback out, in one pass.
 *
 * Accepts (THINGSPACE.md §2), matching every element by its local name:
 *
 *   Envelope / [Header: ignored] / Body / CallbackRequest
 *     Username, Password, RequestId, Device{Kind,Identifier}*, Data{payload children}, anything else -> extra
 *     Data/Status: also the message's status
 *   Envelope / [Header: ignored] / Body / SmsCallbackRequest
 *     Username, Password, Device{Kind,Identifier}*, SmsMessage, anything else -> extra
 *   CallbackCount, MaxCallbackThreshold: read wherever they are (their place is unknown).
 *
 * Bytes go through a fatal streaming UTF-8 decoder (src/message/body.ts) into saxes as they arrive; the only trees built are those of
 * the payload and extra elements, and every limit is checked while reading, so a hostile body costs at most
 * maxBodyBytes of reading. saxes knows only the five predefined entities and never expands a DTD; we reject a
 * DOCTYPE outright anyway.
 */
import { SaxesParser } from 'saxes';
import type { SaxesTagPlain } from 'saxes';
import { Secret } from '../util/secret';
import { readBodyText, type CallbackBody } from '../message/body';
import { parseCount } from '../message/counts';
import { ParseError, type ParseErrorCode } from '../message/errors';
import { holdsSecret, isCredentialName } from '../message/credentials';
import { resolveLimits, type ParserLimits } from '../message/limits';
import type { CallbackRoot, ParsedCallback, PayloadNode, RawDevice } from '../message/types';
import type { XmlNode } from './types';
import {
  EMPTY_ATTRIBUTES,
  escapeXml,
  isNil,
  isXmlWhitespace,
  localName,
  nodeAttributes,
  quote,
  saxesDetail,
} from './xml';

// src/config reads the default body limit from here; it moves to src/message/limits.ts with the REST branches.

/** What an open element is to us, decided once, at its open tag, from its parent's role and its local name. */
enum Role {
  Document,
  Envelope,
  Body,
  CallbackRoot,
  SmsRoot,
  Username,
  Password,
  RequestId,
  Device,
  DeviceKind,
  DeviceIdentifier,
  Data,
  SmsMessage,
  /** A direct child of Data. */
  Payload,
  /** An unknown direct child of the root. */
  Extra,
  /** Any element below a Payload or Extra. */
  Node,
  /** Header content, unknown Envelope and Device children, whatever sits below a field or a nil element. */
  Ignored,
  /** Not roles but verdicts: a document element other than Envelope, a Body child other than the roots. */
  NotEnvelope,
  UnknownRoot,
}

interface ChildRoles {
  named: ReadonlyMap<string, Role>;
  other: Role;
}

function children(other: Role, ...named: (readonly [string, Role])[]): ChildRoles {
  return { named: new Map(named), other };
}

const CREDENTIALS = [
  ['Username', Role.Username],
  ['Password', Role.Password],
] as const;
// Read wherever they appear (below); as direct children of the root or of Data they are delivery metadata, not
// payload, so a re-sent callback (CallbackCount + 1) keeps the same payload (THINGSPACE.md §2, §3).
const METADATA = [
  ['CallbackCount', Role.Ignored],
  ['MaxCallbackThreshold', Role.Ignored],
] as const;
const LEAF = children(Role.Ignored);
const TREE = children(Role.Node);

/** The handler table: the role of each child, by parent role and local name. */
const CHILD_ROLES: Readonly<Record<Role, ChildRoles>> = {
  [Role.Document]: children(Role.NotEnvelope, ['Envelope', Role.Envelope]),
  // Header content is skipped: THINGSPACE.md documents none for callbacks, so mustUnderstand is not honoured.
  [Role.Envelope]: children(Role.Ignored, ['Body', Role.Body]),
  [Role.Body]: children(
    Role.UnknownRoot,
    ['CallbackRequest', Role.CallbackRoot],
    ['SmsCallbackRequest', Role.SmsRoot],
  ),
  [Role.CallbackRoot]: children(
    Role.Extra,
    ...CREDENTIALS,
    ...METADATA,
    ['RequestId', Role.RequestId],
    ['Device', Role.Device],
    ['Data', Role.Data],
  ),
  [Role.SmsRoot]: children(
    Role.Extra,
    ...CREDENTIALS,
    ...METADATA,
    ['Device', Role.Device],
    ['SmsMessage', Role.SmsMessage],
  ),
  [Role.Device]: children(Role.Ignored, ['Kind', Role.DeviceKind], ['Identifier', Role.DeviceIdentifier]),
  [Role.Data]: children(Role.Payload, ...METADATA),
  [Role.Payload]: TREE,
  [Role.Extra]: TREE,
  [Role.Node]: TREE,
  [Role.Username]: LEAF,
  [Role.Password]: LEAF,
  [Role.RequestId]: LEAF,
  [Role.DeviceKind]: LEAF,
  [Role.DeviceIdentifier]: LEAF,
  [Role.SmsMessage]: LEAF,
  [Role.Ignored]: LEAF,
  [Role.NotEnvelope]: LEAF,
  [Role.UnknownRoot]: LEAF,
};

/** Roles whose element may be `xsi:nil="true"`, which makes it absent (THINGSPACE.md §2). */
const NILLABLE = new Set([
  Role.Username,
  Role.Password,
  Role.RequestId,
  Role.Device,
  Role.DeviceKind,
  Role.DeviceIdentifier,
  Role.Data,
  Role.SmsMessage,
  Role.Payload,
  Role.Extra,
  Role.Node,
]);
const TREE_ROLES = new Set([Role.Payload, Role.Extra, Role.Node]);
const TEXT_ROLES = new Set([
  Role.Username,
  Role.Password,
  Role.RequestId,
  Role.DeviceKind,
  Role.DeviceIdentifier,
  Role.SmsMessage,
  ...TREE_ROLES,
]);

const COUNTER_FIELDS = {
  CallbackCount: 'callbackCount',
  MaxCallbackThreshold: 'maxCallbackThreshold',
} as const;
type Counter = (typeof COUNTER_FIELDS)[keyof typeof COUNTER_FIELDS];
const COUNTERS: ReadonlyMap<string, Counter> = new Map(Object.entries(COUNTER_FIELDS));

/**
 * Elements emptied wherever they appear: in the redacted message (a SOAP header may carry a UsernameToken), the
 * payload trees and their fragments. `Username`, as ever here, and every credential's name (../message/credentials).
 * The root's Password is still read for authentication: only what leaves the bridge loses it.
 */
function isRedacted(name: string): boolean {
  return name === 'Username' || isCredentialName(name);
}

interface MutableNode {
  name: string;
  attributes: Readonly<Record<string, string>>;
  text: string;
  children: XmlNode[];
}

type MutablePayloadNode = MutableNode & { raw: string };

/** A stretch of the source, [from, to), found while streaming and cut out or replaced once the source is whole. */
interface Span {
  from: number;
  to: number;
}

/** A payload or extra element waiting for its `raw` fragment. */
interface Fragment extends Span {
  element: MutablePayloadNode;
}

/** What replaces a span that held a credential: an empty element, or an open tag with credential attributes emptied. */
interface Redaction extends Span {
  text: string;
}

/** One open element. Frames are reused by depth, so a parse allocates at most maxDepth of them. */
class Frame {
  role = Role.Ignored;
  counter: Counter | undefined;
  keepsText = false;
  text = '';
  /** A tree node's text without the whitespace-only stretches between its children. */
  ownText = '';
  textBytes = 0;
  node: MutableNode | MutablePayloadNode | undefined;
  openEnd = 0;
  qname = '';
  redact = false;
}

class CallbackReader {
  readonly #limits: Readonly<ParserLimits>;
  readonly #sax = new SaxesParser();
  readonly #frames: Frame[] = [];
  #depth = 0;
  #elements = 0;
  #attributes = 0;
  /** UTF-16 code units of source since the last `<` or `>`. */
  #markupless = 0;
  #source = '';
  #redacting = false;
  #sawBody = false;
  #root: CallbackRoot | undefined;
  #username: string | undefined;
  #password: string | undefined;
  #requestId: string | undefined;
  #smsMessage: string | undefined;
  #status: string | undefined;
  #callbackCount: number | undefined;
  #maxCallbackThreshold: number | undefined;
  #deviceKind: string | undefined;
  #deviceIdentifier: string | undefined;
  readonly #devices: RawDevice[] = [];
  readonly #payload: PayloadNode[] = [];
  readonly #extra: PayloadNode[] = [];
  readonly #fragments: Fragment[] = [];
  /** In source order, none inside another: nothing is redacted within an element already cut out. */
  readonly #redactions: Redaction[] = [];

  /** A value (trimmed) emptied wherever it is, whatever its name: a copy of the message's own password. */
  readonly #secret: string | undefined;

  constructor(limits: Readonly<ParserLimits>, secret?: string) {
    this.#limits = limits;
    this.#secret = secret;
    const sax = this.#sax;
    sax.on('attribute', () => this.#attribute());
    sax.on('opentag', (tag) => this.#open(tag));
    sax.on('text', (text) => this.#text(text));
    sax.on('cdata', (text) => this.#text(text));
    sax.on('closetag', () => this.#close());
    sax.on('doctype', () => {
      throw this.#error('DOCTYPE_FORBIDDEN', 'a DOCTYPE is not accepted');
    });
  }

  finish(): ParsedCallback {
    if (this.#elements === 0 && this.#source.trim() === '') {
      throw new ParseError('EMPTY_BODY', 'the body is empty');
    }
    this.#saxDo(() => this.#sax.close());
    if (!this.#sawBody) throw new ParseError('NOT_SOAP_ENVELOPE', 'the SOAP Envelope has no Body');
    if (this.#root === undefined) {
      throw new ParseError('UNKNOWN_ROOT', 'the SOAP Body holds no CallbackRequest or SmsCallbackRequest');
    }
    const source = this.#source;
    const redactions = this.#redactions;
    for (const fragment of this.#fragments) fragment.element.raw = redact(source, fragment, redactions);
    return {
      format: 'soap',
      root: this.#root,
      username: this.#username ?? '',
      password: new Secret(this.#password ?? ''),
      requestId: this.#requestId || undefined,
      devices: this.#devices,
      payload: this.#payload,
      smsMessage: this.#smsMessage,
      callbackCount: this.#callbackCount,
      maxCallbackThreshold: this.#maxCallbackThreshold,
      status: this.#status,
      extra: this.#extra,
      redacted: redact(source, { from: 0, to: source.length }, redactions),
    };
  }

  write(text: string): void {
    if (text.length === 0) return;
    this.#source += text;
    this.#saxDo(() => this.#sax.write(text));
    // saxes hands on text only when the next tag starts: this catches a huge value while it is still arriving.
    const lt = text.lastIndexOf('<');
    const gt = text.lastIndexOf('>');
    const markup = lt > gt ? lt : gt;
    this.#markupless = markup < 0 ? this.#markupless + text.length : text.length - markup - 1;
    if (this.#markupless > this.#limits.maxTextBytes) {
      throw this.#error('TEXT_TOO_LONG', `more than ${this.#limits.maxTextBytes} characters without markup`);
    }
  }

  /** Runs saxes; its well-formedness errors (plain Errors) become ParseErrors, ours pass through. */
  #saxDo(step: () => void): void {
    try {
      step();
    } catch (err) {
      if (err instanceof ParseError) throw err;
      const detail = err instanceof Error ? saxesDetail(err.message) : 'unexpected failure';
      // saxes rejects a DOCTYPE after the prolog itself, before our doctype handler could.
      const code = detail.startsWith('inappropriately located doctype')
        ? 'DOCTYPE_FORBIDDEN'
        : 'MALFORMED_XML';
      throw this.#error(code, `malformed XML: ${detail}`, err);
    }
  }

  #error(code: ParseErrorCode, message: string, cause?: unknown): ParseError {
    return new ParseError(code, message, {
      position: { line: this.#sax.line, column: this.#sax.column },
      cause,
    });
  }

  #attribute(): void {
    if (++this.#attributes > this.#limits.maxAttributes) {
      throw this.#error(
        'TOO_MANY_ATTRIBUTES',
        `an element has more than ${this.#limits.maxAttributes} attributes`,
      );
    }
  }

  #open(tag: SaxesTagPlain): void {
    // Counted by #attribute as they were read: most elements have none, and then need no look at them.
    const hasAttributes = this.#attributes > 0;
    this.#attributes = 0;
    const depth = ++this.#depth;
    if (depth > this.#limits.maxDepth) {
      throw this.#error('TOO_DEEP', `elements are nested deeper than ${this.#limits.maxDepth} levels`);
    }
    if (++this.#elements > this.#limits.maxElements) {
      throw this.#error(
        'TOO_MANY_ELEMENTS',
        `the message has more than ${this.#limits.maxElements} elements`,
      );
    }
    const { name: qname } = tag;
    const attributes = hasAttributes ? tag.attributes : EMPTY_ATTRIBUTES;
    const name = localName(qname);
    const parentRole = depth === 1 ? Role.Document : this.#frame(depth - 1).role;
    const table = CHILD_ROLES[parentRole];
    let role = table.named.get(name) ?? table.other;
    let counter = COUNTERS.get(name);
    if (hasAttributes && NILLABLE.has(role) && isNil(attributes)) {
      role = Role.Ignored;
      counter = undefined;
    }
    switch (role) {
      case Role.NotEnvelope:
        throw this.#error('NOT_SOAP_ENVELOPE', `the document element is ${quote(name)}, not a SOAP Envelope`);
      case Role.UnknownRoot:
        throw this.#error('UNKNOWN_ROOT', `the SOAP Body holds ${quote(name)}, not a ThingSpace callback`);
      case Role.Body:
        this.#sawBody = true;
        break;
      case Role.CallbackRoot:
      case Role.SmsRoot:
        if (this.#root !== undefined) {
          throw this.#error('UNKNOWN_ROOT', 'the SOAP Body holds more than one message');
        }
        this.#root = name as CallbackRoot;
        break;
      case Role.Device:
        this.#deviceKind = this.#deviceIdentifier = undefined;
        break;
    }
    const frame = (this.#frames[depth - 1] ??= new Frame());
    frame.role = role;
    frame.counter = counter;
    frame.keepsText = counter !== undefined || TEXT_ROLES.has(role);
    frame.text = frame.ownText = '';
    frame.textBytes = 0;
    frame.openEnd = this.#sax.position;
    frame.qname = qname;
    frame.redact = !this.#redacting && isRedacted(name);
    if (frame.redact) this.#redacting = true;
    const secretAttributes = hasAttributes && !this.#redacting && this.#hasSecretAttribute(attributes);
    if (secretAttributes) this.#redactOpenTag(tag, frame.openEnd);
    if (!TREE_ROLES.has(role)) {
      frame.node = undefined;
    } else {
      const kept = secretAttributes
        ? this.#withoutSecrets(nodeAttributes(attributes))
        : nodeAttributes(attributes);
      frame.node = { name, attributes: kept, text: '', children: [] };
      if (role !== Role.Node) (frame.node as MutablePayloadNode).raw = '';
    }
  }

  /** The open tag as written but with credential attributes' values emptied, in the redacted text and fragments. */
  #redactOpenTag(tag: SaxesTagPlain, openEnd: number): void {
    let text = `<${tag.name}`;
    for (const qname in tag.attributes) {
      const value = tag.attributes[qname]!;
      text += ` ${qname}="${this.#isSecret(localName(qname), value) ? '' : escapeXml(value)}"`;
    }
    text += tag.isSelfClosing ? '/>' : '>';
    this.#redactions.push({ from: this.#source.lastIndexOf('<', openEnd - 1), to: openEnd, text });
  }

  /** A credential's name, or (on a second reading) a copy of the secret whatever its name. */
  #isSecret(name: string, value: string): boolean {
    return isCredentialName(name) || (this.#secret !== undefined && value.trim() === this.#secret);
  }

  #hasSecretAttribute(attributes: Readonly<Record<string, string>>): boolean {
    for (const qname in attributes) if (this.#isSecret(localName(qname), attributes[qname]!)) return true;
    return false;
  }

  #withoutSecrets(attributes: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
    const kept = Object.assign(Object.create(null) as Record<string, string>, attributes);
    for (const name in kept) if (this.#isSecret(name, kept[name]!)) kept[name] = '';
    return kept;
  }

  /** Redactions stay in source order, none inside another: an element's replaces those it contains. */
  #redact(redaction: Redaction): void {
    const redactions = this.#redactions;
    while (redactions.length > 0 && redactions[redactions.length - 1]!.from >= redaction.from)
      redactions.pop();
    redactions.push(redaction);
  }

  /** The source read so far: all of it once finished. */
  get source(): string {
    return this.#source;
  }

  #text(text: string): void {
    // Outside the Envelope saxes lets through only whitespace.
    if (this.#depth === 0) return;
    const frame = this.#frame(this.#depth);
    frame.textBytes += Buffer.byteLength(text, 'utf8');
    if (frame.textBytes > this.#limits.maxTextBytes) {
      throw this.#error(
        'TEXT_TOO_LONG',
        `the text of ${quote(localName(frame.qname))} is longer than ${this.#limits.maxTextBytes} bytes`,
      );
    }
    if (!frame.keepsText) return;
    frame.text += text;
    if (frame.node && !isXmlWhitespace(text)) frame.ownText += text;
  }

  #close(): void {
    const depth = this.#depth--;
    const frame = this.#frame(depth);
    const { node } = frame;
    if (node) {
      node.text = node.children.length === 0 ? frame.text : frame.ownText;
      // A copy of the secret under another name is cut out as a credential is.
      if (!this.#redacting && this.#secret !== undefined && node.text.trim() === this.#secret)
        frame.redact = true;
      // As the redacted text has it: `<Password/>`.
      if (frame.redact) Object.assign(node, { attributes: EMPTY_ATTRIBUTES, text: '', children: [] });
    }
    switch (frame.role) {
      case Role.Username:
        this.#username ??= frame.text;
        break;
      case Role.Password:
        this.#password ??= frame.text;
        break;
      case Role.RequestId:
        this.#requestId ??= frame.text.trim();
        break;
      case Role.SmsMessage:
        this.#smsMessage ??= frame.text;
        break;
      case Role.DeviceKind:
        this.#deviceKind ??= frame.text.trim();
        break;
      case Role.DeviceIdentifier:
        this.#deviceIdentifier ??= frame.text.trim();
        break;
      case Role.Device:
        if (this.#deviceKind || this.#deviceIdentifier) {
          this.#devices.push({ kind: this.#deviceKind ?? '', identifier: this.#deviceIdentifier ?? '' });
        }
        break;
      case Role.Payload:
      case Role.Extra: {
        const element = node as MutablePayloadNode;
        // The message's outcome; it stays in the payload too, where events before contract v2 carried it.
        if (frame.role === Role.Payload && element.name.toLowerCase() === 'status') {
          this.#status ??= element.text.trim() || undefined;
        }
        (frame.role === Role.Payload ? this.#payload : this.#extra).push(element);
        this.#fragments.push({ ...this.#span(frame), element });
        break;
      }
      case Role.Node:
        // A Node's parent is always a tree element: CHILD_ROLES gives Node only below Payload, Extra and Node.
        (this.#frame(depth - 1).node as MutableNode).children.push(node as MutableNode);
        break;
    }
    if (frame.counter !== undefined) this.#countFrom(frame.counter, frame.text);
    if (frame.redact) {
      this.#redact({ ...this.#span(frame), text: `<${frame.qname}/>` });
      this.#redacting = false;
    }
  }

  #countFrom(counter: Counter, text: string): void {
    if (counter === 'callbackCount') this.#callbackCount ??= parseCount(text);
    else this.#maxCallbackThreshold ??= parseCount(text);
  }

  /** The element of this frame, open tag to close tag, once it is closed. */
  #span(frame: Frame): Span {
    return { from: this.#source.lastIndexOf('<', frame.openEnd - 1), to: this.#sax.position };
  }

  #frame(depth: number): Frame {
    // Frames exist for every open depth: #open creates them before anything asks.
    return this.#frames[depth - 1] as Frame;
  }
}

/**
 * Parses one ThingSpace SOAP callback. The body may be a byte stream (read as it arrives and abandoned, via the
 * iterator's `return`, as soon as a limit is exceeded), the bytes at once, or a string. Rejects only with
 * ParseError.
 */
export async function parseCallback(
  body: CallbackBody,
  limits?: Partial<ParserLimits>,
): Promise<ParsedCallback> {
  const resolved = resolveLimits(limits);
  const reader = new CallbackReader(resolved);
  await readBodyText(body, resolved, (text) => reader.write(text));
  const parsed = reader.finish();
  const password = parsed.password.reveal().trim();
  if (password === '' || !holdsSecret([...parsed.payload, ...parsed.extra], password)) return parsed;
  // A copy of the password under another name: read again, emptying it wherever it is.
  const again = new CallbackReader(resolved, password);
  again.write(reader.source);
  return again.finish();
}

/**
 * `source[span.from, span.to)` with the redactions inside it applied. A credential element becomes an empty one:
 * its attributes go too, as a sender could echo the secret there and nothing else is worth keeping on them.
 * `redactions` are in source order and each lies wholly inside the span or wholly outside it.
 */
function redact(source: string, { from, to }: Span, redactions: readonly Redaction[]): string {
  let out = '';
  let at = from;
  for (let i = firstFrom(redactions, from); i < redactions.length; i++) {
    const redaction = redactions[i]!;
    if (redaction.from >= to) break;
    out += source.slice(at, redaction.from) + redaction.text;
    at = redaction.to;
  }
  return at === from ? source.slice(from, to) : out + source.slice(at, to);
}

/** The index of the first redaction starting at or after `at` (binary search: fragments may be many). */
function firstFrom(redactions: readonly Redaction[], at: number): number {
  let low = 0;
  let high = redactions.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (redactions[middle]!.from < at) low = middle + 1;
    else high = middle;
  }
  return low;
}
