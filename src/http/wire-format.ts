/**
 * Which parser reads a callback: the Content-Type decides (the route decides the service), and a request
 * without one is judged by the first byte of its body that is not whitespace. ThingSpace's SOAP listeners get
 * `text/xml`, its REST listeners `application/json` (THINGSPACE.md §2, §6); the other spellings are what HTTP
 * clients and proxies send for the same thing.
 *
 *   text/xml, application/xml, application/soap+xml         -> soap
 *   application/json, text/json, application/<anything>+json -> rest
 *   none                                                      -> rest when the body starts with { or [, else soap
 *   anything else                                             -> 415
 *
 * Parameters (`charset=...`) and case do not matter. The body's encoding is the parsers' to check: UTF-8.
 */
import type { WireFormat } from '../message/types';
import type { RequestBody } from './body';

const MEDIA_TYPES: ReadonlyMap<string, WireFormat> = new Map([
  ['text/xml', 'soap'],
  ['application/xml', 'soap'],
  ['application/soap+xml', 'soap'],
  ['application/json', 'rest'],
  ['text/json', 'rest'],
]);

/** The format a Content-Type names; 'sniff' when there is none, undefined when it names no format we read. */
export function formatOfContentType(contentType: string): WireFormat | 'sniff' | undefined {
  if (contentType === '') return 'sniff';
  const type = mediaType(contentType);
  return MEDIA_TYPES.get(type) ?? (/^application\/[^/]+\+json$/.test(type) ? 'rest' : undefined);
}

/**
 * The format of answers given before the body's format is known (403, 404, 405, 415, a timeout while sniffing):
 * JSON when the Content-Type names JSON at all, even one we refuse, else SOAP.
 */
export function answerFormatOf(contentType: string): WireFormat {
  return mediaType(contentType).includes('json') ? 'rest' : 'soap';
}

function mediaType(contentType: string): string {
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/** JSON's whitespace (RFC 8259 §2), which is also XML's. */
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const OPENING_BRACE = 0x7b;
const OPENING_BRACKET = 0x5b;

export interface SniffedBody {
  format: WireFormat;
  /** The whole body again, the bytes read to judge it included. */
  body: RequestBody;
}

/**
 * Reads a body without a Content-Type until its first byte that is not whitespace: `{` or `[` is JSON (an array
 * is refused by the JSON parser with its own code), anything else SOAP, whose parser says what is wrong with it.
 * What was read is handed on in front of the rest. At most `maxBytes` of whitespace are held: past that, or at
 * the end of the body, it is SOAP, and its parser reports the body too large or empty.
 */
export async function sniffFormat(body: RequestBody, maxBytes: number): Promise<SniffedBody> {
  if (body instanceof Uint8Array) return { format: formatOf(firstByte(body)), body };
  const chunks = body[Symbol.asyncIterator]();
  const read: Uint8Array[] = [];
  let bytes = 0;
  let format: WireFormat = 'soap';
  let ended = false;
  while (bytes <= maxBytes) {
    const next = await chunks.next();
    if (next.done === true) {
      ended = true;
      break;
    }
    read.push(next.value);
    bytes += next.value.length;
    const first = firstByte(next.value);
    if (first !== undefined) {
      format = formatOf(first);
      break;
    }
  }
  return { format, body: replay(read, ended ? undefined : chunks) };
}

const firstByte = (bytes: Uint8Array) => bytes.find((byte) => !WHITESPACE.has(byte));

/** JSON for `{` or `[`; SOAP for anything else, or nothing. */
const formatOf = (first: number | undefined): WireFormat =>
  first === OPENING_BRACE || first === OPENING_BRACKET ? 'rest' : 'soap';

/** The chunks already read, then the rest; stopping early stops the source too (its deadline, its socket). */
async function* replay(
  read: readonly Uint8Array[],
  rest: AsyncIterator<Uint8Array> | undefined,
): AsyncGenerator<Uint8Array> {
  try {
    yield* read;
    if (rest === undefined) return;
    for (;;) {
      const next = await rest.next();
      if (next.done === true) return;
      yield next.value;
    }
  } finally {
    await rest?.return?.();
  }
}
