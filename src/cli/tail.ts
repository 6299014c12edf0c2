/**
 * `thingspace-bridge tail`: prints the events on the bridge's topics, decoded with the schema registry, one JSON
 * object per line (or, with --output pretty, one line for a person). For operators checking what downstream teams
 * receive, and for the demo; `thingspace-bridge tail --help` lists the options.
 *
 * Connects as `serve` does, from the bridge's own config (--config or BRIDGE_CONFIG): brokers, TLS, SASL, client
 * id and topics from its kafka section, the registry and its auth from schemaRegistry, the log level from log; the
 * other sections are not read. --brokers and --registry win over KAFKA_BROKERS and SCHEMA_REGISTRY_URL, which win
 * over the file. Reads with a throwaway consumer group and commits nothing, so it never moves anyone's offsets.
 * Its own lines (refusals, skipped records, kafkajs's logs through pino) go to stderr: stdout holds the records.
 *
 * It checks the registry and Kafka before reading, each within seconds, and exits 1 naming the one it could not
 * reach; a record it cannot decode is reported on stderr and skipped.
 */
import { randomUUID } from 'node:crypto';
import { Option } from 'commander';
import type { Consumer, Kafka } from 'kafkajs';
import { loadClientConfig, topicsOf } from '../config';
import type { ClientConfig } from '../config';
import { createKafkaClient, createRegistryClient } from '../kafka/clients';
import { failureInWords } from '../kafka/failure-words';
import { createRegistryHttp } from '../kafka/registry-http';
import type { Logger } from '../observability';
import {
  collect,
  defineCommand,
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  parseCommand,
  positiveInteger,
} from './command';
import { configArgv, startWithConfig } from './config';
import { formatRecord, matches, OUTPUTS, serviceFilter } from './tail-records';
import type { Output, TailedRecord, TailFilter } from './tail-records';
import { timeOrAgoOf } from './time';

export { toJsonLine } from './tail-records';
export type { TailedRecord } from './tail-records';

export const DESCRIPTION = "print the bridge's events from Kafka, decoded with the schema registry";

/** A record tail could not decode: reported and skipped. */
export interface SkippedRecord {
  topic: string;
  partition: number;
  offset: string;
  reason: string;
}

export interface TailOptions {
  /** Where and how to connect (the bridge's config, or its Kafka side alone). */
  config: Pick<ClientConfig, 'kafka' | 'schemaRegistry'>;
  /** kafkajs's log lines go to it. */
  logger: Logger;
  /** The config's category topics when absent. */
  topics?: readonly string[];
  fromBeginning: boolean;
  /** Start at the first record at or after this time (epoch ms) instead. */
  since?: number;
  /** Only the records it passes are shown and counted. */
  filter?: TailFilter;
  /** Stop after this many records (undefined: run until stopped). */
  count?: number;
  /** Stop when no record arrived for this long (undefined: run until stopped). */
  idleMs?: number;
  onRecord: (record: TailedRecord) => void;
  onSkipped?: (skipped: SkippedRecord) => void;
  signal?: AbortSignal;
}

/** Kafka or the registry could not be reached: the message says which, and why. */
export class TailError extends Error {
  override name = 'TailError';
}

/**
 * kafkajs's retries for tail's requests: three tries over about 2 s, so that a broker that is not there fails
 * the command within seconds (kafkajs's defaults keep trying for about 30 s), while a leader moving is ridden out.
 */
const TAIL_RETRY = { retries: 3, initialRetryTime: 300, maxRetryTime: 2000 };
/** A reason longer than this is cut: a decoder's message may quote the bytes it refused. */
const MAX_REASON_CHARS = 200;

/** Consumes until count, idleness or the signal ends it; resolves with how many records were shown. */
export async function tail(options: TailOptions): Promise<number> {
  const { kafka: kafkaConfig, schemaRegistry } = options.config;
  await checkRegistry(schemaRegistry);
  const kafka = createKafkaClient(kafkaConfig, {
    logger: options.logger,
    clientId: `${kafkaConfig.clientId}-tail`,
    retry: TAIL_RETRY,
  });
  const registry = createRegistryClient(schemaRegistry);
  const topics = [...(options.topics ?? categoryTopics(kafkaConfig))];
  // A mistyped --topic must not create a topic: it fails the command instead.
  const consumer = kafka.consumer({
    groupId: `thingspace-bridge-tail-${randomUUID()}`,
    retry: TAIL_RETRY,
    allowAutoTopicCreation: false,
  });
  await connect(consumer, kafkaConfig.brokers);
  let seen = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  try {
    try {
      await consumer.subscribe({ topics, fromBeginning: options.fromBeginning });
    } catch (err) {
      throw new TailError(`cannot read ${topics.join(', ')}: ${(err as Error).message}`, { cause: err });
    }
    const starts = options.since === undefined ? [] : await offsetsAt(kafka, topics, options.since);
    let stop!: () => void;
    let fail!: (err: Error) => void;
    const stopped = new Promise<void>((resolve, reject) => {
      stop = resolve;
      fail = reject;
    });
    const armIdle = () => {
      if (options.idleMs === undefined) return;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(stop, options.idleMs);
    };
    options.signal?.addEventListener('abort', () => stop(), { once: true });
    // kafkajs restarts the consumer after a retriable crash; any other would leave tail waiting for nothing.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) fail(new TailError(`reading Kafka failed: ${payload.error.message}`));
    });
    armIdle();
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        let value: unknown = null;
        try {
          if (message.value !== null) value = await registry.decode(message.value);
        } catch (err) {
          // Never thrown on: kafkajs would retry the record for ever.
          const reason = err instanceof Error ? err.message : String(err);
          options.onSkipped?.({
            topic,
            partition,
            offset: message.offset,
            reason: reason.slice(0, MAX_REASON_CHARS),
          });
          return;
        }
        const record = {
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          timestamp: Number(message.timestamp),
          value,
        };
        if (options.filter !== undefined && !matches(options.filter, record)) return;
        options.onRecord(record);
        seen += 1;
        armIdle();
        if (options.count !== undefined && seen >= options.count) stop();
      },
    });
    // run() has joined the group: seeks apply from the next fetch.
    for (const start of starts) consumer.seek(start);
    await stopped;
  } finally {
    clearTimeout(idleTimer);
    await consumer.disconnect();
  }
  return seen;
}

/** The events' topics: all but the dead letters, which hold no event. */
function categoryTopics(kafka: ClientConfig['kafka']): string[] {
  return Object.entries(topicsOf(kafka))
    .filter(([stream]) => stream !== 'dead-letter')
    .map(([, topic]) => topic);
}

/** Any request the registry answers with 200 proves its URL and credentials: the global compatibility level. */
async function checkRegistry(config: ClientConfig['schemaRegistry']): Promise<void> {
  try {
    await createRegistryHttp(config).globalLevel();
  } catch (err) {
    throw new TailError(`cannot use the schema registry: ${(err as Error).message}`, { cause: err });
  }
}

async function connect(consumer: Consumer, brokers: readonly string[]): Promise<void> {
  try {
    await consumer.connect();
  } catch (err) {
    throw new TailError(`cannot reach Kafka at ${brokers.join(',')}: ${failureInWords(err)}`, { cause: err });
  }
}

/** Per partition of each topic, the offset of its first record at or after `since` (or its end). */
async function offsetsAt(
  kafka: Kafka,
  topics: readonly string[],
  since: number,
): Promise<{ topic: string; partition: number; offset: string }[]> {
  const admin = kafka.admin({ retry: TAIL_RETRY });
  await admin.connect();
  try {
    const starts = [];
    for (const topic of topics) {
      for (const { partition, offset } of await admin.fetchTopicOffsetsByTimestamp(topic, since)) {
        starts.push({ topic, partition, offset });
      }
    }
    return starts;
  } finally {
    await admin.disconnect();
  }
}

interface TailFlags {
  config?: string;
  brokers?: string;
  registry?: string;
  topic?: string[];
  fromBeginning?: true;
  since?: string;
  device?: string[];
  service?: string[];
  account?: string[];
  status?: string[];
  output: Output;
  count?: number;
  idleMs?: number;
}

function command() {
  return defineCommand('tail', DESCRIPTION)
    .option('-c, --config <file>', "the bridge's config file (default: $BRIDGE_CONFIG)")
    .option('--brokers <list>', 'Kafka brokers, comma-separated (default: $KAFKA_BROKERS, then the file)')
    .option('--registry <url>', 'the schema registry (default: $SCHEMA_REGISTRY_URL, then the file)')
    .option('--topic <name>', 'a topic to read, repeatable (default: the three category topics)', collect)
    .addOption(new Option('--from-beginning', 'from the first record kept').conflicts('since'))
    .option(
      '--since <time>',
      'from this time: ISO 8601 with a zone, a date, or a duration back (10m, 2h, 7d)',
    )
    .option(
      '--device <id>',
      'only events of this device (identifier or kind:identifier), repeatable',
      collect,
    )
    .option('--service <name>', 'only events of this callback service, repeatable', collect)
    .option('--account <name>', 'only events of this account, repeatable', collect)
    .option('--status <status>', 'only events with this status (Success, Failed, ...), repeatable', collect)
    .addOption(new Option('--output <format>', 'json: one object per line').choices(OUTPUTS).default('json'))
    .option('--count <n>', 'stop after N records shown', positiveInteger)
    .option('--idle-ms <ms>', 'stop when no record was shown for MS milliseconds', positiveInteger);
}

export async function run(args: string[], now = Date.now()): Promise<number> {
  const parsed = parseCommand(command(), args);
  if (!parsed.ok) return parsed.code;
  const flags = parsed.options as unknown as TailFlags;
  const refuse = (problem: string) => {
    process.stderr.write(
      `thingspace-bridge tail: ${problem}\n(run 'thingspace-bridge tail --help' for usage)\n`,
    );
    return EXIT_USAGE;
  };
  const since = flags.since === undefined ? undefined : timeOrAgoOf('--since', flags.since, now);
  if (typeof since === 'string') return refuse(since);
  const services = serviceFilter(flags.service ?? []);
  if ('unknown' in services) return refuse(`--service: '${services.unknown}' is not a callback service`);
  const filter: TailFilter = {
    ...(flags.device ? { devices: flags.device } : {}),
    ...(flags.service ? { services: services.services } : {}),
    ...(flags.account ? { accounts: flags.account } : {}),
    ...(flags.status ? { statuses: flags.status } : {}),
  };

  // A flag wins over the variable it stands for, which wins over the file: the loader applies the variables.
  const env = {
    ...process.env,
    ...(flags.brokers === undefined ? {} : { KAFKA_BROKERS: flags.brokers }),
    ...(flags.registry === undefined ? {} : { SCHEMA_REGISTRY_URL: flags.registry }),
  };
  // Its own lines go to stderr: stdout holds only the records.
  const started = startWithConfig(
    'tail',
    () => loadClientConfig({ argv: configArgv(flags), env, cwd: process.cwd() }),
    process.stderr,
  );
  if (started === undefined) return EXIT_USAGE;
  const { config, logger } = started;

  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  try {
    await tail({
      config,
      logger,
      topics: flags.topic,
      fromBeginning: flags.fromBeginning === true,
      since,
      filter,
      count: flags.count,
      idleMs: flags.idleMs,
      onRecord: (record) => process.stdout.write(`${formatRecord(record, flags.output)}\n`),
      onSkipped: ({ topic, partition, offset, reason }) =>
        process.stderr.write(`thingspace-bridge tail: skipped ${topic}/${partition}@${offset}: ${reason}\n`),
      signal: abort.signal,
    });
  } catch (err) {
    if (!(err instanceof TailError)) throw err;
    process.stderr.write(`thingspace-bridge tail: ${err.message}\n`);
    return EXIT_FAILED;
  }
  return EXIT_OK;
}
