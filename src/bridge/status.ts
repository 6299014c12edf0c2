/**
 * What the node says of itself, computed from its lifecycle and its delivery's status: readiness for /readyz and
 * the load balancer, the details /readyz adds, and the gauges sampled before a /metrics scrape.
 */
import type { Readiness } from '../http/app';
import type { Delivery } from '../kafka/delivery';
import type { Metrics } from '../observability';

/** new -> starting (listening, Kafka side booting) -> ready -> draining (close() called). */
export type Lifecycle = 'new' | 'starting' | 'ready' | 'draining';

export function readinessOf(lifecycle: Lifecycle, delivery: Delivery | undefined): ReturnType<Readiness> {
  if (lifecycle === 'draining') return 'draining';
  if (lifecycle !== 'ready' || delivery === undefined) return 'starting';
  return delivery.status().unavailable;
}

/** With a spool, /readyz shows the delivery mode and the spool's depth. */
export function readinessDetails(delivery: Delivery | undefined): Record<string, unknown> {
  const status = delivery?.status();
  if (status?.spool === undefined) return {};
  const { records, bytes, maxBytes } = status.spool;
  return { delivery: status.mode, spool: { records, bytes, maxBytes } };
}

export function sampleGauges(metrics: Metrics, delivery: Delivery | undefined): void {
  if (delivery === undefined) return;
  const { queuedRecords, spool } = delivery.status();
  metrics.queuedRecords.set(queuedRecords);
  if (spool === undefined) return;
  metrics.spoolRecords.set(spool.records);
  metrics.spoolBytes.set(spool.bytes);
  const { oldestAppendedAt } = spool;
  metrics.spoolOldestAgeSeconds.set(
    oldestAppendedAt === undefined ? 0 : Math.max(0, (Date.now() - oldestAppendedAt) / 1000),
  );
}
