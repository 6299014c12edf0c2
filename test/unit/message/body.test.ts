import { readBodyText, type CallbackBody, type BodyOptions } from '../../../src/message/body';
import { pieces, rejection, stream } from './helpers';

async function textOf(body: CallbackBody, options: BodyOptions = { maxBodyBytes: 1000 }): Promise<string[]> {
  const parts: string[] = [];
  await readBodyText(body, options, (text) => parts.push(text));
  return parts;
}

// 'é' is 2 bytes, '€' 3, '😀' 4 (a surrogate pair in a JS string).
const TEXT = 'aé€😀z';
const BYTES = Buffer.from(TEXT);

describe('readBodyText', () => {
  it('gives the same text from a string, bytes, and a stream cut anywhere', async () => {
    expect((await textOf(TEXT)).join('')).toBe(TEXT);
    expect((await textOf(BYTES)).join('')).toBe(TEXT);
    for (const size of [1, 2, 3, 5]) {
      expect((await textOf(stream(pieces(BYTES, size)))).join('')).toBe(TEXT);
    }
  });

  it('drops a leading byte order mark unless asked to keep it', async () => {
    const bytes = Buffer.from(`\uFEFF${TEXT}`);
    expect((await textOf(bytes)).join('')).toBe(TEXT);
    expect((await textOf(stream(pieces(bytes, 1)))).join('')).toBe(TEXT);
    const keep = { maxBodyBytes: 1000, keepByteOrderMark: true };
    expect((await textOf(bytes, keep)).join('')).toBe(`\uFEFF${TEXT}`);
    expect((await textOf(stream(pieces(bytes, 1)), keep)).join('')).toBe(`\uFEFF${TEXT}`);
  });

  it.each([
    ['a string', () => TEXT],
    ['bytes', () => BYTES],
    ['a stream', () => stream(pieces(BYTES, 3))],
  ])('counts the UTF-8 bytes of %s against maxBodyBytes', async (_, body) => {
    await expect(textOf(body(), { maxBodyBytes: BYTES.length })).resolves.toBeDefined();
    const error = await rejection(textOf(body(), { maxBodyBytes: BYTES.length - 1 }), 'BODY_TOO_LARGE');
    expect(error.status).toBe(413);
  });

  it('stops reading a stream at the chunk that passes the limit, and closes it', async () => {
    const body = stream(pieces(Buffer.alloc(100, 'a'), 10));
    await rejection(textOf(body, { maxBodyBytes: 25 }), 'BODY_TOO_LARGE');
    expect(body.taken).toBe(3);
    expect(body.closed).toBe(true);
  });

  it('refuses bytes that are not UTF-8, a character cut off at the end, and a lone surrogate', async () => {
    const latin1 = await rejection(textOf(Buffer.from([0x61, 0xe9, 0x62])), 'INVALID_UTF8');
    expect(latin1.message).toBe('the body is not valid UTF-8 (within bytes 0-3)');
    const cut = await rejection(textOf(stream([BYTES.subarray(0, 2)])), 'INVALID_UTF8');
    expect(cut.message).toBe('the body is not valid UTF-8 (within bytes 2-2)');
    await rejection(textOf('a\uD800b'), 'INVALID_UTF8');
  });
});
