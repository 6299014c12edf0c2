/**
 * A strict JSON reader (RFC 8259) for callback bodies: the decoded source in, a tree of MessageNodes out, in one
 * pass over the text. It keeps a stack of the open objects and arrays instead of recursing, so nesting costs at
 * most maxDepth frames, never the call stack.
 *
 * Refused, as MALFORMED_JSON with the line and column: anything RFC 8259 does not allow (trailing commas,
 * comments, NaN and Infinity, leading zeros, single quotes, unescaped control characters in strings, an escaped
 * lone surrogate, text after the value). As DUPLICATE_KEY: a key twice in one object, at any depth (JSON.parse
 * would keep the last silently; a sender's intent is then unknowable). Limits: TOO_DEEP, TOO_MANY_ELEMENTS,
 * TEXT_TOO_LONG (src/message/limits.ts). Error messages never quote the body, except a short key name.
 *
 * The tree follows MessageNode's JSON contract (src/message/types.ts): members named by their key and sorted by
 * it, array items named '', a scalar's text as its value (a number as written, '' for null), containers ''.
 *
 * A member named like a credential (src/message/credentials.ts), at any depth, is read as if its value were
 * `""`: the tree and every `raw` text hold that instead, and `redactions` says where the values were.
 */
import { isCredentialName } from '../message/credentials';
import { ParseError, type ParseErrorCode, type SourcePosition } from '../message/errors';
import type { ParserLimits } from '../message/limits';
import type { JsonType, MessageNode } from '../message/types';

export interface JsonNode extends MessageNode {
  json: JsonType;
  children: readonly JsonNode[];
  /** The value as written in the source; only where JsonReadOptions asks for it. */
  raw?: string;
}

/** A node with its source text: every member of the top-level object, and the members of rawMembersOf. */
export type SourcedNode = JsonNode & { raw: string };

export interface JsonDocument {
  /** The text read, which offsets refer to. */
  source: string;
  /** The top-level value. When it is an object, its members are SourcedNodes. */
  root: JsonNode & { children: readonly SourcedNode[] };
  /** Where each member of the top-level object starts in the source (its `raw` says where it ends). */
  starts: ReadonlyMap<string, number>;
  /** The values of members named like credentials, [start, end) in the source, in order, none inside another. */
  redactions: readonly Span[];
}

export type Span = readonly [start: number, end: number];

export interface JsonReadOptions {
  limits: Pick<ParserLimits, 'maxDepth' | 'maxElements' | 'maxTextBytes'>;
  /** Members of the top-level object whose own members (when it is an object) get their `raw` text too. */
  rawMembersOf?: ReadonlySet<string>;
  /** Members of the top-level object kept as they are although named like credentials: the caller reads them. */
  credentials?: ReadonlySet<string>;
  /** String values (trimmed) emptied too, whatever their name: copies of the message's own password. */
  secretValues?: ReadonlySet<string>;
}

// No prototype, like every map keyed by names from a message: a lookup of `constructor` finds nothing.
const NO_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze(
  Object.create(null) as Record<string, string>,
);
const NO_CHILDREN: readonly JsonNode[] = Object.freeze([]);
const NONE: ReadonlySet<string> = new Set();
/** Longest key quoted in an error message; longer ones are not named. */
const MAX_QUOTED_KEY = 32;
/** Members an object may have before its duplicate check switches from a scan of its children to a Set. */
const SCAN_LIMIT = 16;

// Character codes.
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const SLASH = 0x2f;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const UPPER_E = 0x45;
const LEFT_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RIGHT_BRACKET = 0x5d;
const LOWER_E = 0x65;
const LOWER_F = 0x66;
const LOWER_N = 0x6e;
const LOWER_T = 0x74;
const LOWER_U = 0x75;
const LEFT_BRACE = 0x7b;
const RIGHT_BRACE = 0x7d;

/** The character a simple escape (`\n` and the like) stands for, by the code of the letter after `\`. */
const SIMPLE_ESCAPES: ReadonlyMap<number, string> = new Map([
  [QUOTE, '"'],
  [BACKSLASH, '\\'],
  [SLASH, '/'],
  [0x62, '\b'],
  [LOWER_F, '\f'],
  [LOWER_N, '\n'],
  [0x72, '\r'],
  [LOWER_T, '\t'],
]);

interface MutableNode extends JsonNode {
  children: JsonNode[];
}

/** One open object or array. Frames are reused by depth, so a read allocates at most maxDepth of them. */
class Frame {
  // Set by the reader before any use; frames are only created to be filled.
  node!: MutableNode;
  isObject = true;
  /** Source index of its `{` or `[`. */
  start = 0;
  /** Whether its members or items get their `raw` text. */
  rawChildren = false;
  /** Objects: the key of the member being read, and the key before it. */
  key = '';
  previousKey = '';
  sorted = true;
  /** Objects of SCAN_LIMIT members or more: their keys, for the duplicate check. */
  keys: Set<string> | undefined;
}

class Reader {
  readonly #source: string;
  readonly #limits: JsonReadOptions['limits'];
  readonly #rawMembersOf: ReadonlySet<string>;
  readonly #credentials: ReadonlySet<string>;
  readonly #secretValues: ReadonlySet<string>;
  readonly #frames: Frame[] = [];
  readonly #starts = new Map<string, number>();
  /** Grows in source order: a value redacted around earlier ones replaces them. */
  readonly #redactions: Span[] = [];
  #elements = 0;
  /** Where the last scalar read ends. */
  #end = 0;
  /** What the last escape sequence read stands for. */
  #escaped = '';

  constructor(source: string, options: JsonReadOptions) {
    this.#source = source;
    this.#limits = options.limits;
    this.#rawMembersOf = options.rawMembersOf ?? NONE;
    this.#credentials = options.credentials ?? NONE;
    this.#secretValues = options.secretValues ?? NONE;
  }

  read(): JsonDocument {
    const source = this.#source;
    const frames = this.#frames;
    let depth = 0;
    let at = this.#skipSpace(0);
    for (;;) {
      // A value starts at `at`.
      const parent = depth === 0 ? undefined : (frames[depth - 1] as Frame);
      const name = parent?.isObject ? parent.key : '';
      const withRaw = parent?.rawChildren ?? false;
      const c = source.charCodeAt(at);
      let value: JsonNode;
      let start = at;
      if (c === LEFT_BRACE || c === LEFT_BRACKET) {
        if (depth === this.#limits.maxDepth) {
          throw this.#fail(
            'TOO_DEEP',
            `objects and arrays are nested deeper than ${this.#limits.maxDepth} levels`,
            at,
          );
        }
        this.#count(at);
        const isObject = c === LEFT_BRACE;
        const node: MutableNode = withRaw
          ? {
              name,
              attributes: NO_ATTRIBUTES,
              text: '',
              children: [],
              json: isObject ? 'object' : 'array',
              raw: '',
            }
          : { name, attributes: NO_ATTRIBUTES, text: '', children: [], json: isObject ? 'object' : 'array' };
        const frame = (frames[depth] ??= new Frame());
        frame.node = node;
        frame.isObject = isObject;
        frame.start = at;
        frame.rawChildren = depth === 0 || (depth === 1 && isObject && this.#rawMembersOf.has(name));
        frame.previousKey = '';
        frame.sorted = true;
        frame.keys = undefined;
        depth++;
        at = this.#skipSpace(at + 1);
        const close = isObject ? RIGHT_BRACE : RIGHT_BRACKET;
        if (source.charCodeAt(at) !== close) {
          if (isObject) at = this.#key(frame, at);
          continue;
        }
        // An empty object or array is complete at once.
        at++;
        depth--;
        value = node;
      } else {
        value = this.#scalar(name, c, at, withRaw);
        this.#count(at);
        at = this.#end;
      }

      // `value` is complete and ends at `at`: attach it, then close what ends after it, until a new value starts.
      for (;;) {
        if (depth === 0) {
          at = this.#skipSpace(at);
          if (at < source.length) throw this.#malformed('text after the top-level value', at);
          const root = value as JsonDocument['root'];
          return { source, root, starts: this.#starts, redactions: this.#redactions };
        }
        const frame = frames[depth - 1] as Frame;
        if (!(depth === 1 && this.#credentials.has(frame.key)) && this.#isSecret(frame, value)) {
          value = this.#redact(value, start, at);
        } else if (value.raw !== undefined) {
          value.raw = this.#redactedSlice(start, at);
        }
        frame.node.children.push(value);
        if (depth === 1 && frame.isObject) this.#starts.set(frame.key, start);
        at = this.#skipSpace(at);
        const c = source.charCodeAt(at);
        if (c === COMMA) {
          at = this.#skipSpace(at + 1);
          if (frame.isObject) at = this.#key(frame, at);
          break;
        }
        if (c !== (frame.isObject ? RIGHT_BRACE : RIGHT_BRACKET)) {
          throw this.#malformed(
            frame.isObject ? "expected ',' or '}' after a member" : "expected ',' or ']' after an item",
            at,
          );
        }
        at++;
        depth--;
        value = frame.node;
        start = frame.start;
        if (frame.isObject && !frame.sorted) frame.node.children.sort(byName);
      }
    }
  }

  /** Whether the value just read is to be emptied: a credential's by its name, or a known secret's copy. */
  #isSecret(frame: Frame, value: JsonNode): boolean {
    if (frame.isObject && isCredentialName(frame.key)) return true;
    return (
      this.#secretValues.size > 0 && value.json === 'string' && this.#secretValues.has(value.text.trim())
    );
  }

  /** An empty string in place of the value at [start, end), whatever it was; its span replaces those inside it. */
  #redact(value: JsonNode, start: number, end: number): JsonNode {
    const redactions = this.#redactions;
    while (redactions.length > 0 && redactions[redactions.length - 1]![0] >= start) redactions.pop();
    redactions.push([start, end]);
    const { name } = value;
    return value.raw === undefined
      ? { name, attributes: NO_ATTRIBUTES, text: '', children: NO_CHILDREN, json: 'string' }
      : { name, attributes: NO_ATTRIBUTES, text: '', children: NO_CHILDREN, json: 'string', raw: '""' };
  }

  /** The source at [start, end) with the redacted values inside it as `""`. */
  #redactedSlice(start: number, end: number): string {
    const redactions = this.#redactions;
    let first = redactions.length;
    while (first > 0 && redactions[first - 1]![0] >= start) first--;
    return redactedText(this.#source, start, end, redactions.slice(first));
  }

  #count(at: number): void {
    if (++this.#elements > this.#limits.maxElements) {
      throw this.#fail(
        'TOO_MANY_ELEMENTS',
        `the message has more than ${this.#limits.maxElements} values`,
        at,
      );
    }
  }

  /** Reads a member's key and the `:` after it; returns where its value starts. */
  #key(frame: Frame, at: number): number {
    const source = this.#source;
    if (source.charCodeAt(at) !== QUOTE) throw this.#malformed('expected a member name (a string)', at);
    const key = this.#string(at, 'a key');
    this.#checkUnique(frame, key, at);
    if (key < frame.previousKey) frame.sorted = false;
    frame.previousKey = key;
    frame.key = key;
    const colon = this.#skipSpace(this.#end);
    if (source.charCodeAt(colon) !== COLON) throw this.#malformed("expected ':' after a member name", colon);
    return this.#skipSpace(colon + 1);
  }

  #checkUnique(frame: Frame, key: string, at: number): void {
    const members = frame.node.children;
    let duplicate = false;
    if (members.length < SCAN_LIMIT) {
      for (const member of members) if (member.name === key) duplicate = true;
    } else {
      frame.keys ??= new Set(members.map((member) => member.name));
      duplicate = frame.keys.has(key);
      frame.keys.add(key);
    }
    if (duplicate) {
      const named = key.length <= MAX_QUOTED_KEY ? `the key ${JSON.stringify(key)}` : 'a key';
      throw this.#fail('DUPLICATE_KEY', `${named} appears twice in one object`, at);
    }
  }

  /** A string, number, true, false or null starting at `at` with character `c`; sets #end. */
  #scalar(name: string, c: number, at: number, withRaw: boolean): JsonNode {
    let text: string;
    let json: JsonType;
    if (c === QUOTE) {
      text = this.#string(at, 'a string');
      json = 'string';
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      text = this.#number(at);
      json = 'number';
    } else if (c === LOWER_T && this.#source.startsWith('true', at)) {
      text = 'true';
      json = 'boolean';
      this.#end = at + 4;
    } else if (c === LOWER_F && this.#source.startsWith('false', at)) {
      text = 'false';
      json = 'boolean';
      this.#end = at + 5;
    } else if (c === LOWER_N && this.#source.startsWith('null', at)) {
      text = '';
      json = 'null';
      this.#end = at + 4;
    } else {
      throw this.#malformed('expected a value', at);
    }
    return withRaw
      ? { name, attributes: NO_ATTRIBUTES, text, children: NO_CHILDREN, json, raw: '' }
      : { name, attributes: NO_ATTRIBUTES, text, children: NO_CHILDREN, json };
  }

  /** The string whose opening quote is at `at`, unescaped; sets #end after its closing quote. */
  #string(at: number, what: string): string {
    const source = this.#source;
    const length = source.length;
    let i = at + 1;
    let value = '';
    // Runs without escapes are sliced whole; `from` is where the current run began.
    let from = i;
    for (;;) {
      if (i >= length) throw this.#malformed('the body ends inside a string', at);
      const c = source.charCodeAt(i);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        value += source.slice(from, i);
        i = this.#escape(i);
        value += this.#escaped;
        from = i;
      } else if (c < SPACE) {
        throw this.#malformed('a control character in a string is not escaped', i);
      } else {
        i++;
      }
    }
    value = from === at + 1 ? source.slice(from, i) : value + source.slice(from, i);
    this.#end = i + 1;
    // A UTF-16 code unit is at most 3 UTF-8 bytes: most strings need no exact count.
    const max = this.#limits.maxTextBytes;
    if (value.length * 3 > max && Buffer.byteLength(value, 'utf8') > max) {
      throw this.#fail('TEXT_TOO_LONG', `${what} is longer than ${max} bytes`, at);
    }
    return value;
  }

  /** The escape sequence whose `\` is at `at`: sets #escaped to what it stands for, returns where it ends. */
  #escape(at: number): number {
    const source = this.#source;
    const letter = source.charCodeAt(at + 1);
    const simple = SIMPLE_ESCAPES.get(letter);
    if (simple !== undefined) {
      this.#escaped = simple;
      return at + 2;
    }
    if (letter !== LOWER_U) throw this.#malformed('an invalid escape sequence in a string', at);
    const unit = this.#hex4(at + 2);
    if (unit >= 0xdc00 && unit <= 0xdfff) throw this.#loneSurrogate(at);
    if (unit < 0xd800 || unit > 0xdbff) {
      this.#escaped = String.fromCharCode(unit);
      return at + 6;
    }
    // A high surrogate: only with an escaped low one right after it is it a character.
    if (source.charCodeAt(at + 6) !== BACKSLASH || source.charCodeAt(at + 7) !== LOWER_U) {
      throw this.#loneSurrogate(at);
    }
    const low = this.#hex4(at + 8);
    if (low < 0xdc00 || low > 0xdfff) throw this.#loneSurrogate(at);
    this.#escaped = String.fromCharCode(unit, low);
    return at + 12;
  }

  #loneSurrogate(at: number): ParseError {
    return this.#malformed('an escaped lone surrogate in a string (not a character)', at);
  }

  /** The four hex digits at `at` as a number. */
  #hex4(at: number): number {
    let unit = 0;
    for (let i = at; i < at + 4; i++) {
      const c = this.#source.charCodeAt(i);
      const digit =
        c >= ZERO && c <= NINE
          ? c - ZERO
          : (c | 0x20) >= 0x61 && (c | 0x20) <= LOWER_F
            ? (c | 0x20) - 0x57
            : -1;
      if (digit < 0) throw this.#malformed('a \\u escape needs four hex digits', at - 2);
      unit = unit * 16 + digit;
    }
    return unit;
  }

  /** The number starting at `at`, as written; sets #end after it. */
  #number(at: number): string {
    const source = this.#source;
    let i = source.charCodeAt(at) === MINUS ? at + 1 : at;
    if (source.charCodeAt(i) === ZERO) {
      i++;
      if (isDigit(source.charCodeAt(i))) throw this.#malformed('a number with a leading zero', at);
    } else {
      i = this.#digits(i, at);
    }
    if (source.charCodeAt(i) === DOT) i = this.#digits(i + 1, at);
    const c = source.charCodeAt(i);
    if (c === LOWER_E || c === UPPER_E) {
      const sign = source.charCodeAt(i + 1);
      i = this.#digits(sign === PLUS || sign === MINUS ? i + 2 : i + 1, at);
    }
    this.#end = i;
    if (i - at > this.#limits.maxTextBytes) {
      throw this.#fail(
        'TEXT_TOO_LONG',
        `a number is longer than ${this.#limits.maxTextBytes} characters`,
        at,
      );
    }
    return source.slice(at, i);
  }

  /** One digit or more from `at`; returns where they end. */
  #digits(at: number, numberAt: number): number {
    const source = this.#source;
    if (!isDigit(source.charCodeAt(at))) throw this.#malformed('a number is missing a digit', numberAt);
    let i = at + 1;
    while (isDigit(source.charCodeAt(i))) i++;
    return i;
  }

  #skipSpace(at: number): number {
    const source = this.#source;
    for (;;) {
      const c = source.charCodeAt(at);
      if (c !== SPACE && c !== LF && c !== CR && c !== TAB) return at;
      at++;
    }
  }

  #malformed(what: string, at: number): ParseError {
    const detail = at >= this.#source.length ? `the body ends early (${what})` : what;
    return this.#fail('MALFORMED_JSON', `malformed JSON: ${detail}`, at);
  }

  #fail(code: ParseErrorCode, message: string, at: number): ParseError {
    return new ParseError(code, message, { position: positionAt(this.#source, at) });
  }
}

/** `source` at [from, to) with each span, all inside it and in order, replaced by `""`. */
export function redactedText(source: string, from: number, to: number, spans: readonly Span[]): string {
  let out = '';
  let at = from;
  for (const [start, end] of spans) {
    out += `${source.slice(at, start)}""`;
    at = end;
  }
  return at === from ? source.slice(from, to) : out + source.slice(at, to);
}

/** Reads `source` as one JSON value; throws ParseError. */
export function readJson(source: string, options: JsonReadOptions): JsonDocument {
  return new Reader(source, options).read();
}

/** Line (from 1) and column (characters from 1) of a source index; only ever needed for an error. */
export function positionAt(source: string, at: number): SourcePosition {
  const end = Math.min(at, source.length);
  let line = 1;
  let lineStart = 0;
  for (let i = source.indexOf('\n'); i !== -1 && i < end; i = source.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  // Characters, not UTF-16 code units: a surrogate pair counts once.
  let column = 1;
  for (let i = lineStart; i < end; i++) {
    const c = source.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) column++;
  }
  return { line, column };
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** By key in UTF-16 code units (MessageNode's JSON contract); keys are unique, so stability does not matter. */
function byName(a: JsonNode, b: JsonNode): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
