import { parseCallback } from '../../../src/soap/parser';
import type { ParserLimits } from '../../../src/message/limits';
import { pieces, rejection, stream } from '../message/helpers';
import { envelope, envelopeStart } from './helpers';

// Each limit is tested at the limit (accepted) and one over it (refused with its code).

const MESSAGE = envelope(
  '<Username>bridge-user-09</Username><Password>Inv3nted-Secret-9</Password>' +
    '<Data><Usage><Period a="1" b="2" c="3">March</Period></Usage></Data>',
);
// Envelope > Body > CallbackRequest > Data > Usage > Period
const MESSAGE_DEPTH = 6;
const MESSAGE_ELEMENTS = 8;

function limitCase(limit: keyof ParserLimits, value: number) {
  return parseCallback(MESSAGE, { [limit]: value });
}

describe('partial limits', () => {
  it('fill in what a partial limits object leaves out or sets undefined', async () => {
    await expect(parseCallback(MESSAGE, { maxDepth: undefined })).resolves.toBeDefined();
    await rejection(
      parseCallback(MESSAGE, { maxDepth: MESSAGE_DEPTH - 1, maxElements: undefined }),
      'TOO_DEEP',
    );
  });
});

describe('maxBodyBytes', () => {
  const bytes = Buffer.from(`${MESSAGE}<!-- é -->`);

  it.each([
    ['bytes', () => bytes],
    ['a string', () => bytes.toString('utf8')],
    ['a stream', () => stream(pieces(bytes, 10))],
  ])('counts the bytes of %s', async (_, body) => {
    await expect(parseCallback(body(), { maxBodyBytes: bytes.length })).resolves.toBeDefined();
    const error = await rejection(
      parseCallback(body(), { maxBodyBytes: bytes.length - 1 }),
      'BODY_TOO_LARGE',
    );
    expect(error.status).toBe(413);
  });
});

describe('maxDepth', () => {
  it('counts the Envelope as level 1', async () => {
    await expect(limitCase('maxDepth', MESSAGE_DEPTH)).resolves.toBeDefined();
    await rejection(limitCase('maxDepth', MESSAGE_DEPTH - 1), 'TOO_DEEP');
  });
});

describe('maxElements', () => {
  it('counts every element of the message', async () => {
    await expect(limitCase('maxElements', MESSAGE_ELEMENTS)).resolves.toBeDefined();
    await rejection(limitCase('maxElements', MESSAGE_ELEMENTS - 1), 'TOO_MANY_ELEMENTS');
  });
});

describe('maxAttributes', () => {
  it('counts the attributes of one element', async () => {
    await expect(limitCase('maxAttributes', 3)).resolves.toBeDefined();
    await rejection(limitCase('maxAttributes', 2), 'TOO_MANY_ATTRIBUTES');
  });

  it('counts namespace declarations too', async () => {
    await rejection(
      parseCallback(envelope('<Data><A xmlns:a="urn:a" xmlns:b="urn:b"/></Data>'), { maxAttributes: 1 }),
      'TOO_MANY_ATTRIBUTES',
    );
  });
});

describe('maxTextBytes', () => {
  // 2-byte characters: the limit is on UTF-8 bytes, not characters.
  const text = 'é'.repeat(50);
  const message = envelope(`<Data><Comment>${text}</Comment></Data>`);

  it('counts the UTF-8 bytes of an element text', async () => {
    await expect(parseCallback(message, { maxTextBytes: 100 })).resolves.toBeDefined();
    await rejection(parseCallback(message, { maxTextBytes: 99 }), 'TEXT_TOO_LONG');
  });

  it('adds up the pieces of one text (entities, CDATA, comments between)', async () => {
    const pieced = envelope('<Data><Comment>aaaa&amp;<![CDATA[bbbb]]><!-- c -->cccc</Comment></Data>');
    await expect(parseCallback(pieced, { maxTextBytes: 13 })).resolves.toBeDefined();
    await rejection(parseCallback(pieced, { maxTextBytes: 12 }), 'TEXT_TOO_LONG');
  });

  it('is the same at every chunk boundary', async () => {
    const bytes = Buffer.from(message);
    for (const size of [1, 2, 3, 64]) {
      await expect(parseCallback(stream(pieces(bytes, size)), { maxTextBytes: 100 })).resolves.toBeDefined();
      await rejection(parseCallback(stream(pieces(bytes, size)), { maxTextBytes: 99 }), 'TEXT_TOO_LONG');
    }
  });

  it('also bounds an attribute value still arriving', async () => {
    const value = 'v'.repeat(200);
    const chunks = [`${envelopeStart()}<Data><Comment a="`, value, '">c</Comment></Data>'];
    const body = stream(chunks);
    await rejection(parseCallback(body, { maxTextBytes: 100 }), 'TEXT_TOO_LONG');
    expect(body.taken).toBe(2);
  });
});

describe('a body over a limit is not read to its end', () => {
  const CHUNK = 64 * 1024;
  const HUGE = 100 * 1024 * 1024;
  // An opening, then 10 MiB of filler in 64 KiB chunks.
  const chunks = (filler: string) => [
    Buffer.from(`${envelopeStart()}<Data><Comment>`),
    ...Array.from({ length: 160 }, () => Buffer.alloc(CHUNK, filler)),
  ];

  it.each([
    // 1 MiB is 16 chunks of filler after the opening.
    ['BODY_TOO_LARGE', chunks('a'), { maxTextBytes: HUGE }, 17],
    // One chunk of 64 KiB is just at the limit, the next is over it.
    ['TEXT_TOO_LONG', chunks('a'), { maxBodyBytes: HUGE }, 3],
    ['TOO_DEEP', chunks('<a>'), { maxBodyBytes: HUGE }, 2],
    ['TOO_MANY_ELEMENTS', chunks('<a/>'), { maxBodyBytes: HUGE }, 2],
  ] as const)(
    '%s stops after a few of 160 chunks of 64 KiB and closes the stream',
    async (code, parts, limits, most) => {
      const body = stream(parts);
      await rejection(parseCallback(body, limits), code);
      expect(body.taken).toBeLessThanOrEqual(most);
      expect(body.closed).toBe(true);
    },
  );
});
