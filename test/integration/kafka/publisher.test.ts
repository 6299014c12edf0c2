/**
 * The Publisher against the real broker: what it resolves is in Kafka, exactly once, at the partition and offset
 * it said; keys keep their order; close() under load loses nothing it acknowledged; a topic that does not exist
 * ends in a deadline, not a hang or an auto-created topic.
 */
import { logLevel, Partitioners, type Admin, type Kafka, type PartitionMetadata } from 'kafkajs';
import { DeliveryTimeoutError, QueueFullError, ShuttingDownError } from '../../../src/kafka/errors';
import { createBatchProducer } from '../../../src/kafka/producers';
import { PRODUCER_DEFAULTS } from '../../../src/config';
import type { Receipt } from '../../../src/kafka/delivery';
import { Publisher, type PublisherOptions } from '../../../src/kafka/publisher';
import { ensureTopics } from '../../../src/kafka/topics';
import { readToEnd, testServers, uniqueName } from '../../infra/kafka';
import { clientConfig, kafkaClient, stderrLogger } from '../../support/clients';

const PARTITIONS = 3;

interface Received {
  topic: string;
  key: string;
  partition: number;
  offset: string;
  value: string;
}

describe('Publisher against Kafka', () => {
  const { kafka, brokers } = testServers();
  /** The producer the tests' config names (testKafkaClient); kafkajs's on this kafkajs client. */
  const producer = (client: Kafka, logger = stderrLogger()) =>
    createBatchProducer(clientConfig({ brokers }).kafka, client, { logger });
  const topics: string[] = [];
  const publishers: Publisher[] = [];
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.all(publishers.map((p) => p.close()));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    await admin.disconnect();
  });

  async function newTopics(count: number): Promise<string[]> {
    const names = Array.from({ length: count }, () => uniqueName('publisher'));
    topics.push(...names);
    await ensureTopics(
      admin,
      names.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
      { create: true },
    );
    return names;
  }

  async function startPublisher(options: Partial<PublisherOptions> = {}): Promise<Publisher> {
    const publisher = new Publisher(producer(kafka), { ...PRODUCER_DEFAULTS, ...options });
    publishers.push(publisher);
    await publisher.start();
    return publisher;
  }

  it('1,000 concurrent publishes: each record exactly once, at the partition and offset publish() returned', async () => {
    const [topic] = (await newTopics(1)) as [string];
    const batchSizes: number[] = [];
    const publisher = await startPublisher({
      maxBatchRecords: 100,
      onBatch: (records) => batchSizes.push(records),
    });
    const records = Array.from({ length: 1000 }, (_, i) => ({
      topic,
      key: `mdn:555${String(i % 37).padStart(7, '0')}`,
      value: Buffer.from(`record-${i}`),
      eventId: `record-${i}`,
    }));

    const results = await Promise.all(records.map((r) => publisher.deliver(r)));

    expect(batchSizes.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(Math.max(...batchSizes)).toBeLessThanOrEqual(100);
    const received = await consume(kafka, [topic]);
    expect(received).toHaveLength(1000);
    const byValue = new Map(received.map((r) => [r.value, r]));
    expect(byValue.size).toBe(1000);
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({
      partitionId,
      leader: 1,
    }));
    records.forEach((record, i) => {
      const got = byValue.get(record.value.toString())!;
      expect(results[i]).toEqual<Receipt>({
        held: 'kafka',
        topic,
        partition: got.partition,
        offset: got.offset,
      });
      expect(got.key).toBe(record.key);
      // Where any Java-compatible producer would put the key.
      expect(got.partition).toBe(
        partitioner({ topic, partitionMetadata: partitionMetadata as PartitionMetadata[], message: record }),
      );
    });
    expect(new Set(results.map((r) => `${r.partition}/${r.offset}`)).size).toBe(1000);
  });

  it('maps offsets right when one batch spans two topics and every partition holds many of its records', async () => {
    const [a, b] = (await newTopics(2)) as [string, string];
    // A long linger: the 300 records go as one or a few batches spanning both topics.
    const publisher = await startPublisher({ lingerMs: 200 });
    const records = Array.from({ length: 300 }, (_, i) => ({
      topic: i % 2 === 0 ? a : b,
      key: `device-${i % 5}`,
      value: Buffer.from(`two-topics-${i}`),
      eventId: `two-topics-${i}`,
    }));

    const results = await Promise.all(records.map((r) => publisher.deliver(r)));

    const received = new Map((await consume(kafka, [a, b])).map((r) => [r.value, r]));
    expect(received.size).toBe(300);
    records.forEach((record, i) => {
      const got = received.get(record.value.toString())!;
      expect(results[i]).toEqual<Receipt>({
        held: 'kafka',
        topic: got.topic,
        partition: got.partition,
        offset: got.offset,
      });
    });
  });

  it('keeps per-key order for sequential publishes of each key, keys running concurrently', async () => {
    const [topic] = (await newTopics(1)) as [string];
    const publisher = await startPublisher();
    const KEYS = 6;
    const PER_KEY = 40;

    const offsetsByKey = await Promise.all(
      Array.from({ length: KEYS }, async (_, k) => {
        const offsets: bigint[] = [];
        for (let seq = 0; seq < PER_KEY; seq++) {
          const { offset } = await publisher.deliver({
            topic,
            key: `key-${k}`,
            value: Buffer.from(`key-${k}/${seq}`),
            eventId: `key-${k}/${seq}`,
          });
          offsets.push(BigInt(offset));
        }
        return offsets;
      }),
    );

    for (const offsets of offsetsByKey) {
      for (let i = 1; i < offsets.length; i++) expect(offsets[i]! > offsets[i - 1]!).toBe(true);
    }
    const received = await consume(kafka, [topic]);
    expect(received).toHaveLength(KEYS * PER_KEY);
    for (let k = 0; k < KEYS; k++) {
      const ofKey = received
        .filter((r) => r.key === `key-${k}`)
        .sort((x, y) => (BigInt(x.offset) < BigInt(y.offset) ? -1 : 1));
      expect(ofKey.map((r) => r.value)).toEqual(
        Array.from({ length: PER_KEY }, (_, seq) => `key-${k}/${seq}`),
      );
    }
  });

  it('close() under load: every record whose publish resolved is in Kafka, and only those', async () => {
    const [topic] = (await newTopics(1)) as [string];
    const publisher = await startPublisher({ deliveryTimeoutMs: 60_000 });
    const outcomes: Promise<{ value: string; error?: unknown }>[] = [];
    let resolved = 0;
    let closing: Promise<void> | undefined;
    let publishedAfterClose = 0;

    // Publish in a steady stream; close once 500 are acknowledged, and keep publishing 200 more after that.
    for (let i = 0; publishedAfterClose < 200; i++) {
      const value = `close-${i}`;
      outcomes.push(
        publisher.deliver({ topic, key: `k-${i % 11}`, value: Buffer.from(value), eventId: value }).then(
          () => {
            resolved++;
            return { value };
          },
          (error: unknown) => ({ value, error }),
        ),
      );
      if (closing) publishedAfterClose++;
      else if (resolved >= 500) closing = publisher.close();
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 1));
    }
    await closing;
    const settled = await Promise.all(outcomes);

    const acknowledged = settled.filter((o) => o.error === undefined).map((o) => o.value);
    const refused = settled.filter((o) => o.error !== undefined);
    expect(refused.length).toBeGreaterThanOrEqual(200);
    for (const { error } of refused) {
      // Refused at the door (never queued, so never sent): shutting down, or a full queue on a slow machine.
      expect([ShuttingDownError, QueueFullError].some((type) => error instanceof type)).toBe(true);
    }
    const received = await consume(kafka, [topic]);
    expect(received.map((r) => r.value).sort()).toEqual(acknowledged.sort());
  });

  it('a topic that does not exist: DELIVERY_TIMEOUT, not an auto-created topic; the batch lands once it exists', async () => {
    const topic = uniqueName('publisher-missing');
    topics.push(topic);
    // Both clients log every retry of the batch (kafkajs at ERROR level): the expected outcome here.
    const quiet = kafkaClient({ brokers }, { logLevel: logLevel.NOTHING });
    const publisher = new Publisher(producer(quiet, stderrLogger('silent')), {
      ...PRODUCER_DEFAULTS,
      deliveryTimeoutMs: 3_000,
    });
    publishers.push(publisher);
    await publisher.start();

    const error = await publisher
      .deliver({ topic, key: 'k', value: Buffer.from('late'), eventId: 'late' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DeliveryTimeoutError);
    expect(await admin.listTopics()).not.toContain(topic);
    // Both clients retry an idempotent batch without limit, so the timed-out record is still on its way: it is
    // written as soon as the topic exists (hence "a retry can duplicate it" in DeliveryTimeoutError).
    await ensureTopics(admin, [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], {
      create: true,
    });
    // The batch is out of flight once the client's send returned: written (or failed), nothing more to come.
    await waitFor(() => publisher.stats().inFlightRecords === 0, 'the timed-out batch to land');
    expect((await consume(kafka, [topic])).map((r) => r.value)).toEqual(['late']);
    await publisher.close();
  });
});

/** The topics read to their end (their high watermarks, which must not move meanwhile), as strings. */
async function consume(kafka: Kafka, topics: string[]): Promise<Received[]> {
  return (await readToEnd(kafka, topics)).map(({ topic, partition, offset, key, value }) => ({
    topic,
    key: key!.toString(),
    partition,
    offset,
    value: value!.toString(),
  }));
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
