import type { Message } from '@platformatic/kafka';
import { PassThrough } from 'node:stream';
import { inBatches } from '../../../src/dedupe/batches';

const message = (offset: number) => ({ offset: BigInt(offset) }) as Message;

describe('inBatches', () => {
  it('cuts at the batch size, then at the linger after a batch’s first record, and ends with the stream', async () => {
    const stream = new PassThrough({ objectMode: true });
    const batches = inBatches(stream, 3, 50);
    for (const offset of [0, 1, 2, 3]) stream.write(message(offset));
    const offsets = (batch: Message[]) => batch.map(({ offset }) => Number(offset));
    expect(offsets((await batches.next()).value as Message[])).toEqual([0, 1, 2]);
    const lingered = batches.next();
    setTimeout(() => stream.write(message(4)), 10);
    setTimeout(() => stream.write(message(5)), 200);
    expect(offsets((await lingered).value as Message[])).toEqual([3, 4]);
    const last = batches.next();
    setTimeout(() => stream.end(), 250);
    expect(offsets((await last).value as Message[])).toEqual([5]);
    expect((await batches.next()).done).toBe(true);
  });
});
