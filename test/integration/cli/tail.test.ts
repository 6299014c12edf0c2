import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { Partitioners } from 'kafkajs';
import { tail, toJsonLine, type TailedRecord } from '../../../src/cli/tail';
import { testServers, uniqueName } from '../../infra/kafka';

describe('thingspace-bridge tail', () => {
  const { kafka, registry, brokers, registryUrl } = testServers();
  const topic = uniqueName('tail');
  const admin = kafka.admin();

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
    await fetch(`${registryUrl}/subjects/${topic}-value`, { method: 'DELETE' });
  });

  it('prints records decoded with the registry, then stops at --count', async () => {
    const schema = {
      type: 'record',
      name: 'Tailed',
      namespace: 'thingspace.bridge.test',
      fields: [
        { name: 'eventId', type: 'string' },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
      ],
    };
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject: `${topic}-value` },
    );
    // The registry client's avsc knows no logical types unless given some: timestamps are epoch milliseconds.
    const at = Date.parse('2026-01-02T03:04:05.678Z');
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { key: 'mdn:5550000001', value: await registry.encode(id, { eventId: 'e-1', at }) },
        { key: 'mdn:5550000002', value: await registry.encode(id, { eventId: 'e-2', at }) },
      ],
    });
    await producer.disconnect();

    const records: TailedRecord[] = [];
    const seen = await tail({
      brokers,
      registryUrl,
      topics: [topic],
      fromBeginning: true,
      count: 2,
      onRecord: (r) => records.push(r),
    });

    expect(seen).toBe(2);
    expect(records.map((r) => [r.key, r.offset, r.value])).toEqual([
      ['mdn:5550000001', '0', { eventId: 'e-1', at }],
      ['mdn:5550000002', '1', { eventId: 'e-2', at }],
    ]);
    expect(JSON.parse(toJsonLine(records[0]!))).toEqual({
      topic,
      partition: 0,
      offset: '0',
      key: 'mdn:5550000001',
      value: { eventId: 'e-1', at },
    });
  });
});
