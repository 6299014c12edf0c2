/**
 * A callback body as text, whatever the parser: bytes counted against maxBodyBytes as they arrive, decoded by a
 * fatal UTF-8 decoder, handed on piece by piece. Every format's parser reads its body through here, so the size
 * and encoding rules, and their errors, are the same for all.
 */
import { TextDecoder } from 'node:util';
import { ParseError } from './errors';

/** A byte stream (an HTTP request), the bytes at once, or a string. */
export type CallbackBody = AsyncIterable<Uint8Array> | Uint8Array | string;

export interface BodyOptions {
  maxBodyBytes: number;
  /** Hand on a leading U+FEFF instead of dropping it (what a decoder does by default), so it can be refused. */
  keepByteOrderMark?: boolean;
}

// One decoder each for whole bodies (decoding without `stream` starts afresh every call); streams get their own.
const WHOLE_BODY = new TextDecoder('utf-8', { fatal: true });
const WHOLE_BODY_KEEPING_BOM = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const STREAM = { stream: true } as const;
const NO_BYTES = new Uint8Array(0);
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Calls `write` with the body's text in order, as it arrives. A stream is abandoned (via its iterator's
 * `return`) as soon as the body is too large or not UTF-8, or `write` throws. Rejects with what `write` throws,
 * or with ParseError BODY_TOO_LARGE or INVALID_UTF8.
 */
export async function readBodyText(
  body: CallbackBody,
  options: BodyOptions,
  write: (text: string) => void,
): Promise<void> {
  const { maxBodyBytes, keepByteOrderMark = false } = options;
  let bytes = 0;
  const count = (more: number): void => {
    bytes += more;
    if (bytes > maxBodyBytes) {
      throw new ParseError('BODY_TOO_LARGE', `the body is longer than ${maxBodyBytes} bytes`);
    }
  };
  const decode = (decoder: TextDecoder, chunk: Uint8Array, stream: boolean): string => {
    count(chunk.byteLength);
    try {
      return stream ? decoder.decode(chunk, STREAM) : decoder.decode(chunk);
    } catch (cause) {
      throw new ParseError(
        'INVALID_UTF8',
        `the body is not valid UTF-8 (within bytes ${bytes - chunk.byteLength}-${bytes})`,
        { cause },
      );
    }
  };

  if (typeof body === 'string') {
    count(Buffer.byteLength(body, 'utf8'));
    // A JS string can hold what no UTF-8 byte sequence decodes to.
    if (LONE_SURROGATE.test(body)) {
      throw new ParseError('INVALID_UTF8', 'the body holds a lone UTF-16 surrogate');
    }
    write(body);
  } else if (body instanceof Uint8Array) {
    write(decode(keepByteOrderMark ? WHOLE_BODY_KEEPING_BOM : WHOLE_BODY, body, false));
  } else {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: keepByteOrderMark });
    for await (const chunk of body) write(decode(decoder, chunk, true));
    // The final, non-streaming call flushes the decoder: a character cut off at the end is INVALID_UTF8.
    write(decode(decoder, NO_BYTES, false));
  }
}
