/**
 * Helpers for integration tests: clients for the servers the global setup provided, and unique names so that
 * tests never share topics or subjects and can run against a long-lived cluster.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { parseClientConfig, type ClientConfig } from '../../src/config';
import { createKafkaClient, createRegistryClient } from '../../src/kafka/clients';
import { stderrLogger } from '../support/clients';

export interface TestServers {
  kafka: Kafka;
  registry: SchemaRegistry;
  brokers: string[];
  registryUrl: string;
  /** The Kafka side of a bridge config for these servers (the schema's defaults otherwise). */
  config: ClientConfig;
}

export function testServers(): TestServers {
  if (!process.env.KAFKA_BROKERS || !process.env.SCHEMA_REGISTRY_URL) {
    throw new Error('KAFKA_BROKERS and SCHEMA_REGISTRY_URL are unset: run through the integration project');
  }
  // The env the global setup gave, read as the bridge and `tail` read it.
  const { config } = parseClientConfig(undefined, process.env);
  return {
    kafka: createKafkaClient(config.kafka, { logger: stderrLogger(), clientId: 'integration-test' }),
    registry: createRegistryClient(config.schemaRegistry),
    brokers: [...config.kafka.brokers],
    registryUrl: config.schemaRegistry.url,
    config,
  };
}

/** A topic or subject name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
