/**
 * What a dedupe node shows of itself: its metrics (metrics.ts) and its readiness, both fed by the service's
 * events (onJoin, onRestored, onBatch, onAbort: `hooks`). Not ready:
 *
 * - `starting`: the consumer has not joined its group yet;
 * - `restoring`: a partition assigned at the last join has its state not rebuilt from its changelog yet;
 * - `kafka-unavailable`: the last session failed reaching Kafka, until the next join;
 * - `aborted`: the last session failed otherwise (its transaction aborted), until the next join;
 * - `stopping`: SIGTERM came.
 *
 * Every partition assigned at a join has its state rebuilt then, record or not (docs/dedupe.md): ready means
 * each of them restored.
 */
import type { DedupeHooks } from './run';
import type { BatchSummary, RestoreSummary } from './service';
import { abortReason, type AbortReason } from './abort-reason';
import type { PartitionLag } from './lag';
import type { DedupeMetrics } from './metrics';
import { partitionKey } from './decide';

export type NotReady = 'starting' | 'restoring' | 'kafka-unavailable' | 'aborted' | 'stopping';

/** The /readyz body's details. */
export interface ReadinessDetails {
  /** `topic:partition` of each partition assigned whose state is not rebuilt yet. */
  restoring: string[];
  /** Why the last session failed, while that holds readiness back. */
  abortReason?: AbortReason;
}

export class DedupeMonitor {
  private joined = false;
  private stopping = false;
  private restoring = new Set<string>();
  private lastAbort: AbortReason | undefined;

  constructor(private readonly metrics: DedupeMetrics) {}

  /** The service's events, to give runDedupe. */
  readonly hooks: Required<Omit<DedupeHooks, 'createStore'>> = {
    onJoin: (assigned) => {
      this.joined = true;
      this.restoring = new Set(assigned.map(({ topic, partition }) => partitionKey(topic, partition)));
      // A new session: it shows as restoring until its states are rebuilt, then ready, without waiting for a
      // record to commit (an idle node would never be ready again).
      this.lastAbort = undefined;
      // Every state was dropped; a partition shows again once rebuilt or measured.
      this.metrics.stateIds.reset();
      this.metrics.lag.reset();
    },
    onRestored: (summary: RestoreSummary) => {
      const { topic, partition, size, records, durationMs } = summary;
      this.restoring.delete(partitionKey(topic, partition));
      this.metrics.restoreDuration.observe(durationMs / 1000);
      this.metrics.restoreRecords.inc(records);
      this.metrics.stateIds.set({ topic, partition }, size);
    },
    onBatch: (summary: BatchSummary) => {
      const { metrics } = this;
      metrics.stale.inc(summary.stale);
      for (const { topic, partition, size } of summary.stateSizes)
        metrics.stateIds.set({ topic, partition }, size);
      // A batch of stale records only commits nothing.
      if (summary.consumed === 0) return;
      metrics.consumed.inc(summary.consumed);
      metrics.emitted.inc(summary.emitted);
      metrics.duplicates.inc(summary.duplicates);
      metrics.unidentified.inc(summary.unidentified);
      metrics.committed.inc();
      metrics.batchDuration.observe(summary.durationMs / 1000);
    },
    onLag: (lags: PartitionLag[]) => {
      for (const { topic, partition, lag } of lags) this.metrics.lag.set({ topic, partition }, lag);
    },
    onAbort: (error: unknown) => {
      const reason = abortReason(error);
      this.metrics.aborted.inc({ reason });
      this.lastAbort = reason;
      this.joined = false;
      this.restoring.clear();
    },
  };

  /** SIGTERM: not ready from now on. */
  stop(): void {
    this.stopping = true;
  }

  /** Why the node is not ready; undefined when it is. */
  readonly readiness = (): NotReady | undefined => {
    if (this.stopping) return 'stopping';
    if (this.lastAbort === 'kafka-unavailable') return 'kafka-unavailable';
    if (this.lastAbort !== undefined) return 'aborted';
    if (!this.joined) return 'starting';
    if (this.restoring.size > 0) return 'restoring';
    return undefined;
  };

  readonly readinessDetails = (): ReadinessDetails => ({
    restoring: [...this.restoring],
    ...(this.lastAbort === undefined ? {} : { abortReason: this.lastAbort }),
  });

  /** Before each scrape. */
  readonly beforeScrape = (): void => {
    this.metrics.ready.set(this.readiness() === undefined ? 1 : 0);
  };
}
