import { parseJsonCallback } from '../../../src/json/parser';
import type { ParserLimits } from '../../../src/message/limits';
import { pieces, rejection, stream } from '../message/helpers';

// Each limit is tested at the limit (accepted) and one over it (refused with its code).

const MESSAGE =
  '{"username":"bridge-user-09","deviceResponse":{"usageResponse":[{"bytes":1024},{"bytes":2048}]}}';
// The top object > deviceResponse > usageResponse > an item.
const MESSAGE_DEPTH = 4;
// The top object, username, deviceResponse, usageResponse, two items, two "bytes".
const MESSAGE_VALUES = 8;

function limitCase(limit: keyof ParserLimits, value: number, text = MESSAGE) {
  return parseJsonCallback(text, { [limit]: value });
}

describe('maxBodyBytes', () => {
  const bytes = Buffer.from('{"comment":"é"}  ');

  it.each([
    ['bytes', () => bytes],
    ['a string', () => bytes.toString('utf8')],
    ['a stream', () => stream(pieces(bytes, 3))],
  ])('counts the bytes of %s', async (_, body) => {
    await expect(parseJsonCallback(body(), { maxBodyBytes: bytes.length })).resolves.toBeDefined();
    const error = await rejection(
      parseJsonCallback(body(), { maxBodyBytes: bytes.length - 1 }),
      'BODY_TOO_LARGE',
    );
    expect(error.status).toBe(413);
  });

  it('stops reading a stream of 10 MiB after the first 1 MiB, and closes it', async () => {
    const chunk = Buffer.alloc(64 * 1024, ' ');
    const body = stream([Buffer.from('{"comment":'), ...Array.from({ length: 160 }, () => chunk)]);
    await rejection(parseJsonCallback(body), 'BODY_TOO_LARGE');
    expect(body.taken).toBe(17);
    expect(body.closed).toBe(true);
  });
});

describe('maxDepth', () => {
  it('counts objects and arrays, the top object as level 1', async () => {
    await expect(limitCase('maxDepth', MESSAGE_DEPTH)).resolves.toBeDefined();
    await rejection(limitCase('maxDepth', MESSAGE_DEPTH - 1), 'TOO_DEEP');
    await expect(limitCase('maxDepth', 1, '{"a":1,"b":"[{"}')).resolves.toBeDefined();
    await rejection(limitCase('maxDepth', 1, '{"a":[]}'), 'TOO_DEEP');
  });

  it('refuses 100,000 levels by default, at level 65', async () => {
    const error = await rejection(parseJsonCallback(`{"a":${'['.repeat(100_000)}`), 'TOO_DEEP');
    expect(error.position).toEqual({ line: 1, column: 6 + 63 });
  });
});

describe('maxElements', () => {
  it('counts every value: the top object, members and items', async () => {
    await expect(limitCase('maxElements', MESSAGE_VALUES)).resolves.toBeDefined();
    await rejection(limitCase('maxElements', MESSAGE_VALUES - 1), 'TOO_MANY_ELEMENTS');
  });

  it('refuses 10,001 values by default', async () => {
    const items = (n: number) => `{"a":[${Array.from({ length: n }, () => '0').join(',')}]}`;
    await expect(parseJsonCallback(items(10_000 - 2))).resolves.toBeDefined();
    await rejection(parseJsonCallback(items(10_000 - 1)), 'TOO_MANY_ELEMENTS');
  });
});

describe('maxTextBytes', () => {
  // 2-byte characters: the limit is on UTF-8 bytes of the decoded string, not characters or source text.
  const text = 'é'.repeat(50);

  it.each([
    ['a value', `{"comment":"${text}"}`],
    ['a key', `{"${text}":1}`],
    ['an escaped value', `{"comment":"${'\\u00e9'.repeat(50)}"}`],
    ['a credential', `{"password":"${text}"}`],
  ])('counts the UTF-8 bytes of %s', async (_, message) => {
    await expect(parseJsonCallback(message, { maxTextBytes: 100 })).resolves.toBeDefined();
    await rejection(parseJsonCallback(message, { maxTextBytes: 99 }), 'TEXT_TOO_LONG');
  });

  it('counts a surrogate pair as the 4 bytes of its character', async () => {
    const message = `{"comment":"${'\\ud83d\\ude00'.repeat(25)}"}`;
    await expect(parseJsonCallback(message, { maxTextBytes: 100 })).resolves.toBeDefined();
    await rejection(parseJsonCallback(message, { maxTextBytes: 99 }), 'TEXT_TOO_LONG');
  });

  it('counts the characters of a number as written', async () => {
    const message = `{"callbackCount":-1.${'0'.repeat(95)}e0}`;
    await expect(parseJsonCallback(message, { maxTextBytes: 100 })).resolves.toBeDefined();
    await rejection(parseJsonCallback(message, { maxTextBytes: 99 }), 'TEXT_TOO_LONG');
  });

  it('is the same at every chunk boundary', async () => {
    const bytes = Buffer.from(`{"comment":"${text}"}`);
    for (const size of [1, 2, 3, 64]) {
      await expect(
        parseJsonCallback(stream(pieces(bytes, size)), { maxTextBytes: 100 }),
      ).resolves.toBeDefined();
      await rejection(parseJsonCallback(stream(pieces(bytes, size)), { maxTextBytes: 99 }), 'TEXT_TOO_LONG');
    }
  });

  it('refuses a string of 64 KiB + 1 byte by default, without the text in the message', async () => {
    const error = await rejection(
      parseJsonCallback(`{"smsMessage":"${'x'.repeat(64 * 1024 + 1)}"}`),
      'TEXT_TOO_LONG',
    );
    expect(error.message).toBe('a string is longer than 65536 bytes (line 1, column 15)');
  });
});

describe('partial limits', () => {
  it('fill in what is left out or set undefined', async () => {
    await expect(parseJsonCallback(MESSAGE, { maxDepth: undefined })).resolves.toBeDefined();
    await rejection(
      parseJsonCallback(MESSAGE, { maxDepth: MESSAGE_DEPTH - 1, maxElements: undefined }),
      'TOO_DEEP',
    );
  });
});
