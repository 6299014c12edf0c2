/**
 * The topics of one deduplicated stream: the category topic read, `<topic>.deduped` written (partition p to
 * partition p), and the changelog of its state (`<groupId>-<topic>-seen-changelog`, partition p = input p's
 * state). Both are created with the input's partition count when missing; a mismatch fails the start, since it
 * would break per-device order or the state's partitioning.
 */
import { Admin } from '@platformatic/kafka';
import type { PlatformaticConnection } from '../kafka/clients';
import { errorCodes } from '../kafka/platformatic-producer';

export interface DedupeTopics {
  input: string;
  output: string;
  changelog: string;
}

export const dedupedTopic = (input: string) => `${input}.deduped`;

export const changelogTopic = (groupId: string, input: string) => `${groupId}-${input}-seen-changelog`;

export function dedupeTopics(inputs: readonly string[], groupId: string): DedupeTopics[] {
  return inputs.map((input) => ({
    input,
    output: dedupedTopic(input),
    changelog: changelogTopic(groupId, input),
  }));
}

/** The changelog keeps each id's newest time (compaction) and drops what is older than the window (retention). */
export function changelogConfigs(windowMs: number): { name: string; value: string }[] {
  return [
    { name: 'cleanup.policy', value: 'compact,delete' },
    { name: 'retention.ms', value: String(windowMs + CHANGELOG_RETENTION_MARGIN_MS) },
  ];
}

/** A day past the window: the store, not the broker's segment deletion, decides what is still a duplicate. */
const CHANGELOG_RETENTION_MARGIN_MS = 24 * 60 * 60 * 1000;

/**
 * Creates the missing output and changelog topics (or, with `create` off, fails naming them); fails when one
 * exists with another partition count than its input.
 */
export async function ensureDedupeTopics(
  connection: PlatformaticConnection,
  streams: readonly DedupeTopics[],
  { windowMs, create }: { windowMs: number; create: boolean },
): Promise<void> {
  const admin = new Admin(connection);
  try {
    const all = streams.flatMap(({ input, output, changelog }) => [input, output, changelog]);
    const existing = new Set(await admin.listTopics());
    const missingInputs = streams.map(({ input }) => input).filter((input) => !existing.has(input));
    if (missingInputs.length > 0) throw new Error(`Input topics missing: ${missingInputs.join(', ')}`);
    const metadata = await admin.metadata({ topics: all.filter((topic) => existing.has(topic)) });
    for (const { input, output, changelog } of streams) {
      const partitions = metadata.topics.get(input)!.partitionsCount;
      for (const [topic, configs] of [
        [output, []],
        [changelog, changelogConfigs(windowMs)],
      ] as const) {
        const found = metadata.topics.get(topic);
        if (found && found.partitionsCount !== partitions) {
          throw new Error(`${topic} has ${found.partitionsCount} partitions, ${input} has ${partitions}`);
        }
        if (found) continue;
        if (!create) throw new Error(`${topic} is missing (kafka.createTopics is off)`);
        await admin
          .createTopics({ topics: [topic], partitions, replicas: -1, configs: [...configs] })
          .catch((error: unknown) => {
            // Another node started at the same time and created it first, from the same input's partition count
            // (two nodes started together failed one start in two: broker-restart.test.ts).
            if (!errorCodes(error).includes('TOPIC_ALREADY_EXISTS')) throw error;
          });
      }
    }
  } finally {
    await admin.close();
  }
}
