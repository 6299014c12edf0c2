/**
 * What Kafka holds, to hold a benchmark to it: a run that loses or invents records is not a result. Records are
 * counted from the partitions' offsets (no transactions, so every offset is a record), and the bridge's events
 * are read back to count distinct eventIds: equal to the record count when nothing was published twice.
 */
import { randomUUID } from 'node:crypto';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Admin, Kafka } from 'kafkajs';

export async function recordsIn(admin: Admin, topics: readonly string[]): Promise<number> {
  let records = 0;
  for (const topic of topics) {
    for (const { high, low } of await admin.fetchTopicOffsets(topic)) records += Number(high) - Number(low);
  }
  return records;
}

/** Reads `total` records of `topics` from the beginning and counts their distinct eventIds. */
export async function distinctEventIds(
  kafka: Kafka,
  registry: SchemaRegistry,
  topics: readonly string[],
  total: number,
): Promise<number> {
  if (total === 0) return 0;
  const admin = kafka.admin();
  await admin.connect();
  const holding: string[] = [];
  for (const topic of topics) if ((await recordsIn(admin, [topic])) > 0) holding.push(topic);
  await admin.disconnect();

  const ids = new Set<string>();
  let seen = 0;
  const consumer = kafka.consumer({ groupId: `bench-read-${randomUUID()}`, maxBytes: 50 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics: holding, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const event = (await registry.decode(message.value!)) as { eventId: string };
          ids.add(event.eventId);
          if (++seen === total) resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return ids.size;
}
