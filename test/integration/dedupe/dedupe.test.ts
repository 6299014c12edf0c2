/**
 * The dedupe loop against the real broker: records with repeated eventIds in, each eventId exactly once in
 * `<topic>.deduped`, in per-key order, read read_committed; a new instance in the same group (a restart) emits
 * nothing again, its state rebuilt from the changelog.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { platformaticConnection } from '../../../src/kafka/clients';
import { MemorySeenStore } from '../../../src/dedupe/memory-store';
import { DedupeService, type BatchSummary } from '../../../src/dedupe/service';
import { dedupeTopics, ensureDedupeTopics, type DedupeTopics } from '../../../src/dedupe/topics';
import { testServers, uniqueName } from '../../infra/kafka';
import { stderrLogger } from '../../support/clients';

const PARTITIONS = 3;
const DEVICES = 12;
const DAY_MS = 24 * 60 * 60 * 1000;

jest.setTimeout(180_000);

interface Sent {
  eventId: string;
  key: string;
  seq: number;
}

interface Seen extends Sent {
  partition: number;
}

describe('dedupe against Kafka', () => {
  const { kafka, config } = testServers();
  const connection = platformaticConnection(config.kafka, 'dedupe-test');
  let admin: Admin;
  const topics: string[] = [];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  /** Each sent record is a new (key, seq); a repeat re-sends an earlier eventId under its key, later. */
  async function produce(input: string, records: readonly Sent[]): Promise<void> {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic: input,
      messages: records.map(({ eventId, key, seq }) => ({
        key,
        value: JSON.stringify({ eventId, seq }),
        headers: { 'event-id': eventId },
      })),
    });
    await producer.disconnect();
  }

  /** Reads `topic` read_committed until `count` records arrived, then a second more, to see any extra. */
  async function readDeduped(client: Kafka, topic: string, count: number): Promise<Seen[]> {
    const seen: Seen[] = [];
    const consumer = client.consumer({ groupId: uniqueName('dedupe-read'), readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let enough: () => void;
    const reached = new Promise<void>((resolve) => (enough = resolve));
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        const { eventId, seq } = JSON.parse(message.value!.toString()) as Sent;
        expect(message.headers?.['event-id']?.toString()).toBe(eventId);
        seen.push({ eventId, seq, key: message.key!.toString(), partition });
        if (seen.length >= count) enough();
      },
    });
    await Promise.race([reached, new Promise((resolve) => setTimeout(resolve, 45_000))]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await consumer.disconnect();
    return seen;
  }

  function start(streams: DedupeTopics[], groupId: string, summaries: BatchSummary[]) {
    const controller = new AbortController();
    const service = new DedupeService({
      connection,
      groupId,
      transactionalId: `${groupId}-0`,
      streams,
      windowMs: 35 * DAY_MS,
      batchSize: 50,
      lingerMs: 20,
      expiryIntervalMs: 60_000,
      createStore: () => new MemorySeenStore(),
      logger: stderrLogger(),
      onBatch: (summary) => summaries.push(summary),
    });
    const running = service.run(controller.signal);
    return { stop: () => (controller.abort(), running) };
  }

  function check(seen: readonly Seen[], distinct: readonly Sent[]) {
    const counts = new Map<string, number>();
    for (const { eventId } of seen) counts.set(eventId, (counts.get(eventId) ?? 0) + 1);
    const missing = distinct.filter(({ eventId }) => !counts.has(eventId)).length;
    const extra = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    const lastSeq = new Map<string, number>();
    const outOfOrder = seen.filter(({ key, seq }) => {
      const before = lastSeq.get(key) ?? -1;
      lastSeq.set(key, seq);
      return seq < before;
    }).length;
    return { emitted: seen.length, missing, extra, outOfOrder };
  }

  it('emits each eventId once, in per-key order, and a restarted instance emits nothing again', async () => {
    const input = uniqueName('dedupe-in');
    const groupId = uniqueName('dedupe-group');
    const streams = dedupeTopics([input], groupId);
    topics.push(input, ...streams.flatMap(({ output, changelog }) => [output, changelog]));
    await admin.createTopics({ topics: [{ topic: input, numPartitions: PARTITIONS }], waitForLeaders: true });
    await ensureDedupeTopics(connection, streams, { windowMs: 35 * DAY_MS, create: true });

    const sequences = new Map<string, number>();
    const fresh = (n: number): Sent[] =>
      Array.from({ length: n }, (_, i) => {
        const key = `device-${i % DEVICES}`;
        const seq = sequences.get(key) ?? 0;
        sequences.set(key, seq + 1);
        return { eventId: randomUUID(), key, seq };
      });
    const repeats = (of: readonly Sent[], n: number): Sent[] =>
      of.slice(0, n).map(({ eventId, key }) => {
        const seq = sequences.get(key)!;
        sequences.set(key, seq + 1);
        return { eventId, key, seq };
      });

    const first = fresh(300);
    const firstDuplicates = repeats(first, 100);
    await produce(input, [...first, ...firstDuplicates]);
    const summaries: BatchSummary[] = [];
    const one = start(streams, groupId, summaries);
    const seenFirst = await readDeduped(kafka, streams[0]!.output, first.length);
    await one.stop();
    const firstCheck = check(seenFirst, first);
    console.log('dedupe, first instance', {
      produced: first.length + firstDuplicates.length,
      duplicatesInjected: firstDuplicates.length,
      ...firstCheck,
    });
    expect(firstCheck).toEqual({ emitted: first.length, missing: 0, extra: 0, outOfOrder: 0 });

    // The restart: new ids, and repeats of ids the first instance emitted (its state only in the changelog).
    const second = fresh(100);
    const secondDuplicates = repeats(first.slice(100), 100);
    await produce(input, [...secondDuplicates, ...second]);
    const two = start(streams, groupId, summaries);
    const all = [...first, ...second];
    const seenAll = await readDeduped(kafka, streams[0]!.output, all.length);
    await two.stop();
    const allCheck = check(seenAll, all);
    console.log('dedupe, after a restart', {
      produced: all.length + firstDuplicates.length + secondDuplicates.length,
      duplicatesInjected: firstDuplicates.length + secondDuplicates.length,
      ...allCheck,
    });
    expect(allCheck).toEqual({ emitted: all.length, missing: 0, extra: 0, outOfOrder: 0 });
    const dropped = summaries.reduce((sum, { duplicates }) => sum + duplicates, 0);
    expect(dropped).toBe(firstDuplicates.length + secondDuplicates.length);
  });
});
