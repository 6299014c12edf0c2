/**
 * The Kafka and schema registry clients, built from the config: the one place every kafkajs client of the project
 * is made (`serve`, `tail`, the bench, the tests), and the @platformatic/kafka producer's connection settings, so
 * TLS, SASL, the client id and logging are the same for all. Credentials are revealed here and nowhere else on the
 * Kafka side.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Base, BaseOptions, Broker, SASLMechanismValue } from '@platformatic/kafka';
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

/** What a @platformatic/kafka client is given of the config: its brokers, id, TLS and SASL. */
export type PlatformaticConnection = Pick<BaseOptions, 'clientId' | 'bootstrapBrokers' | 'tls' | 'sasl'>;

const PLATFORMATIC_SASL: Readonly<Record<NonNullable<KafkaConfig['sasl']>['mechanism'], SASLMechanismValue>> =
  {
    plain: 'PLAIN',
    'scram-sha-256': 'SCRAM-SHA-256',
    'scram-sha-512': 'SCRAM-SHA-512',
  };

/**
 * The same connection as createKafkaClient's, in @platformatic/kafka's terms. The password is given as a function
 * that reveals it when the SASL exchange asks: the options object (which the library hands around, in events too)
 * never holds it.
 */
export function platformaticConnection(config: KafkaConfig, clientId?: string): PlatformaticConnection {
  const { tls, sasl } = config;
  return {
    clientId: clientId ?? config.clientId,
    bootstrapBrokers: [...config.brokers],
    ...(tls.enabled ? { tls: { ca: tls.ca, cert: tls.cert, key: tls.key?.reveal() } } : {}),
    ...(sasl
      ? {
          sasl: {
            mechanism: PLATFORMATIC_SASL[sasl.mechanism],
            username: sasl.username,
            password: () => sasl.password.reveal(),
          },
        }
      : {}),
  };
}

/**
 * A @platformatic/kafka client's events as pino lines of a `{ component: "platformatic-kafka" }` child, at the
 * levels kafkajs's would have (KAFKAJS_LOG_LEVEL): a broker that could not be reached (error), an operation
 * retried (warn) or given up (error; info for a group member's request the coordinator answered with a rebalance
 * at work: every member sees those at each rebalance, the library rejoins, a fenced transaction is aborted and
 * said by its caller). Only the broker's address, the operation and the error's message are logged: the events
 * also carry the connection, whose options hold the TLS key. The library's own tracing is the `debug` module's
 * (`DEBUG=plt:kafka:*`). Returns that child, for the adapter's own lines.
 */
export function forwardPlatformaticLogs(client: Base, logger: Logger): Logger {
  const log = logger.child({ component: 'platformatic-kafka' });
  client.on('client:broker:failed', ({ broker }) => {
    log.error({ broker: address(broker) }, 'Could not connect to a broker');
  });
  client.on(
    'client:performWithRetry:retry',
    (operation: string, attempt: number, _retries, delayMs: number) => {
      log.warn({ operation, attempt: attempt + 1, delayMs }, `${operation} failed, retrying`);
    },
  );
  client.on('client:performWithRetry:failed', (operation: string, _retries, errors: readonly Error[]) => {
    const fields = { operation, error: errors.at(-1)?.message };
    if (isRebalanceAnswer(operation, errors)) log.info(fields, `${operation}: the group is rebalancing`);
    else log.error(fields, `${operation} failed`);
  });
  return log;
}

/**
 * The requests that carry a group member's generation: its membership (join, sync, heartbeat) and its offset
 * commits (`commit`: the consumer's OffsetCommit, a transactional producer's TxnOffsetCommit, which a rebalance
 * fences). The rest (a fetch, a produce) fail for a reason of their own.
 */
const GROUP_OPERATIONS: ReadonlySet<string> = new Set(['joinGroup', 'syncGroup', 'heartbeat', 'commit']);

/**
 * The coordinator's answers that are a rebalance at work, each followed by the library's rejoin: a rebalance
 * started (REBALANCE_IN_PROGRESS), a first JoinGroup given its member id (MEMBER_ID_REQUIRED, KIP-394), a member
 * one generation behind (ILLEGAL_GENERATION).
 */
const REBALANCE_ANSWERS: ReadonlySet<string> = new Set([
  'REBALANCE_IN_PROGRESS',
  'MEMBER_ID_REQUIRED',
  'ILLEGAL_GENERATION',
]);

/** Whether a group request failed only with rebalance answers (every attempt's every error): expected. */
function isRebalanceAnswer(operation: string, errors: readonly unknown[]): boolean {
  return GROUP_OPERATIONS.has(operation) && errors.length > 0 && errors.every(onlyRebalanceAnswers);
}

function onlyRebalanceAnswers(error: unknown): boolean {
  // A response's errors come as one AggregateError (the library's MultipleErrors) of ProtocolErrors.
  if (error instanceof AggregateError)
    return error.errors.length > 0 && error.errors.every(onlyRebalanceAnswers);
  const apiId = (error as { apiId?: unknown } | null | undefined)?.apiId;
  return typeof apiId === 'string' && REBALANCE_ANSWERS.has(apiId);
}

function address({ host, port }: Broker): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function createRegistryClient(config: SchemaRegistryConfig): SchemaRegistry {
  const { url, auth } = config;
  return new SchemaRegistry({
    host: url,
    ...(auth ? { auth: { username: auth.username, password: auth.password.reveal() } } : {}),
  });
}
