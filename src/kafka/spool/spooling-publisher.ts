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
 * Order without exceptions: a handoff also withdraws from the Publisher every handed-off record not yet sent
 *   (Publisher.withdrawQueued), and a failed batch takes the records queued behind it along (publisher.ts); so
 *   the only direct copies that can still reach Kafka are those of the batch in flight, which lands before any
 *   replay (the replayer waits for the Publisher to be idle). A handed-off record that did land that way is
 *   skipped by the replay, so that no newer record of its key is followed by a copy of it. (After a crash that
 *   knowledge is gone: such a record is replayed again, a duplicate with the same eventId.)
 *
 * Booting into the spool: until start() (the Kafka side booted), the mode is 'spooling', so a node whose Kafka or
 *   registry is unreachable at start still takes callbacks. Records encoded before the registry answered carry
 *   their schema subject (DeliveryRecord.schemaSubject) and are framed with its id on their way to Kafka.
 */
import type { BridgeError } from '../../errors';
import { setSchemaId } from '../../events/wire-format';
import { backoffDelay, type Backoff, type Random } from '../../util/backoff';
import {
  isDeliveryFailure,
  type Delivery,
  type DeliveryMode,
  type DeliveryRecord,
  type DeliveryStatus,
  type Receipt,
  type SpoolReceipt,
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
  /** Schema id by subject, filled when the Kafka side boots: frames records spooled before that. */
  schemaIds: ReadonlyMap<string, number>;
  /** Metrics: records the spool took, and records the replayer wrote to Kafka. */
  onSpooled?: () => void;
  onReplayed?: (records: number) => void;
  /** The replay retries' jitter; Math.random when absent. */
  random?: Random;
}

interface DirectAttempt {
  readonly record: DeliveryRecord;
  done: boolean;
  timer: NodeJS.Timeout | undefined;
  /** After a handoff: Kafka took the direct copy after all, and where the spool put the record. */
  landed: boolean;
  spooledAt: number | undefined;
  readonly resolve: (receipt: Receipt) => void;
  readonly reject: (error: Error) => void;
}

/** A failed replay is retried 0.25 s doubling to 5 s later, jittered. */
const REPLAY_RETRY: Backoff = { baseMs: 250, maxMs: 5_000 };

export class SpoolingPublisher implements Delivery {
  private mode: DeliveryMode;
  /** Set when an append was refused for space, cleared when the replayer frees some: readiness reports it. */
  private full = false;
  /** Direct attempts not yet answered, in arrival order (a Set iterates in insertion order). */
  private readonly direct = new Set<DirectAttempt>();
  /** Spool positions of handed-off records whose direct copy Kafka took: the replay skips them. */
  private readonly landed = new Set<number>();
  private stopped = false;
  private wakeStop: (() => void) | undefined;
  private readonly stopSignal: Promise<void>;
  private replaying: Promise<void> | undefined;
  /** Records the replay wrote (or found written) since it last switched to 'direct': for its log line. */
  private drained = 0;
  private closed: Promise<void> | undefined;

  constructor(
    private readonly publisher: Publisher,
    private readonly spool: Spool,
    private readonly options: SpoolingPublisherOptions,
  ) {
    // Until started, and while a spool left by the last run is replayed, everything goes to the spool.
    this.mode = 'spooling';
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
      const attempt: DirectAttempt = {
        record,
        done: false,
        timer: undefined,
        landed: false,
        spooledAt: undefined,
        resolve,
        reject,
      };
      this.direct.add(attempt);
      attempt.timer = setTimeout(() => this.enterSpooling('handoff'), this.options.handoffMs);
      this.publisher.deliver(this.framed(record)).then(
        (receipt) => {
          if (attempt.done) {
            // Handed off already (the spool answered it), yet written: its spooled copy need not follow.
            attempt.landed = true;
            if (attempt.spooledAt !== undefined) this.landed.add(attempt.spooledAt);
            return;
          }
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

  /** The record with its schema id set, if it was encoded before the registry answered. */
  private framed(record: DeliveryRecord): DeliveryRecord {
    if (record.schemaSubject === undefined) return record; // every record but those spooled before the boot
    const { schemaSubject, ...rest } = record;
    const id = this.options.schemaIds.get(schemaSubject);
    // Only reachable before start(), which comes after the ids are resolved (boot.ts): a bug, not an outage.
    if (id === undefined) throw new Error(`no schema id yet for ${schemaSubject}`);
    setSchemaId(rest.value, id);
    return rest;
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
        (receipt) => {
          attempt.spooledAt = receipt.position;
          if (attempt.landed) this.landed.add(receipt.position);
          attempt.resolve(receipt);
        },
        (err: Error) => attempt.reject(err),
      );
    }
    // Those not sent yet never will be directly: behind the batch in flight, they would overtake the replay.
    this.publisher.withdrawQueued();
  }

  private toSpool(record: DeliveryRecord): Promise<SpoolReceipt> {
    return this.spool.append(record).then(
      ({ segment, position }) => {
        this.options.onSpooled?.();
        return { held: 'spool', topic: record.topic, segment, position };
      },
      (err: unknown) => {
        if (err instanceof SpoolFullError) this.full = true;
        throw err;
      },
    );
  }

  /** The replay loop, kept alive through its own failures (a read or checkpoint error is retried, logged). */
  private async replay(): Promise<void> {
    for (let failures = 1; !this.stopped; failures++) {
      try {
        await this.replayUntilFailure();
        return;
      } catch (err) {
        const retryMs = this.retryDelay(failures);
        this.options.log(
          'warn',
          { err: String(err), retryInMs: retryMs },
          'spool replayer failed; restarting it',
        );
        this.spool.rewind();
        await Promise.race([sleep(retryMs), this.stopSignal]);
      }
    }
  }

  private async replayUntilFailure(): Promise<void> {
    /** Windows failed since the last one Kafka took. */
    let failures = 0;
    while (!this.stopped) {
      if (this.spool.isEmpty()) {
        // Same tick as the check: no append can come between it and the switch.
        if (this.mode === 'spooling') {
          this.mode = 'direct';
          // Nothing left to replay: room the disk lacked (another writer filled it) is for the next handoff to find.
          this.full = false;
          if (this.drained > 0) {
            this.options.log('info', { records: this.drained }, 'spool drained: delivering directly again');
          }
          this.drained = 0;
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
      const toSend = window.filter((record) => !this.landed.has(record.start));
      const results = await Promise.allSettled(
        toSend.map((record) => this.publisher.deliver(this.framed(toDeliver(record)))),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed === undefined) {
        await this.spool.acknowledge(window[window.length - 1]!.end, window.length);
        for (const record of window) this.landed.delete(record.start);
        this.drained += window.length;
        this.full = false;
        this.options.onReplayed?.(window.length);
        failures = 0;
        continue;
      }
      const retryMs = this.retryDelay(++failures);
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
    }
  }

  private retryDelay(failures: number): number {
    return backoffDelay(failures, { ...REPLAY_RETRY, random: this.options.random });
  }
}

function toDeliver(record: SpooledRecord): DeliveryRecord {
  const { topic, key, value, headers, eventId, schemaSubject, timestamp } = record;
  // Frames written before records carried their eventId have none; the Publisher does not read it.
  return {
    topic,
    key,
    value,
    ...(headers ? { headers } : {}),
    eventId: eventId ?? '',
    ...(schemaSubject !== undefined ? { schemaSubject } : {}),
    ...(timestamp !== undefined ? { timestamp } : {}),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
