/**
 * The Kafka and schema registry clients of a bridge, built from its config. Credentials are revealed here and
 * nowhere else on the Kafka side.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import type { KafkaConfig, SchemaRegistryConfig } from '../config';

export function createKafkaClient(config: KafkaConfig): Kafka {
  const { tls, sasl } = config;
  return new Kafka({
    clientId: config.clientId,
    brokers: [...config.brokers],
    ssl: tls.enabled ? { ca: tls.ca, cert: tls.cert, key: tls.key?.reveal() } : false,
    ...(sasl ? { sasl: saslOptions(sasl) } : {}),
    // The bridge logs what matters itself (pino); kafkajs's own lines are for debugging the client.
    logLevel: logLevel.ERROR,
  });
}

function saslOptions(sasl: NonNullable<KafkaConfig['sasl']>): SASLOptions {
  return {
    mechanism: sasl.mechanism,
    username: sasl.username,
    password: sasl.password.reveal(),
  };
}

export function createRegistryClient(config: SchemaRegistryConfig): SchemaRegistry {
  const { url, auth } = config;
  return new SchemaRegistry({
    host: url,
    ...(auth ? { auth: { username: auth.username, password: auth.password.reveal() } } : {}),
  });
}
