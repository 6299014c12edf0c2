/**
 * Reads the records of topics written within a time window, by Kafka timestamp: each partition from the first
 * offset at or after `since` up to, not including, the first at or after `until` (admin
 * fetchTopicOffsetsByTimestamp; a partition with none gives its end), then stops. What is written meanwhile lies
 * past the ends and is not read. A throwaway consumer group, deleted afterwards, commits nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { ReplayError } from './errors';

export interface TimeWindow {
  /** Epoch ms, inclusive. */
  since: number;
  /** Epoch ms, exclusive. */
  until: number;
}

export interface WindowRecord {
  topic: string;
  partition: number;
  offset: string;
  message: KafkaMessage;
}

export interface ReadWindowOptions {
  /** Given the records of one fetched batch, in offset order; awaited before the next batch. */
  onRecords: (records: readonly WindowRecord[]) => Promise<void>;
  /** Fails the read when the ends are not reached by then (a broker gone mid-read). */
  timeoutMs?: number;
  /** The consumer group's prefix; a random suffix keeps it to this read. */
  groupPrefix?: string;
}

interface Range {
  next: bigint;
  end: bigint;
}

/** Resolves with how many records were read, once every partition's range has been read. */
export async function readWindow(
  kafka: Kafka,
  topics: readonly string[],
  window: TimeWindow,
  options: ReadWindowOptions,
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ranges = await rangesOf(admin, topics, window);
    if (ranges.size === 0) return 0;
    const groupId = `${options.groupPrefix ?? 'thingspace-bridge-replay'}-${randomUUID()}`;
    try {
      return await consume(kafka, groupId, ranges, options);
    } finally {
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
  } finally {
    await admin.disconnect();
  }
}

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** The non-empty ranges, by topic and partition. */
async function rangesOf(
  admin: Admin,
  topics: readonly string[],
  { since, until }: TimeWindow,
): Promise<Map<string, Range>> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic));
  if (missing.length > 0) {
    throw new ReplayError('REPLAY_TOPIC_MISSING', `no such topic: ${missing.join(', ')}`);
  }
  const ranges = new Map<string, Range>();
  for (const topic of topics) {
    const starts = await admin.fetchTopicOffsetsByTimestamp(topic, since);
    const ends = await admin.fetchTopicOffsetsByTimestamp(topic, until);
    for (const { partition, offset } of starts) {
      const end = ends.find((e) => e.partition === partition);
      if (end === undefined || BigInt(end.offset) <= BigInt(offset)) continue;
      ranges.set(keyOf(topic, partition), { next: BigInt(offset), end: BigInt(end.offset) });
    }
  }
  return ranges;
}

async function consume(
  kafka: Kafka,
  groupId: string,
  ranges: Map<string, Range>,
  options: ReadWindowOptions,
): Promise<number> {
  const { timeoutMs = 120_000 } = options;
  const pending = new Set(ranges.keys());
  const holding = [...new Set([...ranges.keys()].map((key) => key.slice(0, key.indexOf('\u0000'))))];
  const consumer = kafka.consumer({ groupId });
  let read = 0;
  let failed = false;
  let timer: NodeJS.Timeout | undefined;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: holding, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`the window was not read within ${timeoutMs} ms (${pending.size} partitions short)`),
          ),
        timeoutMs,
      );
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const range = ranges.get(keyOf(batch.topic, batch.partition));
            if (range === undefined || failed) return;
            const records: WindowRecord[] = [];
            for (const message of batch.messages) {
              const offset = BigInt(message.offset);
              // Below: read before the seek took effect, or again after a rejoin.
              if (offset < range.next || offset >= range.end) continue;
              records.push({
                topic: batch.topic,
                partition: batch.partition,
                offset: message.offset,
                message,
              });
              range.next = offset + 1n;
            }
            if (records.length > 0) {
              try {
                await options.onRecords(records);
              } catch (err) {
                // Not thrown to kafkajs, which would fetch the batch again and again.
                failed = true;
                reject(err instanceof Error ? err : new Error(String(err)));
                return;
              }
              read += records.length;
            }
            // Compacted or aborted records leave gaps: the batch's last offset says how far the log went.
            if (BigInt(batch.lastOffset()) + 1n >= range.end) range.next = range.end;
            if (range.next >= range.end && pending.delete(keyOf(batch.topic, batch.partition))) {
              if (pending.size === 0) resolve();
            }
          },
        })
        .catch(reject);
      for (const [key, { next }] of ranges) {
        const [topic, partition] = key.split('\u0000') as [string, string];
        consumer.seek({ topic, partition: Number(partition), offset: next.toString() });
      }
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return read;
}
