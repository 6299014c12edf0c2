/**
 * Jest global setup of the `integration` project: provides the real Kafka and schema registry and hands them to
 * the test workers through KAFKA_BROKERS and SCHEMA_REGISTRY_URL (workers start after this and inherit env), and
 * the file where the dedupe tests name the topics they leave to the teardown's audit (deduped-audit.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leaveForAuditIn } from './deduped-audit';
import { provideInfra, type IntegrationInfra } from './environment';

declare global {
  var __integrationInfra: IntegrationInfra | undefined;
  var __auditDir: string | undefined;
}

export default async function globalSetup(): Promise<void> {
  const infra = await provideInfra();
  globalThis.__integrationInfra = infra;
  process.env.KAFKA_BROKERS = infra.kafkaBrokers;
  process.env.SCHEMA_REGISTRY_URL = infra.schemaRegistryUrl;
  globalThis.__auditDir = mkdtempSync(join(tmpdir(), 'deduped-audit-'));
  leaveForAuditIn(join(globalThis.__auditDir, 'topics'));
}
