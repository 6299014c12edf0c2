/**
 * The publish path with the spool: Kafka directly while it keeps up, the spool while it does not.
 *
 * 'direct': publish() goes to the Publisher. If Kafka fails the record (unavailable, delivery timeout, queue
 *   full) or has not acknowledged it within handoffMs, the record is appended to the spool and the caller
 *   resolves once it is durable; the mode becomes 'spooling'. Entering 'spooling' hands off EVERY direct attempt
 *   still pending, in arrival order, before any newer record is appended: so the spool holds records in the
 *   order they came, and a pending older record can never land after a newer spooled one of its key.
 * 'spooling' (the spool is not empty): every new record goes to the spool, none to Kafka, so no newer record of
 *   a key overtakes an older spooled one. The replayer reads the spool in order, one window at a time, and
 *   publishes it through the same Publisher once that is idle (a window is then exactly one sendBatch, so a
 *   failed batch can never be followed by a later part of the window that succeeds); after Kafka acknowledged
 *   the whole window it advances the checkpoint. When it finds the spool empty it switches back to 'direct' in
 *   that same tick: no record can be appended in between.
 *
 * A handed-off record whose direct attempt was still in flight may reach Kafka twice (that attempt, then the
 * replay): allowed, the copies carry the same eventId, and the direct copy comes first (the Publisher is FIFO).
 */
import type { BridgeError } from '../../errors';
import { DeliveryTimeoutError, KafkaUnavailableError, QueueFullError } from '../errors';
import type { Publisher, PublishedRecord, PublishRecord } from '../publisher';
import { SpoolFullError } from './errors';
import type { Spool, SpooledRecord } from './spool';

export type DeliveryMode = 'direct' | 'spooling';

/** What publish() resolves with; a spooled record has no offset yet (partition -1, offset "-1"). */
export interface DeliveredRecord extends PublishedRecord {
  spooled?: true;
}

export interface SpoolingPublisherOptions {
  handoffMs: number;
  /** The Publisher's batch limits: a replay window fits in one batch. */
  maxBatchRecords: number;
  maxBatchBytes: number;
  log: (level: 'info' | 'warn', fields: Record<string, unknown>, message: string) => void;
  onReplayed?: (records: number) => void;
}

export interface SpoolingStatus {
  mode: DeliveryMode;
  /** Set when an append was refused for space, cleared when the replayer frees some: readiness reports it. */
  full: boolean;
}

interface DirectAttempt {
  readonly record: PublishRecord;
  readonly eventId: string | undefined;
  done: boolean;
  timer: NodeJS.Timeout | undefined;
  readonly resolve: (record: DeliveredRecord) => void;
  readonly reject: (error: Error) => void;
}

const REPLAY_RETRY_MIN_MS = 250;
const REPLAY_RETRY_MAX_MS = 5_000;
const IDLE_POLL_MS = 5;

export class SpoolingPublisher {
  private mode: DeliveryMode;
  private full = false;
  /** Direct attempts not yet answered, in arrival order (a Set iterates in insertion order). */
  private readonly direct = new Set<DirectAttempt>();
  private stopped = false;
  private wakeStop: (() => void) | undefined;
  private readonly stopSignal: Promise<void>;
  private replaying: Promise<void> | undefined;

  constructor(
    private readonly publisher: Publisher,
    private readonly spool: Spool,
    private readonly options: SpoolingPublisherOptions,
  ) {
    // A spool left non-empty by the last run (a crash, Kafka down at shutdown) is replayed before anything new.
    this.mode = spool.isEmpty() ? 'direct' : 'spooling';
    this.stopSignal = new Promise((resolve) => (this.wakeStop = resolve));
  }

  status(): SpoolingStatus {
    return { mode: this.mode, full: this.full };
  }

  publish(record: PublishRecord, eventId?: string): Promise<DeliveredRecord> {
    if (this.mode === 'spooling') return this.toSpool(record, eventId);
    return new Promise<DeliveredRecord>((resolve, reject) => {
      const attempt: DirectAttempt = { record, eventId, done: false, timer: undefined, resolve, reject };
      this.direct.add(attempt);
      attempt.timer = setTimeout(() => this.enterSpooling('handoff'), this.options.handoffMs);
      this.publisher.publish(record).then(
        (published) => {
          if (attempt.done) return; // handed off already: the spool answered it
          this.finish(attempt);
          resolve(published);
        },
        (err: unknown) => {
          if (attempt.done) return;
          if (isKafkaFailure(err)) {
            this.enterSpooling((err as BridgeError).code);
          } else {
            this.finish(attempt);
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        },
      );
    });
  }

  /** Starts replaying (once the Kafka side is booted). */
  start(): void {
    this.replaying ??= this.replay();
  }

  /** Stops the replayer after its current window; the Publisher's close() settles that window's records. */
  stop(): Promise<void> {
    this.stopped = true;
    this.wakeStop?.();
    for (const attempt of this.direct) clearTimeout(attempt.timer);
    return this.replaying ?? Promise.resolve();
  }

  private finish(attempt: DirectAttempt): void {
    attempt.done = true;
    clearTimeout(attempt.timer);
    this.direct.delete(attempt);
  }

  private enterSpooling(reason: string): void {
    if (this.mode === 'direct') {
      this.options.log(
        'warn',
        { reason, pendingDirect: this.direct.size },
        'Kafka is not keeping up: spooling',
      );
    }
    this.mode = 'spooling';
    // Every pending direct attempt, oldest first, before anything newer can be appended.
    const handed = [...this.direct];
    for (const attempt of handed) {
      this.finish(attempt);
      this.toSpool(attempt.record, attempt.eventId).then(
        (delivered) => attempt.resolve(delivered),
        (err: Error) => attempt.reject(err),
      );
    }
  }

  private toSpool(record: PublishRecord, eventId: string | undefined): Promise<DeliveredRecord> {
    return this.spool
      .append({
        topic: record.topic,
        key: record.key,
        value: record.value,
        ...(record.headers ? { headers: record.headers } : {}),
        ...(eventId !== undefined ? { eventId } : {}),
      })
      .then(
        () => ({ topic: record.topic, partition: -1, offset: '-1', spooled: true as const }),
        (err: unknown) => {
          if (err instanceof SpoolFullError) this.full = true;
          throw err;
        },
      );
  }

  /** The replay loop, kept alive through its own failures (a read or checkpoint error is retried, logged). */
  private async replay(): Promise<void> {
    let retryMs = REPLAY_RETRY_MIN_MS;
    while (!this.stopped) {
      try {
        await this.replayUntilFailure();
        return;
      } catch (err) {
        this.options.log(
          'warn',
          { err: String(err), retryInMs: retryMs },
          'spool replayer failed; restarting it',
        );
        this.spool.rewind();
        await Promise.race([sleep(retryMs), this.stopSignal]);
        retryMs = Math.min(retryMs * 2, REPLAY_RETRY_MAX_MS);
      }
    }
  }

  private async replayUntilFailure(): Promise<void> {
    let retryMs = REPLAY_RETRY_MIN_MS;
    while (!this.stopped) {
      if (this.spool.isEmpty()) {
        // Same tick as the check: no append can come between it and the switch.
        if (this.mode === 'spooling') {
          this.mode = 'direct';
          this.options.log('info', {}, 'spool drained: publishing directly again');
        }
        await Promise.race([this.spool.whenAppended(), this.stopSignal]);
        continue;
      }
      const window = await this.spool.read(
        this.options.maxBatchRecords,
        Math.floor(this.options.maxBatchBytes * 0.9),
      );
      if (window.length === 0) {
        // Appends under way, not yet durable.
        await Promise.race([this.spool.whenAppended(), this.stopSignal]);
        continue;
      }
      await this.publisherIdle();
      if (this.stopped) break;
      const results = await Promise.allSettled(
        window.map((record) => this.publisher.publish(toPublish(record))),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed === undefined) {
        await this.spool.acknowledge(window[window.length - 1]!.end, window.length);
        this.full = false;
        this.options.onReplayed?.(window.length);
        retryMs = REPLAY_RETRY_MIN_MS;
        continue;
      }
      this.options.log(
        'warn',
        { records: window.length, err: String(failed.reason), retryInMs: retryMs },
        'spool replay failed; will retry',
      );
      this.spool.rewind();
      await Promise.race([sleep(retryMs), this.stopSignal]);
      retryMs = Math.min(retryMs * 2, REPLAY_RETRY_MAX_MS);
    }
  }

  /** Until nothing is queued or in flight in the Publisher (direct attempts left from before the switch). */
  private async publisherIdle(): Promise<void> {
    for (;;) {
      const { queuedRecords, inFlightRecords } = this.publisher.stats();
      if ((queuedRecords === 0 && inFlightRecords === 0) || this.stopped) return;
      await sleep(IDLE_POLL_MS);
    }
  }
}

function toPublish(record: SpooledRecord): PublishRecord {
  return {
    topic: record.topic,
    key: record.key,
    value: record.value,
    ...(record.headers ? { headers: record.headers } : {}),
  };
}

function isKafkaFailure(err: unknown): boolean {
  return (
    err instanceof KafkaUnavailableError ||
    err instanceof DeliveryTimeoutError ||
    err instanceof QueueFullError
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
