/**
 * `thingspace-bridge tail`: prints the events on the bridge's topics, decoded with the schema registry, one JSON
 * line each. For operators checking what downstream teams receive, and for the demo.
 *
 *   thingspace-bridge tail [--topic T]... [--from-beginning] [--count N] [--idle-ms MS]
 *
 * Brokers and registry from KAFKA_BROKERS and SCHEMA_REGISTRY_URL. Reads with a throwaway consumer group and
 * commits nothing, so it never moves anyone's offsets.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';

export const DEFAULT_TOPICS = [
  'thingspace.async-responses',
  'thingspace.external-changes',
  'thingspace.device-originated',
  'thingspace.dead-letter',
];

/** One record as printed: where it sits, its key, and the decoded Avro value. */
export interface TailedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: unknown;
}

export interface TailOptions {
  brokers: string[];
  registryUrl: string;
  topics: string[];
  fromBeginning: boolean;
  /** Stop after this many records (undefined: run until stopped). */
  count?: number;
  /** Stop when no record arrived for this long (undefined: run until stopped). */
  idleMs?: number;
  onRecord: (record: TailedRecord) => void;
  signal?: AbortSignal;
}

/** Consumes until count, idleness or the signal ends it; resolves with how many records were seen. */
export async function tail(options: TailOptions): Promise<number> {
  const kafka = new Kafka({
    clientId: 'thingspace-bridge-tail',
    brokers: options.brokers,
    logLevel: logLevel.WARN,
  });
  const registry = new SchemaRegistry({ host: options.registryUrl });
  const consumer = kafka.consumer({ groupId: `thingspace-bridge-tail-${randomUUID()}` });
  let seen = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning });
    await new Promise<void>((resolve, reject) => {
      let idleTimer: NodeJS.Timeout | undefined;
      const armIdle = () => {
        if (options.idleMs === undefined) return;
        clearTimeout(idleTimer);
        idleTimer = setTimeout(resolve, options.idleMs);
      };
      options.signal?.addEventListener('abort', () => resolve(), { once: true });
      armIdle();
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            const value: unknown = message.value === null ? null : await registry.decode(message.value);
            options.onRecord({
              topic,
              partition,
              offset: message.offset,
              key: message.key?.toString() ?? null,
              value,
            });
            seen += 1;
            armIdle();
            if (options.count !== undefined && seen >= options.count) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/** JSON for decoded Avro: Dates as ISO strings, bytes as base64, longs as numbers where avsc gives bigint. */
export function toJsonLine(record: TailedRecord): string {
  return JSON.stringify(record, (_key, value: unknown) => {
    if (typeof value === 'bigint') return Number(value);
    if (value instanceof Buffer) return value.toString('base64');
    return value;
  });
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      topic: { type: 'string', multiple: true },
      'from-beginning': { type: 'boolean', default: false },
      count: { type: 'string' },
      'idle-ms': { type: 'string' },
    },
  });
  const brokers = process.env.KAFKA_BROKERS;
  const registryUrl = process.env.SCHEMA_REGISTRY_URL;
  if (!brokers || !registryUrl) {
    process.stderr.write('tail: set KAFKA_BROKERS and SCHEMA_REGISTRY_URL\n');
    return 2;
  }
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  await tail({
    brokers: brokers.split(',').map((b) => b.trim()),
    registryUrl,
    topics: values.topic ?? DEFAULT_TOPICS,
    fromBeginning: values['from-beginning'],
    count: values.count === undefined ? undefined : Number(values.count),
    idleMs: values['idle-ms'] === undefined ? undefined : Number(values['idle-ms']),
    onRecord: (record) => process.stdout.write(`${toJsonLine(record)}\n`),
    signal: abort.signal,
  });
  return 0;
}
