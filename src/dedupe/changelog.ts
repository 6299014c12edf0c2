/**
 * The changelog of one input partition's state: its records (key = eventId, value = the time as an int64
 * big-endian, epoch ms, also the record's timestamp), and the rebuild of a SeenStore from it.
 *
 * The rebuild reads the partition from the store's checkpoint (its start when the store has none or one past the
 * partition's end, the store cleared first) up to the high watermark taken when it starts, read_committed:
 * it waits for any transaction still open there (a zombie's, or a crashed incarnation's) to end, which is what
 * makes a stale committed offset harmless (docs/dedupe.md, "Fencing zombies"). Aborted transactions are filtered
 * here, across fetches: the library's own filter keeps an aborted range whose abort marker is not in the same
 * response.
 */
import {
  FetchIsolationLevels,
  ProtocolError,
  type Consumer,
  type MessageToProduce,
  type ProduceResult,
} from '@platformatic/kafka';
import type { SeenEntry, SeenStore } from './seen-store';

export function changelogRecord(topic: string, partition: number, entry: SeenEntry): MessageToProduce {
  const value = Buffer.allocUnsafe(8);
  value.writeBigInt64BE(BigInt(entry.at));
  return { topic, partition, key: Buffer.from(entry.eventId), value, timestamp: BigInt(entry.at) };
}

/** The entry of a changelog record; undefined for a record that is not one (a tombstone, a stray value). */
export function changelogEntry(key: Buffer | null, value: Buffer | null): SeenEntry | undefined {
  if (!key || !value || value.length !== 8) return undefined;
  return { eventId: key.toString(), at: Number(value.readBigInt64BE()) };
}

/**
 * The offset after the `count` changelog records one transactional send wrote to `topic`/`partition` (one record
 * batch from the base offset it gave): what a store that remembers them reflects everything before. Undefined
 * when the send did not say.
 */
export function changelogEnd(
  written: ProduceResult,
  topic: string,
  partition: number,
  count: number,
): bigint | undefined {
  const base = written.offsets?.find((o) => o.topic === topic && o.partition === partition)?.offset;
  return base === undefined ? undefined : base + BigInt(count);
}

/** The control record type of an abort marker (the key's second int16: 0 abort, 1 commit). */
const ABORT_MARKER = 0;
const IS_CONTROL = 1 << 5;
const FETCH_MAX_BYTES = 4 * 1024 * 1024;
const FETCH_MAX_WAIT_MS = 500;

export interface RestoreResult {
  /** The offset the read started from: the store's checkpoint, or 0 for a full rebuild. */
  from: bigint;
  /** Records read (the ids remembered before the window's cut). */
  records: number;
  /** The newest time read; the store has forgotten what is older than it minus the window. */
  newest: number | undefined;
}

/**
 * Brings `store` up to date from changelog partition `partition` of `topic`: from its checkpoint (else cleared,
 * from the start), every entry up to the high watermark at the start, each fetch's entries remembered with the
 * offset after them; then what is older than the window by the newest entry read expired.
 */
export async function restore(
  consumer: Consumer,
  topic: string,
  partition: number,
  store: SeenStore,
  windowMs: number,
  signal?: AbortSignal,
): Promise<RestoreResult> {
  // The high watermark, not the last stable offset: records of a transaction still open are waited for.
  const end = await endOffset(consumer, topic, partition);
  let from = store.checkpoint;
  // Past the changelog's end, the state is not this changelog's copy (the topic was recreated): start over.
  if (from !== undefined && from > end) from = undefined;
  if (from === undefined) await store.clear();
  let next = from ?? 0n;
  let records = 0;
  let newest: number | undefined;
  // Kafka's consumer's rule: an aborted transaction the broker reports starts applying at its first offset, and
  // its producer's batches are dropped until that producer's abort marker. A producer can have several aborted
  // transactions in one fetch, so the reports wait in offset order rather than by producer.
  const reported: { producerId: bigint; firstOffset: bigint }[] = [];
  const aborting = new Set<bigint>();
  // Up to what was written when the rebuild started, every transaction there ended. Nothing to read (an empty
  // changelog, a state closed at its end) costs no fetch: the broker would hold an empty one its whole wait.
  while (next < end) {
    signal?.throwIfAborted();
    const metadata = await consumer.metadata({ topics: [topic] });
    const found = metadata.topics.get(topic)!;
    const response = await consumer.fetch({
      node: found.partitions[partition]!.leader,
      topics: [
        {
          topicId: found.id,
          partitions: [
            {
              partition,
              fetchOffset: next,
              partitionMaxBytes: FETCH_MAX_BYTES,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
            },
          ],
        },
      ],
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      maxWaitTime: FETCH_MAX_WAIT_MS,
      maxBytes: FETCH_MAX_BYTES,
    });
    // Picked by topic id and partition: a response can carry other partitions (a fetch session's).
    const data = response.responses
      .flatMap(({ topicId, partitions }) => (topicId === found.id ? partitions : []))
      .find(({ partitionIndex }) => partitionIndex === partition);
    if (!data) continue;
    // A leader moved, the topic recreated...: the session fails and its next one restores again.
    if (data.errorCode !== 0) throw new ProtocolError(data.errorCode);
    if (next < data.logStartOffset) next = data.logStartOffset;
    reported.push(...(data.abortedTransactions ?? []));
    reported.sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
    const entries: SeenEntry[] = [];
    for (const batch of data.records ?? []) {
      const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
      if (last < next) continue;
      next = last + 1n;
      while (reported.length > 0 && reported[0]!.firstOffset <= last)
        aborting.add(reported.shift()!.producerId);
      if (batch.attributes & IS_CONTROL) {
        if (batch.records[0]?.key?.readInt16BE(2) === ABORT_MARKER) aborting.delete(batch.producerId);
        continue;
      }
      if (aborting.has(batch.producerId)) continue;
      for (const record of batch.records) {
        const entry = changelogEntry(record.key, record.value);
        if (!entry) continue;
        entries.push(entry);
        if (newest === undefined || entry.at > newest) newest = entry.at;
      }
    }
    store.remember(entries, next);
    records += entries.length;
  }
  if (newest !== undefined) await store.expireBefore(newest - windowMs);
  return { from: from ?? 0n, records, newest };
}

/** The changelog partition's high watermark (read_uncommitted: the consumer's own level would give the LSO). */
async function endOffset(consumer: Consumer, topic: string, partition: number): Promise<bigint> {
  const offsets = await consumer.listOffsets({
    topics: [topic],
    partitions: { [topic]: [partition] },
    isolationLevel: FetchIsolationLevels.READ_UNCOMMITTED,
  });
  return offsets.get(topic)![partition]!;
}
