/**
 * The dedupe loop: a consumer-group member reading the category topics read_committed, each batch deduplicated
 * (decide.ts) and committed in one transaction (batch-transaction.ts), each partition's state rebuilt from its
 * changelog before its first batch (changelog.ts) and expired by stream time (expiry.ts). docs/dedupe.md has the
 * design and the reasons.
 *
 * A session is one consumer, one transactional producer and the states of the partitions it met. A rebalance
 * drops every state (rebuilt on the next record: another member may have written in between); a batch that
 * fails ends the session (its transaction aborted) and a new one starts from the committed offsets.
 */
import { Consumer, FetchIsolationLevels, Producer, type Message } from '@platformatic/kafka';
import { setTimeout as sleep } from 'node:timers/promises';
import { forwardPlatformaticLogs, type PlatformaticConnection } from '../kafka/clients';
import type { Logger } from '../observability';
import { backoffDelay } from '../util/backoff';
import { inBatches } from './batches';
import { commitBatch } from './batch-transaction';
import { changelogEnd, restore } from './changelog';
import { decide, partitionKey, type BatchCounts, type Route } from './decide';
import { WindowExpiry } from './expiry';
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
  /** The consumer joined the group (a session's start or a rebalance): every state is dropped. */
  onJoin?: () => void;
  /** A partition's state rebuild starts. */
  onRestoreStart?: (topic: string, partition: number) => void;
  /** A partition's state was brought up to date from its changelog. */
  onRestored?: (summary: RestoreSummary) => void;
}

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
  /** Records of an earlier generation, left for the stream to deliver again from the committed offsets. */
  stale: number;
  /** Ids remembered now, over the partitions this member holds. */
  stateSize: number;
  /** Ids remembered now, per partition this member holds. */
  stateSizes: PartitionSize[];
  /** From the stream's hand-over of the batch to its commit (state rebuilds included). */
  durationMs: number;
}

interface PartitionState {
  topic: string;
  partition: number;
  store: SeenStore;
  expiry: WindowExpiry;
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
    forwardPlatformaticLogs(consumer, logger);
    forwardPlatformaticLogs(producer, logger);
    const states = new Map<string, PartitionState>();
    let rebalanced = false;
    consumer.on('consumer:group:join', () => {
      rebalanced = true;
      this.options.onJoin?.();
    });
    const stop = () => void stream?.close().catch(() => undefined);
    let stream: Awaited<ReturnType<Consumer['consume']>> | undefined;
    try {
      stream = await consumer.consume({
        topics: [...this.routes.keys()],
        mode: 'committed',
        fallbackMode: 'earliest',
      });
      signal.addEventListener('abort', stop, { once: true });
      for await (const batch of inBatches(stream, batchSize, lingerMs)) {
        if (rebalanced) {
          rebalanced = false;
          await closeAll(states);
        }
        await this.process(batch, consumer, producer, states, signal);
      }
    } finally {
      signal.removeEventListener('abort', stop);
      await stream?.close().catch(() => undefined);
      await closeAll(states);
      await consumer.close(true).catch(() => undefined);
      await producer.close(true).catch(() => undefined);
    }
  }

  private async process(
    batch: readonly Message[],
    consumer: Consumer,
    producer: Producer,
    states: Map<string, PartitionState>,
    signal: AbortSignal,
  ): Promise<void> {
    const started = performance.now();
    const current = batch.filter((message) => generationOf(message) === consumer.generationId);
    const last = new Map<string, Message>();
    for (const message of current) last.set(partitionKey(message.topic, message.partition), message);
    const stores = new Map<string, SeenStore>();
    for (const [key, { topic, partition }] of last) {
      let state = states.get(key);
      if (!state) {
        state = await this.rebuild(consumer, topic, partition, signal);
        states.set(key, state);
      }
      stores.set(key, state.store);
    }
    const decision = decide(current, this.routes, stores, this.options.windowMs);
    let written = {};
    if (current.length > 0) {
      const { logger } = this.options;
      written = await commitBatch(producer, consumer, decision.records, [...last.values()], () =>
        logger.debug({ records: decision.records.length, partitions: last.size }, 'dedupe batch sent'),
      );
    }
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
    consumer: Consumer,
    topic: string,
    partition: number,
    signal: AbortSignal,
  ): Promise<PartitionState> {
    const { windowMs, expiryIntervalMs, createStore, logger, onRestoreStart, onRestored } = this.options;
    onRestoreStart?.(topic, partition);
    const store = createStore(topic, partition);
    const started = performance.now();
    const { from, records, newest } = await restore(
      consumer,
      this.routes.get(topic)!.changelog,
      partition,
      store,
      windowMs,
      signal,
    );
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

/** 20 ms doubling up to 1 s (Kafka's Java producer waits 20 ms after CONCURRENT_TRANSACTIONS). */
const transactionRetryWait = (attempt: number) => Math.min(20 * 2 ** attempt, 1_000);

function generationOf(message: Message): number | undefined {
  return (message.metadata.consumer as { generationId?: number } | undefined)?.generationId;
}

async function closeAll(states: Map<string, PartitionState>): Promise<void> {
  await Promise.all([...states.values()].map(({ store }) => store.close()));
  states.clear();
}
