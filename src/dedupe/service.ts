/**
 * The dedupe loop: a consumer-group member reading the category topics read_committed, each batch deduplicated
 * (decide.ts) and committed in one transaction (batch-transaction.ts), the state of each partition assigned
 * rebuilt from its changelog at the assignment (assigned-states.ts, changelog.ts) and expired by stream time
 * (expiry.ts). docs/dedupe.md has the design and the reasons.
 *
 * A session is one consumer, one transactional producer and the states of the partitions assigned. A rebalance
 * drops every state and rebuilds the new assignment's (another member may have written in between); a batch or
 * a rebuild that fails ends the session (a batch's transaction aborted) and a new one starts from the committed
 * offsets.
 */
import { Consumer, FetchIsolationLevels, Producer, type Message } from '@platformatic/kafka';
import { setTimeout as sleep } from 'node:timers/promises';
import { forwardPlatformaticLogs, type PlatformaticConnection } from '../kafka/clients';
import type { Logger } from '../observability';
import { backoffDelay } from '../util/backoff';
import { inBatches } from './batches';
import { commitBatch } from './batch-transaction';
import {
  AssignedStates,
  heldRecords,
  type Assignment,
  type PartitionState,
  type TopicPartition,
} from './assigned-states';
import { changelogEnd, restore, type RestoreResult } from './changelog';
import { decide, partitionKey, type BatchCounts, type Route } from './decide';
import { WindowExpiry } from './expiry';
import { watchLag, type PartitionLag } from './lag';
import type { SeenStore } from './seen-store';
import type { DedupeTopics } from './topics';

export interface DedupeServiceOptions {
  connection: PlatformaticConnection;
  groupId: string;
  /** Stable across restarts of this instance: the restart fences its previous incarnation at once. */
  transactionalId: string;
  streams: readonly DedupeTopics[];
  windowMs: number;
  batchSize: number;
  lingerMs: number;
  /** How much stream time passes between two expiries of a partition's store. */
  expiryIntervalMs: number;
  createStore: (topic: string, partition: number) => SeenStore;
  logger: Logger;
  /** After each committed batch: the seam for metrics. */
  onBatch?: (summary: BatchSummary) => void;
  /** After each failed batch (aborted) or session. */
  onAbort?: (error: unknown) => void;
  /**
   * The consumer joined the group (a session's start or a rebalance): every state is dropped, and the state of
   * each partition `assigned` is rebuilt, in turn.
   */
  onJoin?: (assigned: readonly TopicPartition[]) => void;
  /** A partition's state was brought up to date from its changelog. */
  onRestored?: (summary: RestoreSummary) => void;
  /** Every LAG_INTERVAL_MS: how many records of each partition held are not deduplicated yet. */
  onLag?: (lags: PartitionLag[]) => void;
}

/** Two requests per measure; a scrape every 15 to 30 s sees a value this fresh. */
const LAG_INTERVAL_MS = 10_000;

/** One partition's state: its ids remembered now. */
export interface PartitionSize {
  topic: string;
  partition: number;
  size: number;
}

export interface RestoreSummary extends PartitionSize {
  /** The changelog offset read from: 0 for a full rebuild, else the store's checkpoint. */
  from: bigint;
  /** Changelog records read. */
  records: number;
  durationMs: number;
}

export interface BatchSummary extends BatchCounts {
  /** Records left out (heldRecords): of a partition not held any more, or read again after a rewind. */
  stale: number;
  /** Ids remembered now, over the partitions this member holds. */
  stateSize: number;
  /** Ids remembered now, per partition this member holds. */
  stateSizes: PartitionSize[];
  /** From the stream's hand-over of the batch to its commit (a state rebuild it waited for included). */
  durationMs: number;
}

export class DedupeService {
  private readonly routes: ReadonlyMap<string, Route>;

  constructor(private readonly options: DedupeServiceOptions) {
    this.routes = new Map(
      options.streams.map(({ input, output, changelog }) => [input, { output, changelog }]),
    );
  }

  /** Runs sessions until `signal` aborts; the batch in flight then commits and the member leaves the group. */
  async run(signal: AbortSignal): Promise<void> {
    for (let failures = 0; !signal.aborted;) {
      try {
        await this.session(signal);
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        failures++;
        this.options.onAbort?.(error);
        this.options.logger.warn({ err: error, failures }, 'dedupe session failed, starting anew');
        await sleep(backoffDelay(failures, { baseMs: 200, maxMs: 5_000 }), undefined, { signal }).catch(
          () => undefined,
        );
      }
    }
  }

  private async session(signal: AbortSignal): Promise<void> {
    const { connection, groupId, transactionalId, logger, batchSize, lingerMs } = this.options;
    const consumer = new Consumer({
      ...connection,
      groupId,
      autocommit: false,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      maxWaitTime: Math.max(lingerMs, 100),
      // Kafka's own max.partition.fetch.bytes: the library's default is the whole fetch's 50 MiB, so one
      // partition's backlog could fill a fetch and the other partitions' records wait behind all of it.
      maxBytesPerPartition: 1024 * 1024,
    });
    const producer = new Producer({
      ...connection,
      idempotent: true,
      transactionalId,
      autocreateTopics: false,
      // A new producer's InitProducerId must say -1/-1: the library's default (0/0) names a producer id the
      // broker never gave, and once the transactional id exists it answers PRODUCER_FENCED forever (2.12.1).
      producerId: -1n,
      producerEpoch: -1,
      // The coordinator answers CONCURRENT_TRANSACTIONS to the next batch's AddPartitionsToTxn while it writes
      // the last one's markers, for a few ms: the library's 1 s wait would be most of a batch's time.
      retryDelay: (_client, _operation, attempt) => transactionRetryWait(attempt),
    });
    // The changelogs are read by a client of their own, never joining the group: on the member's client a
    // rebuild's fetches would share the fetch sessions of the stream's, whose answers can carry other partitions.
    const changelogReader = new Consumer({
      ...connection,
      groupId,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    });
    forwardPlatformaticLogs(consumer, logger);
    forwardPlatformaticLogs(producer, logger);
    forwardPlatformaticLogs(changelogReader, logger);
    const stop = () => void stream?.close().catch(() => undefined);
    // A failed rebuild ends the session, whether a batch is waiting for it or none comes.
    let failed: { error: unknown } | undefined;
    const throwIfFailed = () => {
      if (failed) throw failed.error;
    };
    const states = new AssignedStates(
      (topic, partition, rebuildSignal) =>
        this.rebuild(changelogReader, topic, partition, AbortSignal.any([signal, rebuildSignal])),
      (error) => {
        failed ??= { error };
        stop();
      },
    );
    let assigned: readonly TopicPartition[] = [];
    consumer.on('consumer:group:join', () => {
      assigned = (consumer.assignments ?? []).flatMap(({ topic, partitions }) =>
        partitions.map((partition) => ({ topic, partition })),
      );
      this.options.onJoin?.(assigned);
      states.assign(consumer.generationId, assigned);
    });
    const { onLag } = this.options;
    const stopLag = onLag ? watchLag(consumer, () => assigned, LAG_INTERVAL_MS, onLag, logger) : undefined;
    let stream: Awaited<ReturnType<Consumer['consume']>> | undefined;
    try {
      stream = await consumer.consume({
        topics: [...this.routes.keys()],
        mode: 'committed',
        fallbackMode: 'earliest',
      });
      // The first join's rebuild starts within consume(), before there was a stream to stop.
      throwIfFailed();
      signal.addEventListener('abort', stop, { once: true });
      for await (const batch of inBatches(stream, batchSize, lingerMs)) {
        const started = performance.now();
        await states.withLatest((assignment) => this.process(batch, started, consumer, producer, assignment));
      }
      throwIfFailed();
    } finally {
      stopLag?.();
      signal.removeEventListener('abort', stop);
      await stream?.close().catch(() => undefined);
      await states.close();
      await consumer.close(true).catch(() => undefined);
      await producer.close(true).catch(() => undefined);
      await changelogReader.close(true).catch(() => undefined);
    }
  }

  private async process(
    batch: readonly Message[],
    started: number,
    consumer: Consumer,
    producer: Producer,
    { generationId, states }: Assignment,
  ): Promise<void> {
    // The consumer joined a newer generation than the states (its SyncGroup answered, the join not told yet):
    // the batch cannot be committed under either. Ending the session loses nothing: a new one reads again from
    // the committed offsets; dropping the batch could lose records (heldRecords).
    if (consumer.generationId !== generationId) {
      throw new Error(`generation ${consumer.generationId} joined while deciding under ${generationId}`);
    }
    const current = heldRecords(batch, states);
    const last = new Map<string, Message>();
    for (const message of current) last.set(partitionKey(message.topic, message.partition), message);
    const stores = new Map<string, SeenStore>();
    for (const key of last.keys()) stores.set(key, states.get(key)!.store);
    const decision = decide(current, this.routes, stores, this.options.windowMs);
    let written = {};
    if (current.length > 0) {
      const { logger } = this.options;
      const offsets = [...last.values()].map((message) => underGeneration(message, consumer));
      written = await commitBatch(producer, consumer, decision.records, offsets, () =>
        logger.debug({ records: decision.records.length, partitions: last.size }, 'dedupe batch sent'),
      );
    }
    for (const [key, message] of last) states.get(key)!.position = message.offset + 1n;
    for (const [key, entries] of decision.remember) {
      const { topic, partition } = last.get(key)!;
      const next = changelogEnd(written, this.routes.get(topic)!.changelog, partition, entries.length);
      stores.get(key)!.remember(entries, next);
    }
    for (const [key, message] of last) await states.get(key)!.expiry.advance(Number(message.timestamp));
    const stateSizes = [...states.values()].map(({ topic, partition, store }) => ({
      topic,
      partition,
      size: store.size,
    }));
    this.options.onBatch?.({
      ...decision.counts,
      stale: batch.length - current.length,
      stateSize: stateSizes.reduce((sum, { size }) => sum + size, 0),
      stateSizes,
      durationMs: performance.now() - started,
    });
  }

  private async rebuild(
    changelogReader: Consumer,
    topic: string,
    partition: number,
    signal: AbortSignal,
  ): Promise<PartitionState> {
    const { windowMs, expiryIntervalMs, createStore, logger, onRestored } = this.options;
    const store = createStore(topic, partition);
    const started = performance.now();
    let restored: RestoreResult;
    try {
      restored = await restore(
        changelogReader,
        this.routes.get(topic)!.changelog,
        partition,
        store,
        windowMs,
        signal,
      );
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
    const { from, records, newest } = restored;
    const durationMs = performance.now() - started;
    logger.info(
      { topic, partition, from: Number(from), records, remembered: store.size, ms: Math.round(durationMs) },
      from === 0n
        ? 'dedupe state rebuilt from its changelog'
        : "dedupe state caught up on its changelog's tail",
    );
    onRestored?.({ topic, partition, size: store.size, from, records, durationMs });
    return { topic, partition, store, expiry: new WindowExpiry(store, windowMs, expiryIntervalMs, newest) };
  }
}

/**
 * 20 ms doubling up to 1 s (Kafka's Java producer waits 20 ms after CONCURRENT_TRANSACTIONS); the library counts
 * the first retry as attempt 1.
 */
export const transactionRetryWait = (attempt: number) => Math.min(20 * 2 ** (attempt - 1), 1_000);

/** The group member a consumed record's offset commit names (library: from its metadata): the consumer's now. */
export function underGeneration(message: Message, consumer: Consumer): Message {
  const { groupId, generationId, memberId, coordinatorId } = consumer;
  return {
    ...message,
    metadata: { ...message.metadata, consumer: { groupId, generationId, memberId, coordinatorId } },
  };
}
