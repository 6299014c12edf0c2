/**
 * What the node says of itself, computed from its lifecycle, its boot's checks and its delivery's status:
 * readiness for /readyz and the load balancer, the checks /readyz adds, and the gauges sampled before a /metrics
 * scrape.
 */
import type { Readiness } from '../http/app';
import type { Delivery, DeliveryMode, DeliveryStatus, SpoolStatus } from '../kafka/delivery';
import { failureInWords } from '../kafka/failure-words';
import type { Metrics } from '../observability';
import type { BootCheck } from './boot';

/**
 * new -> starting (listening, Kafka side booting) -> ready -> draining (close() called). With a spool, ready comes
 * before the Kafka side is booted (bridge/index.ts).
 */
export type Lifecycle = 'new' | 'starting' | 'ready' | 'draining';

/** The checks /readyz reports: the boot's (boot.ts), then the spool. */
export type CheckName = BootCheck | 'spool';

/** `starting`: not reached yet (its step has not run, or an earlier one failed); `disabled`: not configured. */
export type CheckState = 'ok' | 'failing' | 'starting' | 'disabled';

export interface CheckReport {
  state: CheckState;
  /** Why it fails, in words (failure-words.ts): connection refused by host:port, a 404 with the URL, ... */
  error?: string;
}

/** The boot's progress, for /readyz: whether it finished, and each check as its last attempt left it. */
export interface KafkaSideState {
  booted: boolean;
  checks: Record<BootCheck, CheckReport>;
}

export function bootingState(): KafkaSideState {
  const starting = (): CheckReport => ({ state: 'starting' });
  return {
    booted: false,
    checks: { kafka: starting(), topics: starting(), registry: starting(), schemas: starting() },
  };
}

/** Records a check's outcome as the boot reports it (boot.ts: onCheck). */
export function recordCheck(state: KafkaSideState, check: BootCheck, failure?: unknown): void {
  state.checks[check] =
    failure === undefined ? { state: 'ok' } : { state: 'failing', error: failureInWords(failure) };
}

export function readinessOf(lifecycle: Lifecycle, delivery: Delivery | undefined): ReturnType<Readiness> {
  if (lifecycle === 'draining') return 'draining';
  if (lifecycle !== 'ready' || delivery === undefined) return 'starting';
  return delivery.status().unavailable;
}

/**
 * /readyz's details: every check with its state and, failing, why; with a spool, the delivery mode and the spool's
 * depth.
 */
export function readinessDetails(
  side: KafkaSideState,
  delivery: Delivery | undefined,
): { checks: Record<CheckName, CheckReport>; delivery?: DeliveryMode; spool?: SpoolDepth } {
  const status = delivery?.status();
  const checks: Record<CheckName, CheckReport> = { ...side.checks, spool: spoolCheck(status) };
  // Booted, Kafka can still fail: the publisher says so when batches fail or time out, or its queue is full.
  if (side.booted && status?.unavailable === 'kafka-unavailable') {
    checks.kafka = { state: 'failing', error: KAFKA_NOT_TAKING };
  }
  if (status?.spool === undefined) return { checks };
  const { records, bytes, maxBytes } = status.spool;
  return { checks, delivery: status.mode, spool: { records, bytes, maxBytes } };
}

const KAFKA_NOT_TAKING =
  'Kafka is not acknowledging records in time (a batch failed or timed out, or the queue is full)';

function spoolCheck(status: DeliveryStatus | undefined): CheckReport {
  if (status === undefined) return { state: 'starting' };
  const { spool } = status;
  if (spool === undefined) return { state: 'disabled' };
  return status.unavailable === 'spool-full'
    ? { state: 'failing', error: `the spool is full (${spool.bytes} of ${spool.maxBytes} bytes)` }
    : { state: 'ok' };
}

type SpoolDepth = Pick<SpoolStatus, 'records' | 'bytes' | 'maxBytes'>;

/** The gauges sampled before a scrape: readiness, the publisher's queue, the spool's depth and age. */
export function sampleGauges(metrics: Metrics, ready: boolean, delivery: Delivery | undefined): void {
  metrics.ready.set(ready ? 1 : 0);
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
