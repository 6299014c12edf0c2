/**
 * The Kafka and schema registry clients, built from the config: the one place every kafkajs client of the project
 * is made (`serve`, `tail`, the bench, the tests), so TLS, SASL, the client id and logging are the same for all.
 * Credentials are revealed here and nowhere else on the Kafka side.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import {
  Kafka,
  logLevel,
  type LogEntry,
  type logCreator,
  type RetryOptions,
  type SASLOptions,
} from 'kafkajs';
import type { KafkaConfig, SchemaRegistryConfig } from '../config';
import type { Logger } from '../observability';

/**
 * kafkajs's own lines at WARN and ERROR only. ERROR is what went wrong on the wire (a connection refused, a request
 * failed after its retries); WARN is rare and says something an operator acts on (topic creation retried, a
 * consumer group rebalancing, a response without its request). INFO and DEBUG are per connection and per request:
 * the bridge logs what matters of those itself (ready, publish failures, readiness). KAFKAJS_LOG_LEVEL, kafkajs's
 * own variable, overrides this (`KAFKAJS_LOG_LEVEL=debug` when debugging a SASL or TLS handshake).
 */
export const KAFKAJS_LOG_LEVEL = logLevel.WARN;

export interface KafkaClientOptions {
  /** kafkajs's log lines go to a child of it (`component: "kafkajs"`), so its level and redaction apply. */
  logger: Logger;
  /** Instead of `config.clientId`: a tool names itself (`tail` is `<clientId>-tail`). */
  clientId?: string;
  /** The most verbose kafkajs level passed on; KAFKAJS_LOG_LEVEL, unless a caller expects kafkajs errors. */
  logLevel?: logLevel;
  /** kafkajs's retry options for every request of the client; its defaults when absent. */
  retry?: RetryOptions;
}

export function createKafkaClient(config: KafkaConfig, options: KafkaClientOptions): Kafka {
  const { tls, sasl } = config;
  return new Kafka({
    clientId: options.clientId ?? config.clientId,
    brokers: [...config.brokers],
    ssl: tls.enabled ? { ca: tls.ca, cert: tls.cert, key: tls.key?.reveal() } : false,
    ...(sasl ? { sasl: saslOptions(sasl) } : {}),
    logLevel: options.logLevel ?? KAFKAJS_LOG_LEVEL,
    logCreator: pinoLogCreator(options.logger),
    ...(options.retry ? { retry: options.retry } : {}),
  });
}

function saslOptions(sasl: NonNullable<KafkaConfig['sasl']>): SASLOptions {
  return {
    mechanism: sasl.mechanism,
    username: sasl.username,
    password: sasl.password.reveal(),
  };
}

const PINO_LEVELS: Readonly<Record<number, 'error' | 'warn' | 'info' | 'debug'>> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** pino has its own time, and the child says `component`; the message is the line's `msg`. */
const DROPPED = ['timestamp', 'logger', 'message', 'payload', 'data'];

/**
 * kafkajs log entries as pino lines of a `{ component: "kafkajs" }` child: the message as `msg`, kafkajs's
 * namespace (Connection, Producer, ...) and its fields (broker, clientId, error, retryCount, groupId, ...) as
 * fields, pino's own time and level instead of kafkajs's. The child has the logger's redaction (secret keys at any
 * depth). kafkajs logs `ssl` and `sasl` as booleans; anything else under those names would be client options, so
 * it is dropped, as are `payload` and `data`, where KAFKAJS_DEBUG_PROTOCOL_BUFFERS=1 puts raw protocol bytes (the
 * SASL exchange among them).
 */
export function pinoLogCreator(logger: Logger): logCreator {
  const kafkajs = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const fields: Record<string, unknown> = { ...(namespace ? { namespace } : {}), ...log };
      for (const key of DROPPED) delete fields[key];
      for (const key of ['ssl', 'sasl']) {
        if (typeof fields[key] !== 'boolean') delete fields[key];
      }
      kafkajs[PINO_LEVELS[level] ?? 'info'](fields, log.message);
    };
}

export function createRegistryClient(config: SchemaRegistryConfig): SchemaRegistry {
  const { url, auth } = config;
  return new SchemaRegistry({
    host: url,
    ...(auth ? { auth: { username: auth.username, password: auth.password.reveal() } } : {}),
  });
}
