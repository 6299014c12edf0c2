/**
 * Helpers for integration tests: clients for the servers the global setup provided, and unique names so that
 * tests never share topics or subjects and can run against a long-lived cluster.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';

export interface TestServers {
  kafka: Kafka;
  registry: SchemaRegistry;
  brokers: string[];
  registryUrl: string;
}

export function testServers(): TestServers {
  const brokers = process.env.KAFKA_BROKERS;
  const registryUrl = process.env.SCHEMA_REGISTRY_URL;
  if (!brokers || !registryUrl) {
    throw new Error('KAFKA_BROKERS and SCHEMA_REGISTRY_URL are unset: run through the integration project');
  }
  const list = brokers.split(',').map((b) => b.trim());
  return {
    kafka: new Kafka({ clientId: 'integration-test', brokers: list, logLevel: logLevel.WARN }),
    registry: new SchemaRegistry({ host: registryUrl }),
    brokers: list,
    registryUrl,
  };
}

/** A topic or subject name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
