import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AUTH_FAILURE_REASONS } from '../auth';

/**
 * Every metric of one bridge, on a registry of its own: nothing leaks into prom-client's global one, and two
 * bridges in one process (tests) don't collide. `registry.metrics()` is the /metrics body.
 */
export interface Metrics {
  registry: Registry;
  /** Answers to callbacks. `service`: canonical name, or `unknown`; `outcome`: what the bridge did with it. */
  requests: Counter<'service' | 'outcome' | 'status'>;
  /** Callbacks shed by admission control (answered 503 OVERLOADED before their bodies were read), by reason. */
  requestsShed: Counter<'reason'>;
  /** Seconds from request to answer. */
  requestDuration: Histogram<'service' | 'outcome'>;
  /** Seconds from sendBatch to Kafka's acknowledgement, per acknowledged batch. */
  produceDuration: Histogram;
  /** Records per acknowledged batch. */
  batchRecords: Histogram;
  /** Records waiting for a batch. */
  queuedRecords: Gauge;
  authFailures: Counter<'reason'>;
  /** The durable spool (when enabled): records and bytes not yet acknowledged by Kafka, their oldest's age. */
  spoolRecords: Gauge;
  spoolBytes: Gauge;
  spoolOldestAgeSeconds: Gauge;
  /** Records the replayer got Kafka's acknowledgement for (its rate is the replay rate). */
  spoolReplayedRecords: Counter;
  /** Callbacks answered 200 from the spool rather than from Kafka. */
  spoolAppendedRecords: Counter;
  /** What messages did that the platform's docs don't lead us to expect (src/thingspace/anomalies.ts). */
  anomalies: Counter<'anomaly'>;
  /** StartSmsCallback calls of the recovery loop (src/bridge/recovery.ts), by outcome: released or failed. */
  recoveryCalls: Counter<'outcome'>;
  /** Accounts waiting for the recovery loop's StartSmsCallback. */
  recoveryPendingAccounts: Gauge;
  /** 1 when the node takes callbacks (its /readyz answers 200), else 0; sampled before each scrape. */
  ready: Gauge;
  /** Always 1, labelled with what runs: the bridge's version, Node's, and the Kafka client (`kafka.client`). */
  buildInfo: Gauge<'version' | 'node' | 'kafka_client'>;
}

const PREFIX = 'thingspace_bridge_';

/** A callback answers in milliseconds (parse, one linger, one Kafka round trip); the tail reaches the timeouts. */
const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Up to and past the default maxBatchRecords (500). */
const RECORDS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  const authFailures = new Counter({
    name: `${PREFIX}auth_failures_total`,
    help: 'Callbacks refused for their credentials, by reason.',
    labelNames: ['reason'] as const,
    registers,
  });
  // Every reason shows from the start, so a dashboard sees 0 rather than no data.
  for (const reason of AUTH_FAILURE_REASONS) authFailures.inc({ reason }, 0);
  const recoveryCalls = new Counter({
    name: `${PREFIX}recovery_calls_total`,
    help: 'StartSmsCallback calls made after an outage, by outcome (released, failed).',
    labelNames: ['outcome'] as const,
    registers,
  });
  for (const outcome of ['released', 'failed']) recoveryCalls.inc({ outcome }, 0);
  const requestsShed = new Counter({
    name: `${PREFIX}requests_shed_total`,
    help: 'Callbacks shed by admission control with 503 OVERLOADED, by reason (in-flight, event-loop).',
    labelNames: ['reason'] as const,
    registers,
  });
  for (const reason of ['in-flight', 'event-loop']) requestsShed.inc({ reason }, 0);

  return {
    registry,
    requests: new Counter({
      name: `${PREFIX}requests_total`,
      help: 'Callbacks answered, by service, outcome and HTTP status.',
      labelNames: ['service', 'outcome', 'status'] as const,
      registers,
    }),
    requestsShed,
    requestDuration: new Histogram({
      name: `${PREFIX}request_duration_seconds`,
      help: 'Time from receiving a callback to answering it.',
      labelNames: ['service', 'outcome'] as const,
      buckets: SECONDS,
      registers,
    }),
    produceDuration: new Histogram({
      name: `${PREFIX}produce_duration_seconds`,
      help: 'Time from sending a batch to Kafka to its acknowledgement.',
      buckets: SECONDS,
      registers,
    }),
    batchRecords: new Histogram({
      name: `${PREFIX}produce_batch_records`,
      help: 'Records per batch acknowledged by Kafka.',
      buckets: RECORDS,
      registers,
    }),
    queuedRecords: new Gauge({
      name: `${PREFIX}producer_queued_records`,
      help: 'Records waiting for a batch.',
      registers,
    }),
    authFailures,
    spoolRecords: new Gauge({
      name: `${PREFIX}spool_records`,
      help: 'Records in the spool not yet acknowledged by Kafka.',
      registers,
    }),
    spoolBytes: new Gauge({
      name: `${PREFIX}spool_bytes`,
      help: 'Bytes of the records in the spool not yet acknowledged by Kafka.',
      registers,
    }),
    spoolOldestAgeSeconds: new Gauge({
      name: `${PREFIX}spool_oldest_record_age_seconds`,
      help: 'Age of the oldest record in the spool; 0 when empty.',
      registers,
    }),
    spoolReplayedRecords: new Counter({
      name: `${PREFIX}spool_replayed_records_total`,
      help: 'Spooled records replayed to Kafka and acknowledged.',
      registers,
    }),
    spoolAppendedRecords: new Counter({
      name: `${PREFIX}spool_appended_records_total`,
      help: 'Callbacks acknowledged once spooled (Kafka had not taken them in time).',
      registers,
    }),
    anomalies: new Counter({
      name: `${PREFIX}anomalies_total`,
      help: 'Callbacks showing something the platform documentation does not lead us to expect, by anomaly.',
      labelNames: ['anomaly'] as const,
      registers,
    }),
    recoveryCalls,
    recoveryPendingAccounts: new Gauge({
      name: `${PREFIX}recovery_pending_accounts`,
      help: 'Accounts whose queued device messages the recovery loop has yet to release.',
      registers,
    }),
    ready: new Gauge({
      name: `${PREFIX}ready`,
      help: '1 when the node takes callbacks (/readyz answers 200), else 0.',
      registers,
    }),
    buildInfo: new Gauge({
      name: `${PREFIX}build_info`,
      help: 'Always 1: the bridge version, the Node version and the Kafka client (kafka.client) as labels.',
      labelNames: ['version', 'node', 'kafka_client'] as const,
      registers,
    }),
  };
}
