/**
 * How far a member is behind on the partitions it holds: per input partition, its last stable offset (what a
 * read_committed reader can see) minus the group's committed offset. Both are asked of the broker: the service
 * commits its offsets inside its transactions, which the library's own getLag does not see (it counts only the
 * commits of its stream).
 */
import { FetchIsolationLevels, type Consumer } from '@platformatic/kafka';
import type { Logger } from '../observability';
import type { TopicPartition } from './assigned-states';

export interface PartitionLag extends TopicPartition {
  /** Records not deduplicated yet; from the partition's start when the group never committed there. */
  lag: number;
}

export async function measureLag(
  consumer: Pick<Consumer, 'listOffsets' | 'listCommittedOffsets'>,
  assigned: readonly TopicPartition[],
): Promise<PartitionLag[]> {
  if (assigned.length === 0) return [];
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of assigned) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  const [ends, committed] = await Promise.all([
    consumer.listOffsets({
      topics: [...byTopic.keys()],
      partitions: Object.fromEntries(byTopic),
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    }),
    consumer.listCommittedOffsets({
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    }),
  ]);
  return assigned.flatMap(({ topic, partition }) => {
    const end = ends.get(topic)?.[partition];
    if (end === undefined) return [];
    const from = committed.get(topic)?.[partition] ?? -1n;
    return [{ topic, partition, lag: Number(end - (from < 0n ? 0n : from)) }];
  });
}

/**
 * Measures the lag of the partitions `assigned()` names every `intervalMs`, one measure at a time, until the
 * returned stop is called. A failed measure is skipped (the session's own requests report Kafka's failures).
 */
export function watchLag(
  consumer: Pick<Consumer, 'listOffsets' | 'listCommittedOffsets'>,
  assigned: () => readonly TopicPartition[],
  intervalMs: number,
  onLag: (lags: PartitionLag[]) => void,
  logger: Pick<Logger, 'debug'>,
): () => void {
  let measuring = false;
  const timer = setInterval(() => {
    if (measuring) return;
    measuring = true;
    measureLag(consumer, assigned())
      .then(onLag, (err: unknown) => logger.debug({ err }, 'dedupe lag not measured'))
      .finally(() => (measuring = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
