import { NetworkError, ProtocolError } from '@platformatic/kafka';
import { createDedupeMetrics, type DedupeMetrics } from '../../../src/dedupe/metrics';
import { DedupeMonitor } from '../../../src/dedupe/monitor';
import type { BatchSummary } from '../../../src/dedupe/service';

const batch = (over: Partial<BatchSummary> = {}): BatchSummary => ({
  consumed: 10,
  emitted: 7,
  duplicates: 2,
  unidentified: 1,
  stale: 0,
  stateSize: 6,
  stateSizes: [{ topic: 'in', partition: 0, size: 6 }],
  durationMs: 40,
  ...over,
});

const rebalanceError = () => new ProtocolError('ILLEGAL_GENERATION');

async function value(metrics: DedupeMetrics, name: string, labels: Record<string, string | number> = {}) {
  const metric = (await metrics.registry.getSingleMetric(name)!.get()).values;
  const wanted = Object.entries(labels);
  return metric.find((v) => wanted.every(([k, want]) => v.labels[k] === want))?.value;
}

describe('DedupeMonitor', () => {
  let metrics: DedupeMetrics;
  let monitor: DedupeMonitor;
  beforeEach(() => {
    metrics = createDedupeMetrics();
    monitor = new DedupeMonitor(metrics);
  });

  describe('metrics', () => {
    it('counts the records and commits of committed batches from their summaries', async () => {
      monitor.hooks.onBatch(batch());
      monitor.hooks.onBatch(batch({ consumed: 5, emitted: 5, duplicates: 0, unidentified: 0 }));
      expect(await value(metrics, 'thingspace_dedupe_records_consumed_total')).toBe(15);
      expect(await value(metrics, 'thingspace_dedupe_records_emitted_total')).toBe(12);
      expect(await value(metrics, 'thingspace_dedupe_records_duplicate_total')).toBe(2);
      expect(await value(metrics, 'thingspace_dedupe_records_unidentified_total')).toBe(1);
      expect(await value(metrics, 'thingspace_dedupe_transactions_committed_total')).toBe(2);
      const text = await metrics.registry.metrics();
      expect(text).toContain('thingspace_dedupe_batch_duration_seconds_count 2');
      expect(text).toContain('thingspace_dedupe_batch_duration_seconds_bucket{le="0.05"} 2');
    });

    it('counts no commit for a batch of stale records only, but counts them', async () => {
      monitor.hooks.onBatch(batch({ consumed: 0, emitted: 0, duplicates: 0, unidentified: 0, stale: 4 }));
      expect(await value(metrics, 'thingspace_dedupe_transactions_committed_total')).toBe(0);
      expect(await value(metrics, 'thingspace_dedupe_records_stale_total')).toBe(4);
    });

    it('counts aborts by a stable reason, every reason shown from the start', async () => {
      const text = await metrics.registry.metrics();
      for (const reason of ['kafka-unavailable', 'rebalance', 'fenced', 'kafka-error', 'internal'])
        expect(text).toContain(`thingspace_dedupe_transactions_aborted_total{reason="${reason}"} 0`);
      monitor.hooks.onAbort(rebalanceError());
      monitor.hooks.onAbort(new NetworkError('Connection to broker:9092 refused'));
      monitor.hooks.onAbort(new Error('boom at 10.0.0.1'));
      const after = await metrics.registry.metrics();
      expect(after).toContain('thingspace_dedupe_transactions_aborted_total{reason="rebalance"} 1');
      expect(after).toContain('thingspace_dedupe_transactions_aborted_total{reason="kafka-unavailable"} 1');
      expect(after).toContain('thingspace_dedupe_transactions_aborted_total{reason="internal"} 1');
      expect(after).not.toContain('10.0.0.1');
    });

    it('keeps the state size per partition from restores and batches, dropped at a join', async () => {
      monitor.hooks.onJoin([{ topic: 'in', partition: 1 }]);
      monitor.hooks.onRestored({
        topic: 'in',
        partition: 1,
        size: 30,
        from: 0n,
        records: 42,
        durationMs: 1500,
      });
      monitor.hooks.onBatch(batch());
      expect(await value(metrics, 'thingspace_dedupe_state_ids', { partition: 1 })).toBe(30);
      expect(await value(metrics, 'thingspace_dedupe_state_ids', { partition: 0 })).toBe(6);
      expect(await value(metrics, 'thingspace_dedupe_restore_records_total')).toBe(42);
      expect(await metrics.registry.metrics()).toContain(
        'thingspace_dedupe_restore_duration_seconds_sum 1.5',
      );
      monitor.hooks.onJoin([]);
      expect(await metrics.registry.metrics()).not.toMatch(/^thingspace_dedupe_state_ids\{/m);
    });
  });

  describe('readiness', () => {
    const restored = (topic: string, partition: number) =>
      monitor.hooks.onRestored({ topic, partition, size: 1, from: 0n, records: 1, durationMs: 1 });

    it('is starting until the consumer joins, then ready when assigned nothing', () => {
      expect(monitor.readiness()).toBe('starting');
      monitor.hooks.onJoin([]);
      expect(monitor.readiness()).toBeUndefined();
      expect(monitor.readinessDetails()).toEqual({ restoring: [] });
    });

    it('from a join, is restoring until every partition assigned is restored, naming those left', () => {
      monitor.hooks.onJoin([
        { topic: 'in', partition: 0 },
        { topic: 'in', partition: 2 },
        { topic: 'other', partition: 0 },
      ]);
      expect(monitor.readiness()).toBe('restoring');
      expect(monitor.readinessDetails()).toEqual({ restoring: ['in:0', 'in:2', 'other:0'] });
      restored('in', 0);
      restored('other', 0);
      expect(monitor.readiness()).toBe('restoring');
      expect(monitor.readinessDetails()).toEqual({ restoring: ['in:2'] });
      restored('in', 2);
      expect(monitor.readiness()).toBeUndefined();
    });

    it("at a rebalance, is restoring the new assignment's partitions, those of the old one forgotten", () => {
      monitor.hooks.onJoin([
        { topic: 'in', partition: 0 },
        { topic: 'in', partition: 1 },
      ]);
      restored('in', 0);
      monitor.hooks.onJoin([{ topic: 'in', partition: 0 }]);
      expect(monitor.readinessDetails()).toEqual({ restoring: ['in:0'] });
      restored('in', 0);
      expect(monitor.readiness()).toBeUndefined();
    });

    it('after an abort, is not ready until a new session joined and rebuilt its states, record or not', () => {
      monitor.hooks.onJoin([{ topic: 'in', partition: 0 }]);
      monitor.hooks.onAbort(rebalanceError());
      expect(monitor.readiness()).toBe('aborted');
      expect(monitor.readinessDetails()).toEqual({ restoring: [], abortReason: 'rebalance' });
      monitor.hooks.onBatch(batch({ consumed: 0, stale: 3 }));
      expect(monitor.readiness()).toBe('aborted');
      monitor.hooks.onJoin([{ topic: 'in', partition: 1 }]);
      expect(monitor.readiness()).toBe('restoring');
      monitor.hooks.onRestored({ topic: 'in', partition: 1, size: 0, from: 0n, records: 0, durationMs: 1 });
      expect(monitor.readiness()).toBeUndefined();
    });

    it('shows the lag measured per partition, and forgets it at a join', async () => {
      monitor.hooks.onJoin([{ topic: 'in', partition: 0 }]);
      monitor.hooks.onLag([{ topic: 'in', partition: 0, lag: 42 }]);
      expect(await metrics.registry.metrics()).toContain(
        'thingspace_dedupe_lag_records{topic="in",partition="0"} 42',
      );
      monitor.hooks.onJoin([]);
      expect(await metrics.registry.metrics()).not.toContain('thingspace_dedupe_lag_records{');
    });

    it('is kafka-unavailable after a session failed reaching Kafka, until the group is joined again', () => {
      monitor.hooks.onJoin([]);
      monitor.hooks.onAbort(new NetworkError('Connection closed'));
      expect(monitor.readiness()).toBe('kafka-unavailable');
      monitor.hooks.onAbort(new NetworkError('Connection refused'));
      expect(monitor.readiness()).toBe('kafka-unavailable');
      monitor.hooks.onJoin([]);
      expect(monitor.readiness()).toBeUndefined();
    });

    it('is stopping once stopped, whatever else, and the ready gauge follows at a scrape', async () => {
      monitor.hooks.onJoin([]);
      monitor.beforeScrape();
      expect(await value(metrics, 'thingspace_dedupe_ready')).toBe(1);
      monitor.stop();
      expect(monitor.readiness()).toBe('stopping');
      monitor.beforeScrape();
      expect(await value(metrics, 'thingspace_dedupe_ready')).toBe(0);
    });
  });
});
