/**
 * The publish path with the spool: Kafka directly while it keeps up, the spool while it does not.
 *
 * 'direct': deliver() goes to the Publisher. If Kafka fails the record (unavailable, delivery timeout, queue
 *   full) or has not acknowledged it within handoffMs, the record is appended to the spool and the caller
 *   resolves once it is durable; the mode becomes 'spooling'. Entering 'spooling' hands off EVERY direct attempt
 *   still pending, in arrival order, before any newer record is appended: so the spool holds records in the
 *   order they came, and a pending older record can never land after a newer spooled one of its key.
 * 'spooling' (the spool is not empty): every new record goes to the spool, none to Kafka, so no newer record of
 *   a key overtakes an older spooled one. The replayer reads the spool in order, one window at a time, and
 *   delivers it through the same Publisher once that is idle (a window is then exactly one sendBatch, so a
 *   failed batch can never be followed by a later part of the window that succeeds); after Kafka acknowledged
 *   the whole window it advances the checkpoint. When it finds the spool empty it switches back to 'direct' in
 *   that same tick: no record can be appended in between.
 *
 * A handed-off record whose direct attempt was still in flight may reach Kafka twice (that attempt, then the
 * replay): allowed, the copies carry the same eventId, and the direct copy comes first (the Publisher is FIFO).
 */
import type { BridgeError } from '../../errors';
import {
  isDeliveryFailure,
  type Delivery,
  type DeliveryMode,
  type DeliveryRecord,
  type DeliveryStatus,
  type Receipt,
} from '../delivery';
import type { Publisher } from '../publisher';
import { SpoolFullError } from './errors';
import type { Spool, SpooledRecord } from './spool';

export interface SpoolingPublisherOptions {
  handoffMs: number;
  /** The Publisher's batch limits: a replay window fits in one batch. */
  maxBatchRecords: number;
  maxBatchBytes: number;
  log: (level: 'info' | 'warn', fields: Record<string, unknown>, message: string) => void;
  /** Metrics: records the spool took, and records the replayer wrote to Kafka. */
  onSpooled?: () => void;
  onReplayed?: (records: number) => void;
}

interface DirectAttempt {
  readonly record: DeliveryRecord;
  done: boolean;
  timer: NodeJS.Timeout | undefined;
  readonly resolve: (receipt: Receipt) => void;
  readonly reject: (error: Error) => void;
}

const REPLAY_RETRY_MIN_MS = 250;
const REPLAY_RETRY_MAX_MS = 5_000;
const SPOOLED = { partition: -1, offset: '-1', spooled: true } as const;

export class SpoolingPublisher implements Delivery {
  private mode: DeliveryMode;
  /** Set when an append was refused for space, cleared when the replayer frees some: readiness reports it. */
  private full = false;
  /** Direct attempts not yet answered, in arrival order (a Set iterates in insertion order). */
  private readonly direct = new Set<DirectAttempt>();
  private stopped = false;
  private wakeStop: (() => void) | undefined;
  private readonly stopSignal: Promise<void>;
  private replaying: Promise<void> | undefined;
  private closed: Promise<void> | undefined;

  constructor(
    private readonly publisher: Publisher,
    private readonly spool: Spool,
    private readonly options: SpoolingPublisherOptions,
  ) {
    // A spool left non-empty by the last run (a crash, Kafka down at shutdown) is replayed before anything new.
    this.mode = spool.isEmpty() ? 'direct' : 'spooling';
    this.stopSignal = new Promise((resolve) => (this.wakeStop = resolve));
  }

  status(): DeliveryStatus {
    const { records, bytes, oldestAppendedAt } = this.spool.stats();
    return {
      mode: this.mode,
      // A failing Kafka is what the spool is for: the node still takes callbacks, until the spool is full.
      unavailable: this.full ? 'spool-full' : undefined,
      queuedRecords: this.publisher.status().queuedRecords,
      spool: { records, bytes, maxBytes: this.spool.maxBytes, oldestAppendedAt },
    };
  }

  deliver(record: DeliveryRecord): Promise<Receipt> {
    if (this.mode === 'spooling') return this.toSpool(record);
    return new Promise<Receipt>((resolve, reject) => {
      const attempt: DirectAttempt = { record, done: false, timer: undefined, resolve, reject };
      this.direct.add(attempt);
      attempt.timer = setTimeout(() => this.enterSpooling('handoff'), this.options.handoffMs);
      this.publisher.deliver(record).then(
        (receipt) => {
          if (attempt.done) return; // handed off already: the spool answered it
          this.finish(attempt);
          resolve(receipt);
        },
        (err: Error) => {
          if (attempt.done) return;
          if (isDeliveryFailure(err)) {
            this.enterSpooling((err as BridgeError).code);
          } else {
            this.finish(attempt);
            reject(err);
          }
        },
      );
    });
  }

  /** Connects the Publisher, then replays what the spool holds (once the Kafka side is booted). */
  async start(): Promise<void> {
    await this.publisher.start();
    this.replaying ??= this.replay();
  }

  idle(): Promise<void> {
    return this.publisher.idle();
  }

  /**
   * Stops the replayer after its current window (the Publisher's close settles that window's records), then
   * closes the spool: every handoff has appended by then, since the Publisher settled every direct attempt.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.stopped = true;
      this.wakeStop?.();
      for (const attempt of this.direct) clearTimeout(attempt.timer);
      await this.publisher.close();
      await this.replaying;
      await this.spool.close();
    })();
    return this.closed;
  }

  private finish(attempt: DirectAttempt): void {
    attempt.done = true;
    clearTimeout(attempt.timer);
    this.direct.delete(attempt);
  }

  /** Only ever called in 'direct': entering 'spooling' hands off (finishes) every direct attempt there is. */
  private enterSpooling(reason: string): void {
    this.options.log(
      'warn',
      { reason, pendingDirect: this.direct.size },
      'Kafka is not keeping up: spooling',
    );
    this.mode = 'spooling';
    // Every pending direct attempt, oldest first, before anything newer can be appended.
    const handed = [...this.direct];
    for (const attempt of handed) {
      this.finish(attempt);
      this.toSpool(attempt.record).then(
        (delivered) => attempt.resolve(delivered),
        (err: Error) => attempt.reject(err),
      );
    }
  }

  private toSpool(record: DeliveryRecord): Promise<Receipt> {
    return this.spool.append(record).then(
      () => {
        this.options.onSpooled?.();
        return { topic: record.topic, ...SPOOLED };
      },
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
          this.options.log('info', {}, 'spool drained: delivering directly again');
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
      // Direct attempts left from before the switch go first: the window is then exactly one sendBatch.
      await Promise.race([this.publisher.idle(), this.stopSignal]);
      if (this.stopped) break;
      const results = await Promise.allSettled(
        window.map((record) => this.publisher.deliver(toDeliver(record))),
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
        {
          records: window.length,
          firstEventId: window[0]!.eventId,
          err: String(failed.reason),
          retryInMs: retryMs,
        },
        'spool replay failed; will retry',
      );
      this.spool.rewind();
      await Promise.race([sleep(retryMs), this.stopSignal]);
      retryMs = Math.min(retryMs * 2, REPLAY_RETRY_MAX_MS);
    }
  }
}

function toDeliver({ topic, key, value, headers, eventId }: SpooledRecord): DeliveryRecord {
  // Frames written before records carried their eventId have none; the Publisher does not read it.
  return { topic, key, value, ...(headers ? { headers } : {}), eventId: eventId ?? '' };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
