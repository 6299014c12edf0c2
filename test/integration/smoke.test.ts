/**
 * The foundation works end to end through the real servers: topic admin, schema registry, an idempotent
 * producer's single sendBatch (acks=all), a consumer group, and the Confluent wire format.
 */
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { Partitioners, type Admin, type Producer } from 'kafkajs';
import { readToEnd, testServers, uniqueName } from '../infra/kafka';

const PARTITIONS = 6;
const RECORDS = 100;
const DEVICES = 17; // not a multiple of the partition count, so keys spread unevenly

const schema = {
  type: 'record',
  name: 'SmokeRecord',
  namespace: 'thingspace.bridge.test',
  fields: [
    { name: 'device', type: 'string' },
    { name: 'seq', type: 'int' },
  ],
};

interface Received {
  key: string;
  partition: number;
  offset: bigint;
  value: Buffer;
}

describe('smoke: Kafka + schema registry', () => {
  const { kafka, registry, registryUrl } = testServers();
  const topic = uniqueName('smoke');
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  });

  afterAll(async () => {
    await producer?.disconnect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
    await fetch(`${registryUrl}/subjects/${topic}-value`, { method: 'DELETE' });
  });

  it('delivers 100 keyed Avro records exactly once, each key on one partition, decodable by schema id', async () => {
    const { id: schemaId } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject: `${topic}-value` },
    );

    const sent = await Promise.all(
      Array.from({ length: RECORDS }, async (_, seq) => {
        const device = `mdn:555${String(seq % DEVICES).padStart(7, '0')}`;
        return { key: device, value: await registry.encode(schemaId, { device, seq }) };
      }),
    );

    // One sendBatch on one idempotent producer: never concurrent send() calls (kafkajs #1005 drops records).
    // The default partitioner is the Java client's murmur2: other producers put a key where we do.
    producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const acks = await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: sent }] });
    expect(acks.every((a) => a.errorCode === 0)).toBe(true);

    // A consumer group reads the topic to its end (the high watermarks): a duplicate would be an extra record.
    const received: Received[] = (await readToEnd(kafka, [topic])).map((r) => ({
      key: r.key!.toString(),
      partition: r.partition,
      offset: BigInt(r.offset),
      value: r.value!,
    }));
    expect(received).toHaveLength(RECORDS);

    const decoded = await Promise.all(
      received.map(async (r) => {
        // Confluent wire format: magic byte 0, then the schema id as a big-endian int32, then Avro.
        expect(r.value[0]).toBe(0);
        expect(r.value.readInt32BE(1)).toBe(schemaId);
        return { ...r, record: (await registry.decode(r.value)) as { device: string; seq: number } };
      }),
    );

    const seqs = decoded.map((d) => d.record.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: RECORDS }, (_, i) => i));

    const partitionsByKey = new Map<string, Set<number>>();
    for (const d of decoded) {
      expect(d.record.device).toBe(d.key);
      partitionsByKey.set(d.key, (partitionsByKey.get(d.key) ?? new Set()).add(d.partition));
    }
    expect(partitionsByKey.size).toBe(DEVICES);
    for (const partitions of partitionsByKey.values()) expect(partitions.size).toBe(1);

    // Per-key order: offsets within a key follow the order of sending.
    for (const key of partitionsByKey.keys()) {
      const ofKey = decoded.filter((d) => d.key === key).sort((a, b) => (a.offset < b.offset ? -1 : 1));
      const keySeqs = ofKey.map((d) => d.record.seq);
      expect(keySeqs).toEqual([...keySeqs].sort((a, b) => a - b));
    }
  });
});
