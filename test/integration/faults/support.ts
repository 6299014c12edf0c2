/**
 * What the fault tests share: a stack of their own (killing the broker must not disturb other test files), a
 * bridge started in-process on it, per-device sequential load, and the accounting of what reached Kafka.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logLevel, type Kafka } from 'kafkajs';
import { createBridge, type Bridge } from '../../../src/bridge';
import { parseConfig, topicSettings, type Config } from '../../../src/config';

import { stackDown, stackUp } from '../../infra/stack/stack';
import { readToEnd, uniqueName } from '../../infra/kafka';
import { kafkaClient, prefixedTopics, testKafkaClient } from '../../support/clients';
import { carrierCallback, ACCOUNT, PASSWORD, USERNAME } from '../ingress/harness';
import { capturingLogger } from '../../support/logs';

export interface OwnStack {
  stackDir: string;
  brokers: string[];
  registryUrl: string;
  kafka: Kafka;
  down(): Promise<void>;
}

/**
 * A stack in a temporary directory (its state, logs and Kafka's data), removed by down(). `brokers: 3` makes it a
 * cluster (replication factor 3, min.insync.replicas 2).
 */
export async function ownStack(options: { brokers?: number } = {}): Promise<OwnStack> {
  const stackDir = mkdtempSync(join(tmpdir(), 'faults-stack-'));
  const down = async () => {
    try {
      await stackDown({ stackDir });
    } finally {
      rmSync(stackDir, { recursive: true, force: true });
    }
  };
  let env;
  try {
    env = await stackUp({ stackDir, brokers: options.brokers ?? 1, log: () => undefined });
  } catch (err) {
    await down();
    throw err;
  }
  const brokers = env.kafkaBrokers.split(',');
  return {
    stackDir,
    brokers,
    registryUrl: env.schemaRegistryUrl,
    // The tests kill and freeze the broker: kafkajs's errors are what they expect.
    kafka: kafkaClient({ brokers }, { clientId: 'faults-test', logLevel: logLevel.NOTHING }),
    down,
  };
}

/**
 * The test file's own stack (see ownStack): up before its tests, within `upMs`, and down after them. Its fields
 * are read when a test or hook reads them, once it is up.
 */
export function fileStack(options: { brokers?: number; upMs?: number; downMs?: number } = {}): OwnStack {
  let stack: OwnStack | undefined;
  beforeAll(async () => {
    stack = await ownStack({ brokers: options.brokers });
  }, options.upMs ?? 180_000);
  afterAll(async () => {
    await stack?.down();
  }, options.downMs ?? 60_000);
  const up = () => {
    if (!stack) throw new Error("the file's stack is not up: its beforeAll failed");
    return stack;
  };
  return {
    get stackDir() {
      return up().stackDir;
    },
    get brokers() {
      return up().brokers;
    },
    get registryUrl() {
      return up().registryUrl;
    },
    get kafka() {
      return up().kafka;
    },
    down: () => up().down(),
  };
}

export interface FaultBridge {
  bridge: Bridge;
  config: Config;
  port: number;
  topic: string;
  logs: string[];
}

/**
 * The config of a bridge on the fault stack: CarrierService callbacks go to `topic` (3 partitions, each with
 * `replicationFactor` replicas: 1 unless the stack is a cluster).
 */
export function bridgeConfig(
  stack: OwnStack,
  options: {
    spool?: Record<string, unknown>;
    producer?: Record<string, number>;
    topic?: string;
    replicationFactor?: number;
  } = {},
): Record<string, unknown> {
  return {
    node: 'faults-1',
    http: { port: 0, host: '127.0.0.1' },
    accounts: [{ name: ACCOUNT, username: USERNAME, password: PASSWORD, services: ['*'] }],
    kafka: {
      brokers: stack.brokers,
      client: testKafkaClient(),
      topics: {
        ...topicSettings(prefixedTopics(uniqueName('faults'))),
        ...(options.topic ? { asyncResponses: options.topic } : {}),
      },
      createTopics: true,
      newTopics: { numPartitions: 3, replicationFactor: options.replicationFactor ?? 1 },
      ...(options.producer ? { producer: options.producer } : {}),
    },
    schemaRegistry: { url: stack.registryUrl, registerSchemas: true },
    ...(options.spool ? { spool: options.spool } : {}),
    log: { level: 'info' },
  };
}

export async function startBridge(
  stack: OwnStack,
  options: Parameters<typeof bridgeConfig>[1] = {},
): Promise<FaultBridge> {
  const { config } = parseConfig(bridgeConfig(stack, options), {});
  const logs: string[] = [];
  const logger = capturingLogger(config.log, logs);
  const bridge = createBridge(config, logger);
  const [main] = await bridge.start();
  await bridge.ready();
  return { bridge, config, port: main!.port, topic: config.kafka.topics.asyncResponses, logs };
}

export interface Sent {
  device: number;
  sequence: number;
  /** HTTP status, or 0 for a socket error. */
  status: number;
  ms: number;
  /** Epoch ms when the answer had come: its record's timestamp (receivedAt) must not be later. */
  answeredAt: number;
}

/**
 * `devices` clients, each posting its device's callbacks one after the other (sequence numbers increasing per
 * device, as ThingSpace reports one device's changes), until `stop()` returns true.
 */
export async function load(
  port: () => number,
  devices: number,
  stop: () => boolean,
  sent: Sent[],
  options: { firstDevice?: number; pauseMs?: number } = {},
): Promise<void> {
  let sequence = 0;
  const client = async (device: number) => {
    while (!stop()) {
      const seq = sequence++;
      const started = performance.now();
      const status = await fetch(`http://127.0.0.1:${port()}/callbacks/CarrierService`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: carrierCallback(device, seq),
        signal: AbortSignal.timeout(60_000),
      }).then(
        async (r) => {
          await r.arrayBuffer();
          return r.status;
        },
        () => 0,
      );
      sent.push({ device, sequence: seq, status, ms: performance.now() - started, answeredAt: Date.now() });
      // Pacing, not waiting for anything: no tight loop of refused connections while the bridge is down, and
      // the think time between a device's callbacks.
      if (status === 0) await sleep(50);
      if (options.pauseMs) await sleep(options.pauseMs);
    }
  };
  const first = options.firstDevice ?? 1;
  await Promise.all(Array.from({ length: devices }, (_, i) => client(first + i)));
}

const SEQUENCE = /3f6c1a2e-8b4d-4c7a-9e15-(\d{12})/;

export interface FoundRecord {
  key: string;
  partition: number;
  sequence: number;
  /** The record's timestamp, epoch ms. */
  timestamp: number;
}

/**
 * Every record of the topic up to its high watermarks, with the sequence number its RequestId carries. The
 * bridge's producer may still be retrying (a timed-out record can land late), so the topic may grow meanwhile.
 */
export async function readTopic(kafka: Kafka, topic: string): Promise<FoundRecord[]> {
  // Just after a broker restart its metadata can still answer "unknown topic" for a moment: wait until it
  // gives the topic's offsets.
  const admin = kafka.admin();
  await admin.connect();
  try {
    await until(
      () =>
        admin.fetchTopicOffsets(topic).then(
          () => true,
          () => false,
        ),
      30_000,
      `the broker to answer for ${topic}`,
    );
  } finally {
    await admin.disconnect();
  }
  return (await readToEnd(kafka, [topic], { mayGrow: true, timeoutMs: 60_000 })).map(
    ({ key, partition, value, timestamp }) => ({
      key: String(key),
      partition,
      timestamp: Number(timestamp),
      sequence: Number(SEQUENCE.exec(value!.toString('latin1'))?.[1] ?? -1),
    }),
  );
}

export interface Accounting {
  sent: number;
  acknowledged: number;
  /** Acknowledged and found in Kafka (at least once). */
  found: number;
  missing: number[];
  /** Records in Kafka beyond the first copy of each callback. */
  duplicates: number;
  /** Records in Kafka of callbacks that were not acknowledged (a 503 after a timeout may still land). */
  unacknowledgedInKafka: number;
  /** Devices whose acknowledged callbacks appear in Kafka (first copies) out of the order they were sent. */
  orderViolations: string[];
  /**
   * Acknowledged callbacks whose record (first copy) is stamped later than their answer came: the timestamp must
   * be when the callback was received, also when a spool delivered it after an outage.
   */
  stampedLate: number[];
  statuses: Record<string, number>;
}

export function account(sent: readonly Sent[], found: readonly FoundRecord[]): Accounting {
  const acked = new Set(sent.filter((s) => s.status === 200).map((s) => s.sequence));
  const answeredAt = new Map(sent.map((s) => [s.sequence, s.answeredAt]));
  const stampedLate: number[] = [];
  const copies = new Map<number, number>();
  for (const record of found) copies.set(record.sequence, (copies.get(record.sequence) ?? 0) + 1);
  const statuses: Record<string, number> = {};
  for (const s of sent) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
  // Per key, in partition order: the first copies of acknowledged callbacks must come in increasing sequence.
  const byKey = new Map<string, number[]>();
  const seen = new Set<number>();
  for (const record of found) {
    if (!acked.has(record.sequence) || seen.has(record.sequence)) continue;
    seen.add(record.sequence);
    if (record.timestamp > answeredAt.get(record.sequence)!) stampedLate.push(record.sequence);
    const list = byKey.get(record.key) ?? [];
    list.push(record.sequence);
    byKey.set(record.key, list);
  }
  const orderViolations: string[] = [];
  for (const [key, sequences] of byKey) {
    for (let i = 1; i < sequences.length; i++) {
      if (sequences[i]! < sequences[i - 1]!) {
        orderViolations.push(`${key}: ${sequences[i - 1]} before ${sequences[i]}`);
        break;
      }
    }
  }
  return {
    sent: sent.length,
    acknowledged: acked.size,
    found: [...acked].filter((seq) => copies.has(seq)).length,
    missing: [...acked].filter((seq) => !copies.has(seq)),
    duplicates: [...copies.values()].reduce((sum, n) => sum + n - 1, 0),
    unacknowledgedInKafka: [...copies.keys()].filter((seq) => !acked.has(seq)).length,
    orderViolations,
    stampedLate,
    statuses,
  };
}

export function print(what: string, counts: Accounting, extra: Record<string, unknown> = {}): void {
  const { missing, orderViolations, stampedLate, ...rest } = counts;
  const sizes = {
    missing: missing.length,
    orderViolations: orderViolations.length,
    stampedLate: stampedLate.length,
  };
  process.stdout.write(`${what}: ${JSON.stringify({ ...rest, ...sizes, ...extra })}\n`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The /readyz body: with the spool, its mode and depth. */
export async function readyz(
  port: number,
): Promise<{ status: string; delivery?: string; spool?: { records: number } }> {
  const r = await fetch(`http://127.0.0.1:${port}/readyz`);
  return (await r.json()) as { status: string; delivery?: string; spool?: { records: number } };
}
