/**
 * The dedupe step of one batch, pure: which input records are emitted (the first of each eventId not remembered
 * within the window), the output and changelog records they give, and what each partition's store is to remember
 * once the batch's transaction commits. Nothing here touches Kafka or changes a store.
 */
import type { MessageToProduce } from '@platformatic/kafka';
import { RECORD_HEADERS } from '../events/encode';
import { changelogRecord } from './changelog';
import type { SeenEntry, SeenStore } from './seen-store';

/** What the step reads of a consumed record. */
export interface InputRecord {
  topic: string;
  partition: number;
  offset: bigint;
  key: Buffer | undefined;
  value: Buffer | undefined;
  headers: Map<Buffer, Buffer>;
  timestamp: bigint;
}

/** Where one input topic's records and state go. */
export interface Route {
  output: string;
  changelog: string;
}

export interface Decision {
  /** Output records, then changelog records, in input order within each partition. */
  records: MessageToProduce[];
  /** Per `topic:partition`: what its store remembers after the commit. */
  remember: Map<string, SeenEntry[]>;
  counts: BatchCounts;
}

export interface BatchCounts {
  consumed: number;
  emitted: number;
  duplicates: number;
  /** Records without an `event-id` header: passed through, since they cannot be recognized. */
  unidentified: number;
}

export const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;

const EVENT_ID_HEADER = Buffer.from(RECORD_HEADERS.eventId);

/** The record's eventId from its header; the value is never decoded. */
export function eventIdOf(headers: Map<Buffer, Buffer>): string | undefined {
  for (const [name, value] of headers) {
    if (name.equals(EVENT_ID_HEADER)) return value.toString();
  }
  return undefined;
}

export function decide(
  records: readonly InputRecord[],
  routes: ReadonlyMap<string, Route>,
  stores: ReadonlyMap<string, SeenStore>,
  windowMs: number,
): Decision {
  const outputs: MessageToProduce[] = [];
  const changelog: MessageToProduce[] = [];
  const remember = new Map<string, SeenEntry[]>();
  const inBatch = new Map<string, Map<string, number>>();
  const counts: BatchCounts = { consumed: records.length, emitted: 0, duplicates: 0, unidentified: 0 };
  for (const record of records) {
    const route = routes.get(record.topic)!;
    const key = partitionKey(record.topic, record.partition);
    const at = Number(record.timestamp);
    const eventId = eventIdOf(record.headers);
    if (eventId === undefined) {
      counts.unidentified++;
    } else {
      let batchSeen = inBatch.get(key);
      if (!batchSeen) inBatch.set(key, (batchSeen = new Map<string, number>()));
      const seenAt = batchSeen.get(eventId) ?? stores.get(key)!.seenAt(eventId);
      if (seenAt !== undefined && at < seenAt + windowMs) {
        counts.duplicates++;
        continue;
      }
      batchSeen.set(eventId, at);
      const entry = { eventId, at };
      let entries = remember.get(key);
      if (!entries) remember.set(key, (entries = []));
      entries.push(entry);
      changelog.push(changelogRecord(route.changelog, record.partition, entry));
    }
    counts.emitted++;
    outputs.push({
      topic: route.output,
      partition: record.partition,
      key: record.key,
      value: record.value,
      headers: record.headers,
      timestamp: record.timestamp,
    });
  }
  return { records: [...outputs, ...changelog], remember, counts };
}
