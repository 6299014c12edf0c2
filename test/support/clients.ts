/**
 * Kafka and registry clients for the tests and the bench, made the way the bridge makes its own: by its client
 * factory, from a config its parser built (the schema's defaults plus the servers given), logging through pino.
 */
import type { Kafka } from 'kafkajs';
import {
  DEFAULT_KAFKA_CLIENT,
  KAFKA_CLIENTS,
  parseClientConfig,
  type ClientConfig,
  type Env,
  type KafkaConfig,
} from '../../src/config';
import { DEFAULT_TOPICS, type Stream } from '../../src/events/schemas';
import { createKafkaClient, type KafkaClientOptions } from '../../src/kafka/clients';
import { createLogger, type Logger } from '../../src/observability';

export interface Servers {
  brokers: readonly string[];
  /** For tools that never ask the registry: any URL will do, none is contacted. */
  registryUrl?: string;
}

/**
 * The producer library the tests run the bridge and the Publisher on: `KAFKA_CLIENT` (`kafkajs` or
 * `platformatic`), the config's default when unset; `KAFKA_CLIENT=kafkajs npm run test:integration` runs the
 * integration project on kafkajs. The tests' own clients (admin, reading topics) are kafkajs either way.
 */
export function testKafkaClient(): KafkaConfig['client'] {
  const name = process.env.KAFKA_CLIENT ?? DEFAULT_KAFKA_CLIENT;
  const known: readonly string[] = KAFKA_CLIENTS;
  if (!known.includes(name))
    throw new Error(`KAFKA_CLIENT=${name}: expected one of ${KAFKA_CLIENTS.join(', ')}`);
  return name as KafkaConfig['client'];
}

/**
 * The Kafka side of a config for these servers: `kafka` and `schemaRegistry` settings added to them, on the
 * tests' producer library (testKafkaClient). The environment is not read (KAFKA_BROKERS must not replace a test's own brokers) unless given.
 */
export function clientConfig(
  servers: Servers,
  settings: { kafka?: Record<string, unknown>; schemaRegistry?: Record<string, unknown> } = {},
  env: Env = {},
): ClientConfig {
  return parseClientConfig(
    {
      kafka: { brokers: [...servers.brokers], client: testKafkaClient(), ...settings.kafka },
      schemaRegistry: { url: servers.registryUrl ?? 'http://registry.invalid', ...settings.schemaRegistry },
    },
    env,
  ).config;
}

/** Warnings and errors on stderr, as JSON lines with the bridge's redaction. */
export function stderrLogger(level: 'warn' | 'error' | 'silent' = 'warn'): Logger {
  return createLogger({ level }, process.stderr);
}

/** A kafkajs client for these brokers, through the bridge's factory; logs to stderr unless a logger is given. */
export function kafkaClient(
  servers: Servers,
  options: Omit<KafkaClientOptions, 'logger'> & { logger?: Logger } = {},
): Kafka {
  return createKafkaClient(clientConfig(servers).kafka, {
    ...options,
    logger: options.logger ?? stderrLogger(),
  });
}

/** The default topic names with `prefix` in place of their `thingspace` namespace: `<prefix>.async-responses`, ... */
export function prefixedTopics(prefix: string): Record<Stream, string> {
  const entries = Object.entries(DEFAULT_TOPICS).map(([stream, topic]) => [
    stream,
    `${prefix}${topic.slice(topic.indexOf('.'))}`,
  ]);
  return Object.fromEntries(entries) as Record<Stream, string>;
}
