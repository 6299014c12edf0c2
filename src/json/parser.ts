/**
 * The JSON parser of REST callbacks (THINGSPACE.md §6): request bytes in, ParsedCallback out.
 *
 * Accepts one JSON object; its members, by key (the spec: src/message/types.ts):
 *
 *   username, password          string or null (null or absent: ''); any other type: CREDENTIALS_NOT_STRINGS
 *   requestId                   string
 *   deviceIds                   [{ "kind": string, "id": string }] -> devices; when anything in it has another
 *                               shape, what can be read is read and the whole member is kept in extra too
 *   deviceResponse, niddResponse  an object: each of its members is a payload node; else the member itself is
 *   faultResponse, comment, summary  payload nodes, in this order after the above
 *   status                      string
 *   callbackCount, maxCallbackThreshold  a non-negative integer, as a JSON number or a string of digits
 *   smsMessage                  string: the message is then an SmsCallbackRequest
 *   anything else, and any of the above (but the credentials) of another type: extra, losslessly
 *
 * The body is counted and decoded as it arrives (src/message/body.ts), then read whole by our own strict reader
 * (reader.ts): never JSON.parse, which has no limits, keeps the last of duplicate keys, and keeps no offsets.
 */
import { Secret } from '../util/secret';
import { readBodyText, type CallbackBody } from '../message/body';
import { parseCount } from '../message/counts';
import { holdsSecret } from '../message/credentials';
import { ParseError } from '../message/errors';
import { resolveLimits, type ParserLimits } from '../message/limits';
import type { JsonType, ParsedCallback, PayloadNode, RawDevice } from '../message/types';
import {
  positionAt,
  readJson,
  redactedText,
  type JsonDocument,
  type JsonNode,
  type SourcedNode,
  type Span,
} from './reader';

/** Members whose own members are payload nodes, each with its raw text. */
const RESPONSES: ReadonlySet<string> = new Set(['deviceResponse', 'niddResponse']);
type Credential = 'username' | 'password';
/** The top-level members read for authentication; any other member named like a credential the reader empties. */
const CREDENTIALS: ReadonlySet<string> = new Set<Credential>(['username', 'password']);

const A_TYPE: Readonly<Record<JsonType, string>> = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  null: 'null',
};

const BYTE_ORDER_MARK = 0xfeff;

/** The top-level members, sorted out. */
class CallbackFields {
  readonly #document: JsonDocument;
  readonly credentials: Record<Credential, string> = { username: '', password: '' };
  requestId: string | undefined;
  smsMessage: string | undefined;
  status: string | undefined;
  callbackCount: number | undefined;
  maxCallbackThreshold: number | undefined;
  readonly devices: RawDevice[] = [];
  // The payload's parts, joined in their order at the end.
  deviceResponse: SourcedNode | undefined;
  niddResponse: SourcedNode | undefined;
  faultResponse: SourcedNode | undefined;
  comment: SourcedNode | undefined;
  summary: SourcedNode | undefined;
  readonly extra: PayloadNode[] = [];
  /** Where the credentials' string values are in the source. */
  readonly #secrets: Span[] = [];

  constructor(document: JsonDocument) {
    this.#document = document;
    // Sorted by key, so extra comes out in key order, whatever order the sender used.
    for (const member of document.root.children) {
      if (!this.#take(member)) this.extra.push(member);
    }
  }

  /** Takes a member into its field; false when it is to be kept in extra. */
  #take(member: SourcedNode): boolean {
    const { json, text } = member;
    switch (member.name) {
      case 'username':
      case 'password':
        return this.#credential(member.name, member);
      case 'requestId':
        if (json !== 'string') return false;
        this.requestId = text.trim() || undefined;
        return true;
      case 'deviceIds':
        return this.#readDevices(member);
      case 'deviceResponse':
        this.deviceResponse = member;
        return true;
      case 'niddResponse':
        this.niddResponse = member;
        return true;
      case 'faultResponse':
        this.faultResponse = member;
        return true;
      case 'comment':
        this.comment = member;
        return true;
      case 'summary':
        this.summary = member;
        return true;
      case 'status':
        if (json !== 'string') return false;
        // As for SOAP's empty <Status/>: no status.
        this.status = text.trim() || undefined;
        return true;
      case 'callbackCount':
        this.callbackCount = countOf(member);
        return this.callbackCount !== undefined;
      case 'maxCallbackThreshold':
        this.maxCallbackThreshold = countOf(member);
        return this.maxCallbackThreshold !== undefined;
      case 'smsMessage':
        if (json !== 'string') return false;
        this.smsMessage = text;
        return true;
      default:
        return false;
    }
  }

  #credential(name: Credential, member: SourcedNode): boolean {
    // Every member of the top-level object has its start.
    const start = this.#document.starts.get(name) as number;
    if (member.json === 'string') {
      this.credentials[name] = member.text;
      this.#secrets.push([start, start + member.raw.length]);
    } else if (member.json !== 'null') {
      throw new ParseError(
        'CREDENTIALS_NOT_STRINGS',
        `the top-level "${name}" is ${A_TYPE[member.json]}, not a string or null`,
        { position: positionAt(this.#document.source, start) },
      );
    }
    return true;
  }

  /**
   * Reads `{kind, id}` items into devices; true when the member had exactly that shape (an array of objects of
   * two strings naming a device), so nothing of it is lost without it in extra.
   */
  #readDevices(member: SourcedNode): boolean {
    let regular = member.json === 'array';
    // A lone device object where a list belongs is still read.
    const items = regular ? member.children : member.json === 'object' ? [member] : [];
    for (const item of items) {
      if (item.json !== 'object') {
        regular = false;
        continue;
      }
      let kind: string | undefined;
      let identifier: string | undefined;
      for (const field of item.children) {
        if (field.json === 'string' && field.name === 'kind') kind = field.text.trim();
        else if (field.json === 'string' && field.name === 'id') identifier = field.text.trim();
        else regular = false;
      }
      if (kind === undefined || identifier === undefined) regular = false;
      if (kind || identifier) this.devices.push({ kind: kind ?? '', identifier: identifier ?? '' });
      // Two empty strings say nothing a device could hold: kept in extra, as they came.
      else regular = false;
    }
    return regular;
  }

  payload(): PayloadNode[] {
    const payload: PayloadNode[] = [];
    for (const response of [this.deviceResponse, this.niddResponse]) {
      if (response?.json === 'object') {
        // readJson gave their members their source text: they are rawMembersOf (RESPONSES).
        for (const node of response.children as readonly SourcedNode[]) payload.push(node);
      } else if (response !== undefined) payload.push(response);
    }
    for (const node of [this.faultResponse, this.comment, this.summary]) if (node) payload.push(node);
    return payload;
  }

  /** The source with the credentials' string values, and every value the reader redacted, replaced by `""`. */
  redacted(): string {
    const { source, redactions } = this.#document;
    // The credentials were taken in key order; the source may have them the other way round.
    const spans = [...redactions, ...this.#secrets].sort((a, b) => a[0] - b[0]);
    return redactedText(source, 0, source.length, spans);
  }
}

/**
 * Parses one ThingSpace JSON callback. The body may be a byte stream (read as it arrives and abandoned, via the
 * iterator's `return`, as soon as it is too large or not UTF-8), the bytes at once, or a string. Rejects only
 * with ParseError.
 */
export async function parseJsonCallback(
  body: CallbackBody,
  limits?: Partial<ParserLimits>,
): Promise<ParsedCallback> {
  const resolved = resolveLimits(limits);
  let source = '';
  await readBodyText(body, { maxBodyBytes: resolved.maxBodyBytes, keepByteOrderMark: true }, (text) => {
    source += text;
  });
  // RFC 8259 §8.1: senders must not add one; we refuse it rather than guess what else the sender got wrong.
  if (source.charCodeAt(0) === BYTE_ORDER_MARK) {
    throw new ParseError(
      'BYTE_ORDER_MARK',
      'the body starts with a byte order mark (U+FEFF), which JSON forbids',
    );
  }
  if (isJsonWhitespace(source)) throw new ParseError('EMPTY_BODY', 'the body is empty');
  const options = { limits: resolved, rawMembersOf: RESPONSES, credentials: CREDENTIALS };
  let document = readJson(source, options);
  if (document.root.json !== 'object') {
    throw new ParseError('NOT_JSON_OBJECT', `the body is ${A_TYPE[document.root.json]}, not a JSON object`);
  }
  let fields = new CallbackFields(document);
  const password = fields.credentials.password.trim();
  const others = document.root.children.filter((member) => !CREDENTIALS.has(member.name));
  if (password !== '' && holdsSecret(others, password)) {
    // A copy of the password under another name: read again, emptying it wherever it is.
    document = readJson(source, { ...options, secretValues: new Set([password]) });
    fields = new CallbackFields(document);
  }
  return {
    format: 'rest',
    root: fields.smsMessage === undefined ? 'CallbackRequest' : 'SmsCallbackRequest',
    username: fields.credentials.username,
    password: new Secret(fields.credentials.password),
    requestId: fields.requestId,
    devices: fields.devices,
    payload: fields.payload(),
    smsMessage: fields.smsMessage,
    callbackCount: fields.callbackCount,
    maxCallbackThreshold: fields.maxCallbackThreshold,
    status: fields.status,
    extra: fields.extra,
    redacted: fields.redacted(),
  };
}

/** A counter from a JSON number (as written) or a string of digits. */
function countOf(node: JsonNode): number | undefined {
  return node.json === 'number' || node.json === 'string' ? parseCount(node.text) : undefined;
}

function isJsonWhitespace(text: string): boolean {
  return /^[ \t\n\r]*$/.test(text);
}
