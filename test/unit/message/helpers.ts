import { ParseError } from '../../../src/message/errors';
import type { ParseErrorCode } from '../../../src/message/errors';
import type { ParsedCallback } from '../../../src/message/types';

// Helpers for the tests of every callback parser (test/unit/soap, test/unit/json).

/** A ParsedCallback as plain data: the Secret hides its value from toEqual, so it is revealed here. */
export function plain(parsed: ParsedCallback): Omit<ParsedCallback, 'password'> & { password: string } {
  return { ...parsed, password: parsed.password.reveal() };
}

/** Delivers the parts one by one as a stream would, counting how many were taken and whether it was closed. */
export function stream(parts: Iterable<Uint8Array | string>): AsyncIterable<Uint8Array> & {
  taken: number;
  closed: boolean;
} {
  const source = {
    taken: 0,
    closed: false,
    async *[Symbol.asyncIterator]() {
      try {
        for (const part of parts) {
          source.taken++;
          await Promise.resolve();
          yield typeof part === 'string' ? Buffer.from(part) : part;
        }
      } finally {
        source.closed = true;
      }
    },
  };
  return source;
}

/** The bytes cut into pieces of `size` (the last may be shorter). */
export function* pieces(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** Awaits a parse that must fail and returns its ParseError after checking the code. */
export async function rejection(parse: Promise<unknown>, code: ParseErrorCode): Promise<ParseError> {
  const error = await parse.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ParseError);
  expect(error).toMatchObject({ code });
  return error as ParseError;
}
