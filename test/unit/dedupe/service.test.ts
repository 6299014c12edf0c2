import type { Consumer, Message } from '@platformatic/kafka';
import { transactionRetryWait, underGeneration } from '../../../src/dedupe/service';

describe('underGeneration', () => {
  it("names the consumer's member and generation now, not the ones that fetched the record", () => {
    const fetched = {
      topic: 'in',
      partition: 2,
      offset: 41n,
      metadata: {
        consumer: { groupId: 'g', generationId: 3, memberId: 'm-old', coordinatorId: 1 },
        other: 'kept',
      },
    } as unknown as Message;
    const consumer = { groupId: 'g', generationId: 4, memberId: 'm-new', coordinatorId: 2 } as Consumer;
    const commit = underGeneration(fetched, consumer);
    expect(commit).toMatchObject({ topic: 'in', partition: 2, offset: 41n });
    expect(commit.metadata).toEqual({
      consumer: { groupId: 'g', generationId: 4, memberId: 'm-new', coordinatorId: 2 },
      other: 'kept',
    });
    expect((fetched.metadata.consumer as { generationId: number }).generationId).toBe(3);
  });
});

describe('transactionRetryWait', () => {
  it("waits 20 ms before the library's first retry (its attempt 1), doubling up to 1 s", () => {
    expect([1, 2, 3, 6, 7, 20].map(transactionRetryWait)).toEqual([20, 40, 80, 640, 1_000, 1_000]);
  });
});
