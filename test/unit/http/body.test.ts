import { PassThrough } from 'node:stream';
import { BodyAbortedError, BodyTimeoutError, requestBody } from '../../../src/http/body';

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
