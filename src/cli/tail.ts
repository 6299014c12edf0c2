/**
 * `thingspace-bridge tail`: prints the events on the bridge's topics, decoded with the schema registry, one JSON
 * line each. For operators checking what downstream teams receive, and for the demo.
 *
 *   thingspace-bridge tail [--config FILE] [--topic T]... [--from-beginning] [--count N] [--idle-ms MS]
 *
 * Connects as `serve` does, from the bridge's own config (--config or BRIDGE_CONFIG): brokers, TLS, SASL, client
 * id and topics from its kafka section, the registry and its auth from schemaRegistry, the log level from log; the
 * other sections are not read. KAFKA_BROKERS and SCHEMA_REGISTRY_URL override the file, or, without one, are all
 * it needs. Reads with a throwaway consumer group and commits nothing, so it never moves anyone's offsets. Its
 * own log lines (kafkajs's, through pino) go to stderr: stdout holds the records only.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadClientConfig, topicsOf } from '../config';
import type { ClientConfig } from '../config';
import { createKafkaClient, createRegistryClient } from '../kafka/clients';
import type { Logger } from '../observability';
import { startWithConfig } from './config';

/** One record as printed: where it sits, its key, and the decoded Avro value. */
export interface TailedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: unknown;
}

export interface TailOptions {
  /** Where and how to connect (the bridge's config, or its Kafka side alone). */
  config: Pick<ClientConfig, 'kafka' | 'schemaRegistry'>;
  /** kafkajs's log lines go to it. */
  logger: Logger;
  /** The config's four topics when absent. */
  topics?: readonly string[];
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
  const { kafka: kafkaConfig, schemaRegistry } = options.config;
  const kafka = createKafkaClient(kafkaConfig, {
    logger: options.logger,
    clientId: `${kafkaConfig.clientId}-tail`,
  });
  const registry = createRegistryClient(schemaRegistry);
  const topics = options.topics ?? Object.values(topicsOf(kafkaConfig));
  const consumer = kafka.consumer({ groupId: `thingspace-bridge-tail-${randomUUID()}` });
  let seen = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: options.fromBeginning });
    await new Promise<void>((resolve, reject) => {
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
    clearTimeout(idleTimer);
    await consumer.disconnect();
  }
  return seen;
}

/** JSON for decoded Avro: Dates as ISO strings, bytes as base64, longs as numbers where avsc gives bigint. */
export function toJsonLine(record: TailedRecord): string {
  return JSON.stringify(record, function (this: Record<string, unknown>, key, value: unknown) {
    // JSON.stringify has already called Buffer's toJSON ({type, data}) by now: look at the value as it was.
    const original = this[key];
    if (original instanceof Buffer) return original.toString('base64');
    if (typeof value === 'bigint') return Number(value);
    return value;
  });
}

const USAGE =
  'usage: thingspace-bridge tail [--config FILE] [--topic T]... [--from-beginning] [--count N] [--idle-ms MS]';

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        topic: { type: 'string', multiple: true },
        'from-beginning': { type: 'boolean', default: false },
        count: { type: 'string' },
        'idle-ms': { type: 'string' },
      },
    }));
  } catch (err) {
    process.stderr.write(`thingspace-bridge tail: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const count = positiveInteger(values.count);
  const idleMs = positiveInteger(values['idle-ms']);
  if (count === null || idleMs === null) {
    process.stderr.write(`thingspace-bridge tail: --count and --idle-ms take a positive integer\n${USAGE}\n`);
    return 2;
  }
  // Its own lines go to stderr: stdout holds only the records.
  const started = startWithConfig(
    'tail',
    () => loadClientConfig({ argv: args, env: process.env, cwd: process.cwd() }),
    process.stderr,
  );
  if (started === undefined) return 2;
  const { config, logger } = started;

  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  await tail({
    config,
    logger,
    topics: values.topic,
    fromBeginning: values['from-beginning'],
    count,
    idleMs,
    onRecord: (record) => process.stdout.write(`${toJsonLine(record)}\n`),
    signal: abort.signal,
  });
  return 0;
}

/** undefined when not given, null when not a positive integer. */
function positiveInteger(text: string | undefined): number | undefined | null {
  if (text === undefined) return undefined;
  return /^[1-9]\d*$/.test(text) ? Number(text) : null;
}
