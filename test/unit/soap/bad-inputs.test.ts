import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseCallback } from '../../../src/soap/parser';
import type { ParseErrorCode } from '../../../src/message/errors';
import { pieces, rejection, stream } from '../message/helpers';
import { BAD_FIXTURES, envelope, envelopeStart } from './helpers';

const EXPECTED = JSON.parse(readFileSync(join(BAD_FIXTURES, 'expected.json'), 'utf8')) as Record<
  string,
  ParseErrorCode
>;

describe('hand-written bad inputs under test/fixtures/bad', () => {
  it('every file has its expected code in expected.json, and every entry its file', () => {
    expect(
      readdirSync(BAD_FIXTURES)
        .filter((name) => name !== 'expected.json')
        .sort(),
    ).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s is %s, read at once or byte by byte', async (name, code) => {
    const bytes = readFileSync(join(BAD_FIXTURES, name));
    await rejection(parseCallback(bytes), code);
    await rejection(parseCallback(stream(pieces(bytes, 1))), code);
  });
});

// Generated here rather than committed: megabytes of filler say nothing a reader needs to see.
describe('generated bad inputs', () => {
  const MiB = 1024 * 1024;

  it('a 10 MB body is BODY_TOO_LARGE (413) as bytes, string or stream', async () => {
    // Comments as filler: they trip no other limit, so only the size can refuse this body.
    const filler = '<!-- invented padding -->'.repeat((10 * MiB) / 25);
    const body = Buffer.from(envelope(`<Data><Comment>c</Comment>${filler}</Data>`));
    expect((await rejection(parseCallback(body), 'BODY_TOO_LARGE')).status).toBe(413);
    await rejection(parseCallback(body.toString('utf8')), 'BODY_TOO_LARGE');
    await rejection(parseCallback(stream(pieces(body, 64 * 1024))), 'BODY_TOO_LARGE');
  });

  it('elements nested 10,000 deep are TOO_DEEP', async () => {
    const depth = 10_000;
    await rejection(
      parseCallback(envelope(`<Data>${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}</Data>`)),
      'TOO_DEEP',
    );
  });

  it('10,001 elements are TOO_MANY_ELEMENTS', async () => {
    await rejection(parseCallback(envelope(`<Data>${'<a/>'.repeat(10_001)}</Data>`)), 'TOO_MANY_ELEMENTS');
  });

  it('a text of 64 KiB + 1 byte is TEXT_TOO_LONG', async () => {
    await rejection(
      parseCallback(
        envelope(`<SmsMessage>${'x'.repeat(64 * 1024 + 1)}</SmsMessage>`, { root: 'SmsCallbackRequest' }),
      ),
      'TEXT_TOO_LONG',
    );
  });

  it('33 attributes on one element are TOO_MANY_ATTRIBUTES', async () => {
    const attributes = Array.from({ length: 33 }, (_, i) => `a${i}="${i}"`).join(' ');
    await rejection(parseCallback(envelope(`<Data><Comment ${attributes}/></Data>`)), 'TOO_MANY_ATTRIBUTES');
  });

  it('a stream that stops inside the message is MALFORMED_XML', async () => {
    await rejection(
      parseCallback(stream([envelopeStart(), '<Username>bridge-user-01</Username><Dat'])),
      'MALFORMED_XML',
    );
  });
});
