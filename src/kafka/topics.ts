/**
 * Makes sure the topics the bridge publishes to exist before the first publish. The producer never creates them
 * (see producer.ts: allowAutoTopicCreation off), and on KRaft kafkajs throws when a consumer subscribes to a
 * topic that does not exist, so they must exist before any client uses them.
 */
import type { Admin } from 'kafkajs';
import { MissingTopicsError } from './errors';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
  /** Topic configs set at creation (retention.ms, compression.type, ...); the broker's defaults otherwise. */
  configEntries?: readonly { name: string; value: string }[];
}

export interface EnsureTopicsOptions {
  /** Create the missing topics (true) or only report them (false: topics are managed elsewhere). */
  create: boolean;
}

/**
 * Resolves when every topic exists; otherwise rejects with one MissingTopicsError listing every missing topic.
 * Existing topics are left as they are, partition count included.
 */
export async function ensureTopics(
  admin: Admin,
  topics: readonly TopicSpec[],
  options: EnsureTopicsOptions,
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return;

  const names = missing.map((t) => t.topic);
  if (!options.create) throw new MissingTopicsError(names, 'creation disabled');
  try {
    // Resolves false when another node created them first, which is as good.
    await admin.createTopics({
      topics: missing.map((spec) => ({ ...spec, configEntries: spec.configEntries?.slice() })),
      waitForLeaders: true,
    });
  } catch (err) {
    throw new MissingTopicsError(
      names,
      `creation failed: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
      },
    );
  }
}
