/**
 * Jest global teardown of the `integration` project: audits every `*.deduped` topic of the broker (each eventId
 * once, read_committed: deduped-audit.ts), hands the verdict to audit-results.js (a test result of the run), then
 * stops what the global setup started.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { auditDeduped, deleteLeftForAudit, describeAudit, type DedupedAudit } from './deduped-audit';
import { testServers } from './kafka';
import './global-setup';

/** What audit-results.js reads: the audit's counts, or why it could not be made. */
export type AuditVerdict = { audit: DedupedAudit } | { error: string };

declare global {
  var __dedupedAudit: AuditVerdict | undefined;
}

export default async function globalTeardown(): Promise<void> {
  try {
    const { kafka } = testServers();
    const audit = await auditDeduped(kafka);
    globalThis.__dedupedAudit = { audit };
    process.stderr.write(`integration: *.deduped audit (read_committed): ${describeAudit(audit)}\n`);
    if (globalThis.__auditDir) await deleteLeftForAudit(kafka, join(globalThis.__auditDir, 'topics'));
  } catch (err) {
    globalThis.__dedupedAudit = { error: err instanceof Error ? err.message : String(err) };
    process.stderr.write(`integration: *.deduped audit failed: ${globalThis.__dedupedAudit.error}\n`);
  } finally {
    if (globalThis.__auditDir) rmSync(globalThis.__auditDir, { recursive: true, force: true });
    await globalThis.__integrationInfra?.stop();
  }
}
