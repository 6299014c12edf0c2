/**
 * Every metric of one dedupe node (`thingspace_dedupe_*`), on a registry of its own like the bridge's
 * (src/observability/metrics.ts). Fed by monitor.ts from the service's per-batch and per-restore events: nothing
 * is counted per record.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ABORT_REASONS } from './abort-reason';

export interface DedupeMetrics {
  registry: Registry;
  consumed: Counter;
  emitted: Counter;
  duplicates: Counter;
  unidentified: Counter;
  /** Records left out of a batch: of a partition not held any more, or read again after a rewind. */
  stale: Counter;
  committed: Counter;
  aborted: Counter<'reason'>;
  batchDuration: Histogram;
  stateIds: Gauge<'topic' | 'partition'>;
  restoreDuration: Histogram;
  restoreRecords: Counter;
  lag: Gauge<'topic' | 'partition'>;
  /** 1 when /readyz answers 200, else 0; sampled before each scrape. */
  ready: Gauge;
}

const PREFIX = 'thingspace_dedupe_';

/** A batch commits in tens of ms (one transaction); its tail includes state rebuilds. */
const BATCH_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** A rebuild reads a whole changelog partition: up to minutes for 35 days of ids. */
const RESTORE_SECONDS = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600];

export function createDedupeMetrics(): DedupeMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const counter = (name: string, help: string) => new Counter({ name: PREFIX + name, help, registers });
  const aborted = new Counter({
    name: `${PREFIX}transactions_aborted_total`,
    help: 'Failures that ended a session, its open transaction (if any) aborted, by reason.',
    labelNames: ['reason'] as const,
    registers,
  });
  // Every reason shows from the start, so a dashboard sees 0 rather than no data.
  for (const reason of ABORT_REASONS) aborted.inc({ reason }, 0);
  return {
    registry,
    consumed: counter('records_consumed_total', 'Input records read, committed batches only.'),
    emitted: counter('records_emitted_total', 'Records written to the .deduped topics.'),
    duplicates: counter(
      'records_duplicate_total',
      'Records dropped: their eventId was emitted within the window.',
    ),
    unidentified: counter(
      'records_unidentified_total',
      'Records without an event-id header, passed through (they cannot be recognized).',
    ),
    stale: counter(
      'records_stale_total',
      "Records left out after a rebalance: of a partition no longer held (its new owner's) or read again after the stream's rewind (decided already).",
    ),
    committed: counter('transactions_committed_total', 'Batches committed, each in one transaction.'),
    aborted,
    batchDuration: new Histogram({
      name: `${PREFIX}batch_duration_seconds`,
      help: 'Time from the stream handing a batch over to its commit, state rebuilds included.',
      buckets: BATCH_SECONDS,
      registers,
    }),
    stateIds: new Gauge({
      name: `${PREFIX}state_ids`,
      help: 'EventIds remembered per input partition this node holds, as of its last batch or rebuild.',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    restoreDuration: new Histogram({
      name: `${PREFIX}restore_duration_seconds`,
      help: "Time to rebuild a partition's state from its changelog.",
      buckets: RESTORE_SECONDS,
      registers,
    }),
    restoreRecords: counter('restore_records_total', 'Changelog records read by state rebuilds.'),
    lag: new Gauge({
      name: `${PREFIX}lag_records`,
      help: 'Input records not deduplicated yet, per partition this node holds: its last stable offset minus the committed offset, measured every 10 s.',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    ready: new Gauge({
      name: `${PREFIX}ready`,
      help: '1 when the node deduplicates (/readyz answers 200), else 0.',
      registers,
    }),
  };
}
