/**
 * Jest global setup of the `integration` project: provides the real Kafka and schema registry and hands them to
 * the test workers through KAFKA_BROKERS and SCHEMA_REGISTRY_URL (workers start after this and inherit env).
 */
import { provideInfra, type IntegrationInfra } from './environment';

declare global {
  var __integrationInfra: IntegrationInfra | undefined;
}

export default async function globalSetup(): Promise<void> {
  const infra = await provideInfra();
  globalThis.__integrationInfra = infra;
  process.env.KAFKA_BROKERS = infra.kafkaBrokers;
  process.env.SCHEMA_REGISTRY_URL = infra.schemaRegistryUrl;
}
