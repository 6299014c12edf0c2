import { FetchIsolationLevels, type Consumer } from '@platformatic/kafka';
import { changelogEnd, restore } from '../../../src/dedupe/changelog';
import { MemorySeenStore } from '../../../src/dedupe/memory-store';

describe('changelogEnd', () => {
  const written = {
    offsets: [
      { topic: 'in.deduped', partition: 1, offset: 500n },
      { topic: 'g-in-seen-changelog', partition: 1, offset: 40n },
      { topic: 'g-in-seen-changelog', partition: 2, offset: 7n },
    ],
  };

  it("is the offset after a partition's changelog records: their base offset plus their count", () => {
    expect(changelogEnd(written, 'g-in-seen-changelog', 1, 3)).toBe(43n);
    expect(changelogEnd(written, 'g-in-seen-changelog', 2, 1)).toBe(8n);
  });

  it('is undefined when the send did not say where the partition was written', () => {
    expect(changelogEnd(written, 'g-in-seen-changelog', 0, 3)).toBeUndefined();
    expect(changelogEnd({}, 'g-in-seen-changelog', 1, 3)).toBeUndefined();
  });
});

describe('restore', () => {
  const TOPIC = 'g-in-seen-changelog';
  const PID_A = 7n;
  const PID_B = 8n;
  const AT = 1_700_000_000_000;

  const value = (at: number) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64BE(BigInt(at));
    return buffer;
  };
  /** A record batch of one producer's changelog entries, from `offset`. */
  const entries = (producerId: bigint, offset: bigint, ...ids: string[]) => ({
    firstOffset: offset,
    lastOffsetDelta: ids.length - 1,
    attributes: 1 << 4, // transactional
    producerId,
    records: ids.map((id) => ({ key: Buffer.from(id), value: value(AT) })),
  });
  /** A transaction marker of `producerId` at `offset`: the key's int16 version then int16 type (0 abort). */
  const marker = (producerId: bigint, offset: bigint, type: 'abort' | 'commit') => {
    const key = Buffer.alloc(4);
    key.writeInt16BE(type === 'abort' ? 0 : 1, 2);
    return {
      firstOffset: offset,
      lastOffsetDelta: 0,
      attributes: (1 << 4) | (1 << 5), // transactional, control
      producerId,
      records: [{ key, value: Buffer.alloc(6) }],
    };
  };

  /**
   * A consumer whose fetches answer `responses` in turn, each of one partition's data, and whose high watermark
   * (asked read_uncommitted) is the first response's.
   */
  function consumerAnswering(responses: ({ highWatermark: bigint } & Record<string, unknown>)[]) {
    const fetched: bigint[] = [];
    const consumer = {
      listOffsets: ({ isolationLevel }: { isolationLevel?: number }) =>
        isolationLevel === FetchIsolationLevels.READ_UNCOMMITTED
          ? Promise.resolve(new Map([[TOPIC, [responses[0]?.highWatermark ?? 0n]]]))
          : Promise.reject(new Error('the last stable offset, not the high watermark')),
      metadata: () =>
        Promise.resolve({ topics: new Map([[TOPIC, { id: 'topic-id', partitions: [{ leader: 1 }] }]]) }),
      fetch: (options: { topics: [{ partitions: [{ fetchOffset: bigint }] }] }) => {
        fetched.push(options.topics[0].partitions[0].fetchOffset);
        const { others = [], ...data } = responses[fetched.length - 1]!;
        return Promise.resolve({
          responses: [
            ...(others as object[]),
            { topicId: 'topic-id', partitions: [{ partitionIndex: 0, errorCode: 0, ...data }] },
          ],
        });
      },
    };
    return { consumer: consumer as unknown as Consumer, fetched };
  }

  it("drops an aborted transaction's records until its abort marker, across fetches, and keeps committed ones", async () => {
    const { consumer, fetched } = consumerAnswering([
      {
        highWatermark: 10n,
        logStartOffset: 0n,
        // Producer A's transaction from offset 0 was aborted: its marker is in the next fetch only.
        abortedTransactions: [{ producerId: PID_A, firstOffset: 0n }],
        records: [entries(PID_A, 0n, 'a-aborted-1', 'a-aborted-2'), entries(PID_B, 2n, 'b-1', 'b-2')],
      },
      {
        highWatermark: 10n,
        logStartOffset: 0n,
        abortedTransactions: [],
        records: [
          entries(PID_A, 4n, 'a-aborted-3'),
          marker(PID_A, 5n, 'abort'),
          marker(PID_B, 6n, 'commit'),
          // Producer A's next transaction, committed: after its abort marker, remembered.
          entries(PID_A, 7n, 'a-1', 'a-2'),
          marker(PID_A, 9n, 'commit'),
        ],
      },
    ]);
    const store = new MemorySeenStore();
    const result = await restore(consumer, TOPIC, 0, store, 35 * 86_400_000);
    expect(fetched).toEqual([0n, 4n]);
    for (const id of ['b-1', 'b-2', 'a-1', 'a-2']) expect(store.seenAt(id)).toBe(AT);
    for (const id of ['a-aborted-1', 'a-aborted-2', 'a-aborted-3']) expect(store.seenAt(id)).toBeUndefined();
    expect(store.size).toBe(4);
    expect(result).toEqual({ from: 0n, records: 4, newest: AT });
  });

  it("reads its partition's data only, whatever else the response carries (a fetch session's partitions)", async () => {
    const { consumer } = consumerAnswering([
      {
        highWatermark: 1n,
        logStartOffset: 0n,
        abortedTransactions: [],
        records: [entries(PID_B, 0n, 'mine')],
        others: [
          {
            topicId: 'topic-id',
            partitions: [
              {
                partitionIndex: 1,
                errorCode: 0,
                highWatermark: 9n,
                records: [entries(PID_A, 0n, 'other-1')],
              },
            ],
          },
          { topicId: 'another-topic', partitions: [{ partitionIndex: 0, errorCode: 0, records: [] }] },
        ],
      },
    ]);
    const store = new MemorySeenStore();
    expect(await restore(consumer, TOPIC, 0, store, 35 * 86_400_000)).toMatchObject({ records: 1 });
    expect(store.seenAt('mine')).toBe(AT);
    expect(store.seenAt('other-1')).toBeUndefined();
  });

  it("fails on its partition's error code (the session then restores again)", async () => {
    const { consumer } = consumerAnswering([{ highWatermark: 5n, errorCode: 6 }]);
    await expect(restore(consumer, TOPIC, 0, new MemorySeenStore(), 35 * 86_400_000)).rejects.toThrow(
      /leader/i,
    );
  });

  it('fetches nothing from an empty changelog (the broker would hold the fetch its whole wait)', async () => {
    const { consumer, fetched } = consumerAnswering([{ highWatermark: 0n }]);
    const store = new MemorySeenStore();
    expect(await restore(consumer, TOPIC, 0, store, 35 * 86_400_000)).toEqual({
      from: 0n,
      records: 0,
      newest: undefined,
    });
    expect(fetched).toEqual([]);
  });
  it('drops each of two aborted transactions of one producer that one fetch reports, and its commit between them', async () => {
    const { consumer } = consumerAnswering([
      {
        highWatermark: 9n,
        logStartOffset: 0n,
        // Producer A aborted twice (offsets 0 and 5): the newer report must not hide the older one.
        abortedTransactions: [
          { producerId: PID_A, firstOffset: 0n },
          { producerId: PID_A, firstOffset: 5n },
        ],
        records: [
          entries(PID_A, 0n, 'a-aborted-1'),
          marker(PID_A, 1n, 'abort'),
          entries(PID_A, 2n, 'a-1', 'a-2'),
          marker(PID_A, 4n, 'commit'),
          entries(PID_A, 5n, 'a-aborted-2', 'a-aborted-3'),
          marker(PID_A, 7n, 'abort'),
          entries(PID_B, 8n, 'b-1'),
        ],
      },
    ]);
    const store = new MemorySeenStore();
    await restore(consumer, TOPIC, 0, store, 35 * 86_400_000);
    for (const id of ['a-1', 'a-2', 'b-1']) expect(store.seenAt(id)).toBe(AT);
    for (const id of ['a-aborted-1', 'a-aborted-2', 'a-aborted-3']) expect(store.seenAt(id)).toBeUndefined();
  });
});
