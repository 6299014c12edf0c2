import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ParseError } from '../../../src/message/errors';
import type { ParseErrorCode } from '../../../src/message/errors';
import type { ParsedCallback } from '../../../src/message/types';

export const SOAP_FIXTURES = join(__dirname, '..', '..', 'fixtures', 'soap');
export const BAD_FIXTURES = join(__dirname, '..', '..', 'fixtures', 'bad');

/** The valid messages under test/fixtures/soap, by file name. */
export function soapFixtures(): Map<string, Buffer> {
  return new Map(
    readdirSync(SOAP_FIXTURES)
      .filter((name) => name.endsWith('.xml'))
      .map((name) => [name, readFileSync(join(SOAP_FIXTURES, name))]),
  );
}

/** A ParsedCallback as plain data: the Secret hides its value from toEqual, so it is revealed here. */
export function plain(parsed: ParsedCallback): Omit<ParsedCallback, 'password'> & { password: string } {
  return { ...parsed, password: parsed.password.reveal() };
}

export const SOAP_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const V2_NS = 'http://nphase.com/unifiedwebservice/v2';

/** The opening of a SOAP 1.1 envelope around a root, the way THINGSPACE.md §2 shows it, up to the root's content. */
export function envelopeStart({ root = 'CallbackRequest', header = '' } = {}): string {
  return (
    `<s:Envelope xmlns:s="${SOAP_NS}">${header && `<s:Header>${header}</s:Header>`}` +
    `<s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><${root} xmlns="${V2_NS}">`
  );
}

/** A CallbackRequest (or another root) in a SOAP 1.1 envelope. */
export function envelope(rootContent: string, options: { root?: string; header?: string } = {}): string {
  return `${envelopeStart(options)}${rootContent}</${options.root ?? 'CallbackRequest'}></s:Body></s:Envelope>`;
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
