/**
 * The batcher in front of the producer: concurrent publish() calls are gathered into one sendBatch, with at most
 * one sendBatch in flight, and each caller's promise settles with its own record's partition and offset.
 *
 * One in flight is the throughput design (a batch fills while the previous one travels) and the guard against
 * kafkajs #1005: concurrent send() calls on an idempotent producer silently drop records.
 *
 * Bounded on every side: a full queue rejects at once (QueueFullError), a record not acknowledged within
 * deliveryTimeoutMs rejects (DeliveryTimeoutError), and close() returns once every accepted record has an answer.
 *
 * The Delivery without a spool (delivery.ts): a failed batch, an expired deadline or a full queue makes status()
 * report Kafka unavailable until the next acknowledged batch. A failed batch fails every record queued behind it
 * too, so that no record of a key is written after a failed older one of that key.
 */
import type { Message, RecordMetadata, TopicMessages } from 'kafkajs';
import type { ProducerConfig } from '../config';
import { recordBytes } from '../events/encode';
import type { Delivery, DeliveryRecord, DeliveryStatus, KafkaReceipt } from './delivery';
import { DeliveryTimeoutError, KafkaUnavailableError, QueueFullError, ShuttingDownError } from './errors';
import type { BatchProducer } from './producer';

export interface PublisherOptions extends ProducerConfig {
  /** Called after every acknowledged batch, for metrics. */
  onBatch?: (records: number, bytes: number, durationMs: number) => void;
}

export interface PublisherStats {
  queuedRecords: number;
  queuedBytes: number;
  inFlightRecords: number;
  batchesSent: number;
  batchesFailed: number;
  lastBatchRecords: number;
  lastBatchBytes: number;
  lastBatchDurationMs: number;
}

interface Pending {
  readonly topic: string;
  /** Handed to the producer as is; it writes `partition` onto it (producer.ts, platformatic-producer.ts). */
  readonly message: Message;
  readonly bytes: number;
  /** performance.now() time by which Kafka must have acknowledged. */
  readonly deadline: number;
  settled: boolean;
  resolve(receipt: KafkaReceipt): void;
  reject(error: Error): void;
}

interface OffsetCursor {
  base: bigint;
  next: bigint;
}

type State = 'new' | 'running' | 'closing' | 'closed';

export class Publisher implements Delivery {
  private state: State = 'new';
  /** Set by a delivery failure (delivery.ts), cleared by the next acknowledged batch. */
  private kafkaFailing = false;
  /** FIFO; since every record gets the same delivery timeout, also ordered by deadline. */
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private inFlight: Pending[] | undefined;
  private lingerTimer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** One timer for all deadlines, armed at or before the oldest unsettled record's deadline. */
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** Set by close(): called once nothing queued is left and no record of a batch in flight awaits an answer. */
  private onIdle: (() => void) | undefined;
  /** idle() callers: woken once nothing is queued and no batch is in flight. */
  private idleWaiters: (() => void)[] = [];
  private closed: Promise<void> | undefined;
  private batchesSent = 0;
  private batchesFailed = 0;
  private lastBatchRecords = 0;
  private lastBatchBytes = 0;
  private lastBatchDurationMs = 0;

  constructor(
    private readonly producer: BatchProducer,
    private readonly options: Readonly<PublisherOptions>,
  ) {}

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`Publisher.start() when ${this.state}`);
    try {
      await this.producer.connect();
    } catch (err) {
      throw new KafkaUnavailableError('Could not connect to Kafka', { cause: err });
    }
    if (this.state === 'new') this.state = 'running';
  }

  deliver(record: DeliveryRecord): Promise<KafkaReceipt> {
    if (this.state !== 'running') {
      return Promise.reject(
        this.state === 'new' ? new Error('Publisher.deliver() before start()') : new ShuttingDownError(),
      );
    }
    const bytes = recordBytes(record);
    if (
      this.queue.length >= this.options.maxQueuedRecords ||
      this.queuedBytes + bytes > this.options.maxQueuedBytes
    ) {
      this.kafkaFailing = true;
      return Promise.reject(new QueueFullError(this.retryAfterSeconds()));
    }
    return new Promise<KafkaReceipt>((resolve, reject) => {
      const { topic, key, value, headers, timestamp } = record;
      const deadline = performance.now() + this.options.deliveryTimeoutMs;
      this.queue.push({
        topic,
        message: {
          key,
          value,
          headers,
          ...(timestamp !== undefined ? { timestamp: String(timestamp) } : {}),
        },
        bytes,
        deadline,
        settled: false,
        resolve,
        reject,
      });
      this.queuedBytes += bytes;
      this.deadlineTimer ??= this.armDeadline(deadline);
      this.schedule();
    });
  }

  /**
   * Stops accepting (publish() rejects with SHUTTING_DOWN), sends what is queued without lingering, waits for
   * every accepted record's answer, then disconnects. Bounded by deliveryTimeoutMs: a batch that kafkajs is
   * still retrying then (it retries an idempotent batch without limit) no longer has anyone waiting for it.
   * kafkajs keeps retrying such a batch even after disconnect (it reconnects), so the process should exit after.
   */
  close(): Promise<void> {
    this.closed ??= this.shutDown();
    return this.closed;
  }

  status(): DeliveryStatus {
    return {
      mode: 'direct',
      unavailable: this.kafkaFailing ? 'kafka-unavailable' : undefined,
      queuedRecords: this.queue.length,
    };
  }

  idle(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === undefined) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stats(): PublisherStats {
    return {
      queuedRecords: this.queue.length,
      queuedBytes: this.queuedBytes,
      inFlightRecords: this.inFlight?.length ?? 0,
      batchesSent: this.batchesSent,
      batchesFailed: this.batchesFailed,
      lastBatchRecords: this.lastBatchRecords,
      lastBatchBytes: this.lastBatchBytes,
      lastBatchDurationMs: this.lastBatchDurationMs,
    };
  }

  private async shutDown(): Promise<void> {
    this.state = 'closing';
    await new Promise<void>((resolve) => {
      this.onIdle = resolve;
      if (this.inFlight === undefined && this.queue.length > 0) this.sendNow();
      else this.checkIdle();
    });
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.state = 'closed';
    await this.producer.disconnect();
  }

  /** Called after a record joined the queue. */
  private schedule(): void {
    // A batch in flight sends what queued up meanwhile as soon as it completes.
    if (this.inFlight !== undefined) return;
    if (this.queue.length >= this.options.maxBatchRecords || this.queuedBytes >= this.options.maxBatchBytes) {
      this.sendNow();
    } else {
      this.lingerTimer ??=
        this.options.lingerMs === 0
          ? setImmediate(this.lingered)
          : setTimeout(this.lingered, this.options.lingerMs);
    }
  }

  private readonly lingered = (): void => {
    this.lingerTimer = undefined;
    if (this.inFlight === undefined) void this.send();
  };

  private sendNow(): void {
    if (this.options.lingerMs === 0) clearImmediate(this.lingerTimer as NodeJS.Immediate | undefined);
    else clearTimeout(this.lingerTimer as NodeJS.Timeout | undefined);
    this.lingerTimer = undefined;
    void this.send();
  }

  /** Sends one batch from the head of the queue, then the next while records are queued. Never rejects. */
  private async send(): Promise<void> {
    const { batch, bytes } = this.takeBatch();
    if (batch.length === 0) return this.checkIdle();
    this.inFlight = batch;
    const started = performance.now();
    let acks: RecordMetadata[] | undefined;
    try {
      acks = await this.producer.sendBatch({ acks: -1, topicMessages: groupByTopic(batch) });
    } catch (err) {
      this.batchesFailed++;
      this.kafkaFailing = true;
      // One error for the whole batch: it failed as one.
      const error = new KafkaUnavailableError('Kafka did not accept the event', { cause: err });
      for (const pending of batch) settle(pending)?.reject(error);
      // What queued behind the batch fails with it: sent now, a newer record of a key could reach Kafka before
      // the failed one's retry (the caller's or the spool's replay).
      this.failQueued(error);
    }
    const durationMs = performance.now() - started;
    if (acks !== undefined) {
      settleWithOffsets(batch, acks);
      this.kafkaFailing = false;
      this.batchesSent++;
      this.lastBatchRecords = batch.length;
      this.lastBatchBytes = bytes;
      this.lastBatchDurationMs = durationMs;
    }
    this.inFlight = undefined;
    if (this.queue.length > 0) {
      void this.send();
    } else {
      // Nothing left to expire: a timer armed for this batch would only keep the process alive.
      clearTimeout(this.deadlineTimer);
      this.deadlineTimer = undefined;
      this.checkIdle();
    }
    // Last, so that a throwing hook cannot leave the publisher stuck.
    if (acks !== undefined) this.options.onBatch?.(batch.length, bytes, durationMs);
  }

  /**
   * Rejects every queued record (none in flight): the spool took them over (spooling-publisher.ts), so sending
   * them now would put them in Kafka ahead of older records of their keys still to be replayed.
   */
  withdrawQueued(): void {
    this.failQueued(new KafkaUnavailableError('Handed off to the spool before it was sent'));
    this.checkIdle();
  }

  private failQueued(error: Error): void {
    const queued = this.queue.splice(0);
    this.queuedBytes = 0;
    for (const pending of queued) settle(pending)?.reject(error);
  }

  private takeBatch(): { batch: Pending[]; bytes: number } {
    const { maxBatchRecords, maxBatchBytes } = this.options;
    let count = 0;
    let bytes = 0;
    while (count < this.queue.length && count < maxBatchRecords) {
      const next = this.queue[count]!.bytes;
      if (count > 0 && bytes + next > maxBatchBytes) break;
      bytes += next;
      count++;
    }
    this.queuedBytes -= bytes;
    return { batch: this.queue.splice(0, count), bytes };
  }

  private armDeadline(at: number): NodeJS.Timeout {
    return setTimeout(this.expireOverdue, Math.max(0, at - performance.now()));
  }

  /** Rejects every record past its deadline: in flight (it may still be written) or queued (it never will be). */
  private readonly expireOverdue = (): void => {
    this.deadlineTimer = undefined;
    const now = performance.now();
    let nextDeadline: number | undefined;
    for (const pending of this.inFlight ?? []) {
      if (pending.settled) continue;
      if (pending.deadline > now) {
        nextDeadline = pending.deadline;
        break;
      }
      this.kafkaFailing = true;
      settle(pending)?.reject(new DeliveryTimeoutError(this.options.deliveryTimeoutMs));
    }
    let overdue = 0;
    while (overdue < this.queue.length && this.queue[overdue]!.deadline <= now) overdue++;
    if (overdue > 0) this.kafkaFailing = true;
    for (const pending of this.queue.splice(0, overdue)) {
      this.queuedBytes -= pending.bytes;
      settle(pending)?.reject(new DeliveryTimeoutError(this.options.deliveryTimeoutMs));
    }
    nextDeadline ??= this.queue[0]?.deadline;
    if (nextDeadline !== undefined) this.deadlineTimer = this.armDeadline(nextDeadline);
    this.checkIdle();
  };

  private checkIdle(): void {
    if (this.queue.length > 0) return;
    if (this.inFlight === undefined) for (const wake of this.idleWaiters.splice(0)) wake();
    if (this.onIdle !== undefined && (this.inFlight === undefined || this.inFlight.every((p) => p.settled))) {
      const onIdle = this.onIdle;
      this.onIdle = undefined;
      onIdle();
    }
  }

  /** The time the queue needs to drain at the last batch's pace; at least a second. */
  private retryAfterSeconds(): number {
    const batchesAhead = Math.ceil(this.queue.length / this.options.maxBatchRecords);
    return Math.max(1, Math.ceil((batchesAhead * this.lastBatchDurationMs) / 1000));
  }
}

/** Marks a record answered; returns it only if it was not answered before (a deadline may have come first). */
function settle(pending: Pending): Pending | undefined {
  if (pending.settled) return undefined;
  pending.settled = true;
  return pending;
}

function groupByTopic(batch: readonly Pending[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const { topic, message } of batch) {
    const messages = byTopic.get(topic);
    if (messages) messages.push(message);
    else byTopic.set(topic, [message]);
  }
  return Array.from(byTopic, ([topic, messages]) => ({ topic, messages }));
}

/**
 * sendBatch answers with one base offset per partition. Both producers write a partition's records as one record
 * batch in the order we gave them (kafkajs: src/producer/groupMessagesPerPartition.js; @platformatic/kafka: its
 * Produce request groups by partition in order), so the i-th record of a partition in our batch has offset
 * base + i; records already answered by their deadline still count for i.
 */
function settleWithOffsets(batch: readonly Pending[], acks: readonly RecordMetadata[]): void {
  const cursors = new Map<string, Map<number, OffsetCursor>>();
  for (const { topicName, partition, baseOffset } of acks) {
    if (baseOffset === undefined) continue;
    let byPartition = cursors.get(topicName);
    if (byPartition === undefined) cursors.set(topicName, (byPartition = new Map<number, OffsetCursor>()));
    byPartition.set(partition, { base: BigInt(baseOffset), next: 0n });
  }
  for (const pending of batch) {
    const { topic, message } = pending;
    const { partition } = message;
    const cursor = partition === undefined ? undefined : cursors.get(topic)?.get(partition);
    if (partition === undefined) {
      // A producer breaking the BatchProducer contract (producer.ts), not Kafka failing: no 503 disguise.
      settle(pending)?.reject(new Error(`sendBatch said nothing of where a record of ${topic} went`));
      continue;
    }
    if (cursor === undefined) {
      // Not written. kafkajs does this when a partition's leader moved during its retries: it re-sends only to
      // brokers that had not answered yet, so a partition whose new leader had answered for others is left out of
      // both the request and the answer (seen with a paused leader: the cluster fault test). Retriable, as any
      // record Kafka did not take.
      settle(pending)?.reject(
        new KafkaUnavailableError(`Kafka acknowledged the batch without ${topic} partition ${partition}`),
      );
      continue;
    }
    const offset = cursor.base + cursor.next++;
    settle(pending)?.resolve({ held: 'kafka', topic, partition, offset: offset.toString() });
  }
}
