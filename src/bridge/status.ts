/**
 * What the node says of itself, computed from its lifecycle and its delivery's status: readiness for /readyz and
 * the load balancer, the details /readyz adds, and the gauges sampled before a /metrics scrape.
 */
import type { Readiness } from '../http/app';
import type { Delivery } from '../kafka/delivery';
import type { Metrics } from '../observability';

/**
 * new -> starting (listening, Kafka side booting) -> ready -> draining (close() called). With a spool, ready comes
 * before the Kafka side is booted (bridge/index.ts).
 */
export type Lifecycle = 'new' | 'starting' | 'ready' | 'draining';

/** The boot's progress (boot.ts), for /readyz: whether it finished, and why its last attempt failed. */
export interface KafkaSideState {
  booted: boolean;
  lastError: string | undefined;
}

export function readinessOf(lifecycle: Lifecycle, delivery: Delivery | undefined): ReturnType<Readiness> {
  if (lifecycle === 'draining') return 'draining';
  if (lifecycle !== 'ready' || delivery === undefined) return 'starting';
  return delivery.status().unavailable;
}

/** /readyz's details: the Kafka side's boot (and why it waits), and with a spool the delivery mode and depth. */
export function readinessDetails(
  { booted, lastError }: KafkaSideState,
  delivery: Delivery | undefined,
): Record<string, unknown> {
  const kafka = booted ? { kafka: 'booted' } : { kafka: 'booting', ...(lastError ? { lastError } : {}) };
  const status = delivery?.status();
  if (status?.spool === undefined) return kafka;
  const { records, bytes, maxBytes } = status.spool;
  return { ...kafka, delivery: status.mode, spool: { records, bytes, maxBytes } };
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
