/**
 * Helpers for integration tests: clients for the servers the global setup provided, unique names so that
 * tests never share topics or subjects and can run against a long-lived cluster, and topics read to their end.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, IHeaders, Kafka } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { parseClientConfig, type ClientConfig } from '../../src/config';
import { createKafkaClient, createRegistryClient } from '../../src/kafka/clients';
import { createRegistryHttp, type RegistryHttp } from '../../src/kafka/registry-http';
import { stderrLogger } from '../support/clients';

export interface TestServers {
  kafka: Kafka;
  registry: SchemaRegistry;
  /** What the bridge registers and looks its schemas up with (src/kafka/schema-ids.ts). */
  registryHttp: RegistryHttp;
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
    registryHttp: createRegistryHttp(config.schemaRegistry),
    brokers: [...config.kafka.brokers],
    registryUrl: config.schemaRegistry.url,
    config,
  };
}

/** A topic or subject name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A record as readToEnd() found it. */
export interface TopicRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  /** The record's timestamp, epoch ms as kafkajs gives it (a string). */
  timestamp: string;
}

export interface ReadToEndOptions {
  /** How long reaching the ends may take before the read fails; default 30 s. */
  timeoutMs?: number;
  /**
   * The topics may still be written while they are read (a producer still retrying, as in the fault tests):
   * read up to the ends they had when the read began, and do not require them to have stayed there.
   */
  mayGrow?: boolean;
}

/**
 * Every record of the topics, from the beginning to their ends: the high watermarks (admin fetchTopicOffsets)
 * when the read begins; read_committed (a transaction's records once committed, never aborted ones). The read stops once every partition has delivered its last record before that end,
 * not after a guessed pause, and fails after `timeoutMs` naming the partitions that fell short. Then, unless
 * `mayGrow`, the ends are fetched again and must not have moved: what it returns is all the topics hold, so a
 * duplicate shows as an extra record. Topics that do not exist hold nothing. Uses a consumer group of its own,
 * deleted afterwards.
 */
export async function readToEnd(
  kafka: Kafka,
  topics: readonly string[],
  options: ReadToEndOptions = {},
): Promise<TopicRecord[]> {
  const { timeoutMs = 30_000, mayGrow = false } = options;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await topicEnds(admin, topics);
    const groupId = uniqueName('read-to-end');
    const { records, beyond } = await readUpTo(kafka, groupId, ends, timeoutMs);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    if (!mayGrow) {
      const now = await topicEnds(admin, topics);
      const moved = [...now]
        .filter(([partition, end]) => ends.get(partition)?.high !== end.high)
        .map(([partition, end]) => `${partition}: ${ends.get(partition)?.high ?? 'none'} -> ${end.high}`);
      if (moved.length > 0 || beyond > 0) {
        throw new Error(
          `written to while read to the end (${beyond} records past the ends): ${moved.join(', ') || 'no end moved'}`,
        );
      }
    }
    return records;
  } finally {
    await admin.disconnect();
  }
}

/** `<topic>/<partition>` -> its low and high watermarks, for every partition of the topics that exist. */
async function topicEnds(
  admin: Admin,
  topics: readonly string[],
): Promise<Map<string, { low: bigint; high: bigint }>> {
  const existing = new Set(await admin.listTopics());
  const ends = new Map<string, { low: bigint; high: bigint }>();
  for (const topic of topics.filter((name) => existing.has(name))) {
    for (const { partition, low, high } of await admin.fetchTopicOffsets(topic)) {
      ends.set(`${topic}/${partition}`, { low: BigInt(low), high: BigInt(high) });
    }
  }
  return ends;
}

async function readUpTo(
  kafka: Kafka,
  groupId: string,
  ends: ReadonlyMap<string, { low: bigint; high: bigint }>,
  timeoutMs: number,
): Promise<{ records: TopicRecord[]; beyond: number }> {
  /** Partition -> the next offset to take: a record below it is a redelivery (after a rejoin), not a copy. */
  const next = new Map<string, bigint>();
  for (const [partition, { low, high }] of ends) if (high > low) next.set(partition, low);
  /** Partitions not read to their end yet. */
  const pending = new Set(next.keys());
  const records: TopicRecord[] = [];
  let beyond = 0;
  if (pending.size === 0) return { records, beyond };
  // Only topics holding records: on KRaft, subscribing to one that does not exist throws.
  const holding = [...new Set([...pending.keys()].map((key) => key.slice(0, key.lastIndexOf('/'))))];
  const consumer = kafka.consumer({ groupId });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: holding, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      // A transactional topic ends with a commit marker, which no message shows: a partition is also read to its
      // end once a batch (markers and aborted records included) reached it.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload: { topic, partition, lastOffset } }) => {
        const key = `${topic}/${partition}`;
        if (pending.has(key) && BigInt(lastOffset) + 1n >= ends.get(key)!.high) pending.delete(key);
        if (pending.size === 0) resolve();
      });
      timer = setTimeout(() => {
        const short = [...pending].map((key) => `${key} at ${next.get(key)} of ${ends.get(key)!.high}`);
        reject(new Error(`not read to the end within ${timeoutMs} ms: ${short.join(', ')}`));
      }, timeoutMs);
      running = consumer.run({
        eachMessage: ({ topic, partition, message }) => {
          const key = `${topic}/${partition}`;
          const offset = BigInt(message.offset);
          const end = ends.get(key)!.high;
          if (offset >= end) beyond++;
          if (offset >= end || offset < next.get(key)!) return Promise.resolve();
          records.push({
            topic,
            partition,
            offset: message.offset,
            key: message.key,
            value: message.value,
            headers: message.headers ?? {},
            timestamp: message.timestamp,
          });
          next.set(key, offset + 1n);
          if (offset + 1n === end) pending.delete(key);
          if (pending.size === 0) resolve();
          return Promise.resolve();
        },
      });
      running.catch(reject);
    });
  } finally {
    clearTimeout(timer);
    // run() resolves once the group is joined: disconnecting before that crashes the consumer.
    await running?.catch(() => undefined);
    await consumer.disconnect();
  }
  return { records, beyond };
}
