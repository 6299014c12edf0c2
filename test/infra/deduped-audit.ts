/**
 * The issue-19 promise checked across a whole run: a read_committed consumer of every `*.deduped` topic on a
 * broker sees each eventId (the `event-id` header) at most once per topic. The integration project's global
 * teardown audits the shared broker once every test file is done (the dedupe tests leave their `.deduped` topics
 * to it, see leaveForAudit), a fault test with a broker of its own audits that one; audit-results.js turns the
 * teardown's verdict into a test result of the run, so that a duplicate fails the run as a failed test does.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { Admin, Kafka } from 'kafkajs';
import { readToEnd } from './kafka';

const SUFFIX = '.deduped';

export interface DedupedAudit {
  topics: number;
  records: number;
  /** Distinct eventIds, counted per topic. */
  eventIds: number;
  /** Records without an `event-id` header (passed through by the dedupe node, so not checked). */
  unidentified: number;
  /** Copies beyond the first of an eventId in a topic. */
  duplicates: number;
  /** A few of them, as `<topic>: <eventId> x<copies>`, for the failure message. */
  examples: string[];
}

/** Reads every `*.deduped` topic of the broker to its end, read_committed, and counts eventIds per topic. */
export async function auditDeduped(kafka: Kafka): Promise<DedupedAudit> {
  const admin = kafka.admin();
  await admin.connect();
  const topics = await admin.listTopics().finally(() => admin.disconnect());
  const deduped = topics.filter((name) => name.endsWith(SUFFIX));
  const records = await readToEnd(kafka, deduped, { timeoutMs: 120_000, mayGrow: true });
  const copies = new Map<string, number>();
  let unidentified = 0;
  for (const { topic, headers } of records) {
    const eventId = headers['event-id']?.toString();
    if (eventId === undefined) unidentified++;
    else copies.set(`${topic}: ${eventId}`, (copies.get(`${topic}: ${eventId}`) ?? 0) + 1);
  }
  const repeated = [...copies].filter(([, n]) => n > 1);
  return {
    topics: deduped.length,
    records: records.length,
    eventIds: copies.size,
    unidentified,
    duplicates: repeated.reduce((sum, [, n]) => sum + n - 1, 0),
    examples: repeated.slice(0, 5).map(([id, n]) => `${id} x${n}`),
  };
}

export function describeAudit(audit: DedupedAudit): string {
  const { examples, ...counts } = audit;
  return `${JSON.stringify(counts)}${examples.length > 0 ? ` e.g. ${examples.join(', ')}` : ''}`;
}

/**
 * Where the dedupe tests name the topics they leave for the audit (one per line); the global setup sets it for
 * its workers. Unset (a file run outside the integration project), the topics are deleted at once instead.
 */
const LEFT_FOR_AUDIT = 'DEDUPED_AUDIT_TOPICS';

/**
 * Deletes `topics` but the `.deduped` ones, which the global teardown audits and then deletes (a test's own
 * topics only: a cluster given by KAFKA_BROKERS keeps the rest).
 */
export async function deleteLeavingForAudit(admin: Admin, topics: readonly string[]): Promise<void> {
  const file = process.env[LEFT_FOR_AUDIT];
  const left = file ? topics.filter((name) => name.endsWith(SUFFIX)) : [];
  if (left.length > 0) appendFileSync(file!, left.map((name) => `${name}\n`).join(''));
  await admin.deleteTopics({ topics: topics.filter((name) => !left.includes(name)) }).catch(() => undefined);
}

/** The file the global setup hands its workers (LEFT_FOR_AUDIT). */
export function leaveForAuditIn(file: string): void {
  process.env[LEFT_FOR_AUDIT] = file;
}

/** The topics the tests left, once audited. */
export async function deleteLeftForAudit(kafka: Kafka, file: string): Promise<void> {
  if (!existsSync(file)) return;
  const topics = [...new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean))];
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}
