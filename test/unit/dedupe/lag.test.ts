import { FetchIsolationLevels } from '@platformatic/kafka';
import { measureLag, watchLag } from '../../../src/dedupe/lag';

/** A consumer whose last stable offsets and committed offsets are given, by topic then partition. */
function consumerWith(ends: Record<string, bigint[]>, committed: Record<string, bigint[]>) {
  const asked: unknown[] = [];
  return {
    asked,
    listOffsets: jest.fn((options: unknown) => {
      asked.push(options);
      return Promise.resolve(new Map(Object.entries(ends)));
    }),
    listCommittedOffsets: jest.fn(() => Promise.resolve(new Map(Object.entries(committed)))),
  };
}

describe('measureLag', () => {
  it('is the last stable offset minus the committed offset, per partition held', async () => {
    const consumer = consumerWith({ a: [100n, 50n, 7n], b: [10n] }, { a: [100n, 20n, 3n], b: [-1n] });
    const lags = await measureLag(consumer, [
      { topic: 'a', partition: 1 },
      { topic: 'a', partition: 2 },
      { topic: 'b', partition: 0 },
    ]);
    expect(lags).toEqual([
      { topic: 'a', partition: 1, lag: 30 },
      { topic: 'a', partition: 2, lag: 4 },
      // Never committed: the group starts from the partition's start.
      { topic: 'b', partition: 0, lag: 10 },
    ]);
    expect(consumer.asked).toEqual([
      {
        topics: ['a', 'b'],
        partitions: { a: [1, 2], b: [0] },
        isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      },
    ]);
  });

  it('asks nothing when no partition is held', async () => {
    const consumer = consumerWith({}, {});
    expect(await measureLag(consumer as never, [])).toEqual([]);
    expect(consumer.listOffsets).not.toHaveBeenCalled();
  });
});

describe('watchLag', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('measures every interval until stopped, and skips a failed measure', async () => {
    const consumer = consumerWith({ a: [5n] }, { a: [2n] });
    const seen: number[] = [];
    const logger = { debug: jest.fn() };
    const stop = watchLag(
      consumer,
      () => [{ topic: 'a', partition: 0 }],
      1_000,
      (lags) => seen.push(lags[0]!.lag),
      logger,
    );
    await jest.advanceTimersByTimeAsync(1_000);
    expect(seen).toEqual([3]);
    consumer.listOffsets.mockImplementationOnce(() => Promise.reject(new Error('broker gone')));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(seen).toEqual([3]);
    expect(logger.debug).toHaveBeenCalledTimes(1);
    stop();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(seen).toEqual([3]);
  });
});
