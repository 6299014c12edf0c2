import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import {
  BodyAbortedError,
  BodyTimeoutError,
  readRequestBody,
  requestBody,
  wholeBody,
} from '../../../src/http/body';

async function collect(body: AsyncIterable<Buffer>): Promise<string> {
  let text = '';
  for await (const chunk of body) text += chunk.toString();
  return text;
}

describe('requestBody', () => {
  it('yields the chunks as they arrive', async () => {
    const stream = new PassThrough();
    const reading = collect(requestBody(stream, 1000));
    stream.write('<a>');
    setImmediate(() => stream.end('</a>'));
    await expect(reading).resolves.toBe('<a></a>');
  });

  it('rejects a body that does not finish before the deadline, and leaves the stream open', async () => {
    const stream = new PassThrough();
    stream.write('<a>');
    await expect(collect(requestBody(stream, 50))).rejects.toBeInstanceOf(BodyTimeoutError);
    expect(stream.destroyed).toBe(false);
  });

  it('does not destroy the stream when the consumer stops early', async () => {
    const stream = new PassThrough();
    stream.write('first');
    for await (const chunk of requestBody(stream, 1000)) {
      expect(chunk.toString()).toBe('first');
      break;
    }
    expect(stream.destroyed).toBe(false);
  });

  it('reports a client that went away as an aborted body', async () => {
    const stream = new PassThrough();
    const reading = collect(requestBody(stream, 1000));
    stream.destroy(new Error('socket hang up'));
    await expect(reading).rejects.toBeInstanceOf(BodyAbortedError);
  });
});

describe('wholeBody', () => {
  it('resolves with every chunk as one buffer once the body ends', async () => {
    const stream = new PassThrough();
    const reading = wholeBody(stream, 7, 1000);
    stream.write('<a>');
    setImmediate(() => stream.end('</a>'));
    await expect(reading).resolves.toEqual(Buffer.from('<a></a>'));
    expect(stream.listenerCount('data')).toBe(0);
  });

  it('rejects a body that does not finish before the deadline, and leaves the stream open', async () => {
    const stream = new PassThrough();
    stream.write('<a>');
    await expect(wholeBody(stream, 7, 50)).rejects.toBeInstanceOf(BodyTimeoutError);
    expect(stream.destroyed).toBe(false);
    expect(stream.listenerCount('data')).toBe(0);
  });

  it('reports a client that went away as an aborted body', async () => {
    const stream = new PassThrough();
    const reading = wholeBody(stream, 7, 1000);
    stream.write('<a>');
    stream.destroy(new Error('socket hang up'));
    await expect(reading).rejects.toBeInstanceOf(BodyAbortedError);
  });
});

describe('readRequestBody', () => {
  const request = (headers: Record<string, string>, text: string) =>
    Object.assign(PassThrough.from([Buffer.from(text)]), { headers }) as unknown as IncomingMessage;

  it('reads a body of a declared small length whole', async () => {
    const body = await readRequestBody(request({ 'content-length': '7' }, '<a></a>'), 1000, 64);
    expect(body).toEqual(Buffer.from('<a></a>'));
  });

  it.each([
    ['no declared length', {}],
    ['a declared length over the bound', { 'content-length': '65' }],
    ['a chunked body', { 'content-length': '7', 'transfer-encoding': 'chunked' }],
    ['a length that is no number', { 'content-length': 'seven' }],
  ])('streams a body with %s', async (_, headers) => {
    const body = await readRequestBody(request(headers, '<a></a>'), 1000, 64);
    expect(body).not.toBeInstanceOf(Uint8Array);
    await expect(collect(body as AsyncIterable<Buffer>)).resolves.toBe('<a></a>');
  });
});
