import type { Message } from '@platformatic/kafka';
import { PassThrough } from 'node:stream';
import { inBatches, recordBytes } from '../../../src/dedupe/batches';

const message = (offset: number, valueBytes = 10) =>
  ({
    offset: BigInt(offset),
    key: Buffer.from('device-1'),
    value: Buffer.alloc(valueBytes),
    headers: new Map([[Buffer.from('event-id'), Buffer.from('e')]]),
  }) as Message;
const offsets = (batch: Message[]) => batch.map(({ offset }) => Number(offset));

describe('inBatches', () => {
  it('cuts at the batch size, then at the linger after a batch’s first record, and ends with the stream', async () => {
    const stream = new PassThrough({ objectMode: true });
    const batches = inBatches(stream, 3, 50);
    for (const offset of [0, 1, 2, 3]) stream.write(message(offset));
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

  it('cuts before a record that would pass the byte limit, and gives a larger record a batch of its own', async () => {
    const stream = new PassThrough({ objectMode: true });
    const each = recordBytes(message(0, 400));
    expect(each).toBe(24 + 8 + 400 + 10 + 8 + 1);
    const batches = inBatches(stream, 100, 1_000, 2 * each);
    for (const offset of [0, 1, 2]) stream.write(message(offset, 400));
    stream.write(message(3, 5_000));
    stream.write(message(4, 400));
    stream.end();
    const all: number[][] = [];
    for await (const batch of batches) all.push(offsets(batch));
    expect(all).toEqual([[0, 1], [2], [3], [4]]);
  });
});
