import { murmur2, type ClusterMetadata, type SendOptions } from '@platformatic/kafka';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { parseClientConfig, PRODUCER_DEFAULTS } from '../../../src/config';
import {
  errorCodes,
  keyPartition,
  LIBRARY_RETRIES,
  MAX_RETRY_WAIT_MS,
  PlatformaticBatchProducer,
  producerOptions,
  type PlatformaticClient,
} from '../../../src/kafka/platformatic-producer';
import { Publisher } from '../../../src/kafka/publisher';

const kafkaConfig = () =>
  parseClientConfig(
    { kafka: { brokers: ['127.0.0.1:1'], client: 'platformatic' }, schemaRegistry: { url: 'http://r:8081' } },
    {},
  ).config.kafka;

/** Device keys as the bridge makes them, and bytes a Java producer might key with. */
const KEYS = [
  ...Array.from({ length: 500 }, (_, i) => `mdn:555${String(i * 7919).padStart(7, '0')}`),
  ...Array.from({ length: 100 }, (_, i) => `imei:35${String(i * 104729).padStart(13, '0')}`),
  '',
  'k',
  'ü-ñ-漢字',
];

function kafkajsPartition(key: string, partitions: number): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId): PartitionMetadata => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  return Partitioners.DefaultPartitioner()({ topic: 't', partitionMetadata, message: { key, value: null } });
}

describe('keyPartition', () => {
  it("puts every key where kafkajs's DefaultPartitioner does (consumers rely on co-partitioning)", () => {
    for (const partitions of [1, 2, 3, 6, 7, 12, 100]) {
      const ours = KEYS.map((key) => keyPartition(Buffer.from(key), partitions));
      const kafkajs = KEYS.map((key) => kafkajsPartition(key, partitions));
      expect(ours).toEqual(kafkajs);
    }
  });

  it("differs from the library's own default (murmur2 >>> 0) for keys whose hash is negative", () => {
    const negative = KEYS.filter((key) => murmur2(Buffer.from(key)) < 0);
    expect(negative.length).toBeGreaterThan(0);
    const differing = negative.filter(
      (key) => keyPartition(Buffer.from(key), 6) !== (murmur2(Buffer.from(key)) >>> 0) % 6,
    );
    expect(differing.length).toBeGreaterThan(0);
  });
});

describe('producerOptions', () => {
  it('an idempotent producer that retries a send a few times, at most 2 s apart, and creates no topic', () => {
    // The jitter's top: the unjittered waits.
    const options = producerOptions(kafkaConfig(), 'bridge-x', () => 1);
    expect(options).toMatchObject({
      clientId: 'bridge-x',
      bootstrapBrokers: ['127.0.0.1:1'],
      idempotent: true,
      autocreateTopics: false,
      retries: LIBRARY_RETRIES,
    });
    const delay = options.retryDelay as (c: object, op: string, attempt: number) => number;
    const waits = [1, 2, 3, 4, 5, 10, 1000].map((attempt) => delay({}, 'produce', attempt));
    expect(waits).toEqual([200, 400, 800, 1600, MAX_RETRY_WAIT_MS, MAX_RETRY_WAIT_MS, MAX_RETRY_WAIT_MS]);
  });

  it("jitters the library's retry waits between half of those and all of them", () => {
    const waits = (random?: () => number) => {
      const delay = producerOptions(kafkaConfig(), 'bridge-x', random).retryDelay as (
        c: object,
        op: string,
        attempt: number,
      ) => number;
      return [1, 2, 3, 4, 5, 10].map((attempt) => delay({}, 'produce', attempt));
    };
    expect(waits(() => 0)).toEqual([100, 200, 400, 800, 1000, 1000]);
    const ceilings = [200, 400, 800, 1600, MAX_RETRY_WAIT_MS, MAX_RETRY_WAIT_MS];
    waits().forEach((wait, i) => {
      expect(wait).toBeGreaterThanOrEqual(ceilings[i]! / 2);
      expect(wait).toBeLessThanOrEqual(ceilings[i]!);
    });
  });
});

/** A stand-in for the library's Producer: topics with these partition counts; offsets counted per partition. */
class FakeClient implements PlatformaticClient {
  readonly sent: SendOptions<Buffer, Buffer, Buffer, Buffer>[] = [];
  readonly metadataCalls: unknown[] = [];
  closed = false;
  /** Sends that fail (as the library does once its own retries are spent) before one succeeds. */
  failures = 0;
  private readonly ends = new Map<string, bigint>();

  constructor(private readonly partitionCounts: Record<string, number>) {}

  metadata = ((options: { topics?: string[] }) => {
    this.metadataCalls.push(options);
    const topics = new Map(
      (options.topics ?? []).map((topic) => [topic, { partitionsCount: this.partitionCounts[topic]! }]),
    );
    return Promise.resolve({ topics } as unknown as ClusterMetadata);
  }) as PlatformaticClient['metadata'];

  send = ((options: SendOptions<Buffer, Buffer, Buffer, Buffer>) => {
    this.sent.push(options);
    if (this.failures-- > 0) {
      const cause = Object.assign(new Error('Received response with error'), {
        apiId: 'NOT_LEADER_OR_FOLLOWER',
      });
      return Promise.reject(Object.assign(new Error('Producing messages failed.'), { errors: [cause] }));
    }
    const counts = new Map<string, number>();
    for (const { topic, partition } of options.messages) {
      const at = `${topic}:${partition}`;
      counts.set(at, (counts.get(at) ?? 0) + 1);
    }
    const offsets = [...counts].map(([at, count]) => {
      const [topic, partition] = at.split(':') as [string, string];
      const base = this.ends.get(at) ?? 0n;
      this.ends.set(at, base + BigInt(count));
      return { topic, partition: Number(partition), offset: base };
    });
    return Promise.resolve({ offsets });
  }) as PlatformaticClient['send'];

  close = (() => {
    this.closed = true;
    return Promise.resolve();
  }) as PlatformaticClient['close'];
}

describe('PlatformaticBatchProducer', () => {
  it("stamps each message with the key's partition and sends it explicitly, in bytes, with its timestamp", async () => {
    const client = new FakeClient({ a: 6, b: 3 });
    const producer = new PlatformaticBatchProducer(client);
    const first = {
      key: 'mdn:5550000001',
      value: Buffer.from('v1'),
      headers: { 'x-event': 'e1' },
      timestamp: '17',
    };
    const second = { key: 'mdn:5550000002', value: Buffer.from('v2') };
    const pinned = { key: 'mdn:5550000003', value: Buffer.from('v3'), partition: 2 };

    const acks = await producer.sendBatch({
      acks: -1,
      topicMessages: [
        { topic: 'a', messages: [first, second] },
        { topic: 'b', messages: [pinned] },
      ],
    });

    expect(client.metadataCalls).toEqual([{ topics: ['a', 'b'] }]);
    expect(first).toHaveProperty('partition', kafkajsPartition('mdn:5550000001', 6));
    expect(second).toHaveProperty('partition', kafkajsPartition('mdn:5550000002', 6));
    expect(pinned.partition).toBe(2);
    const [sent] = client.sent;
    expect(sent!.messages).toEqual([
      {
        topic: 'a',
        partition: kafkajsPartition('mdn:5550000001', 6),
        key: Buffer.from('mdn:5550000001'),
        value: Buffer.from('v1'),
        timestamp: 17n,
        headers: new Map([[Buffer.from('x-event'), Buffer.from('e1')]]),
      },
      {
        topic: 'a',
        partition: kafkajsPartition('mdn:5550000002', 6),
        key: Buffer.from('mdn:5550000002'),
        value: Buffer.from('v2'),
      },
      { topic: 'b', partition: 2, key: Buffer.from('mdn:5550000003'), value: Buffer.from('v3') },
    ]);
    expect(acks).toContainEqual({ topicName: 'b', partition: 2, errorCode: 0, baseOffset: '0' });
  });

  it('gives the Publisher what it maps each record to its own offset with', async () => {
    const client = new FakeClient({ t: 3 });
    const publisher = new Publisher(new PlatformaticBatchProducer(client), PRODUCER_DEFAULTS);
    await publisher.start();
    const keys = Array.from({ length: 30 }, (_, i) => `mdn:555000${String(i % 7).padStart(4, '0')}`);

    const receipts = await Promise.all(
      keys.map((key, i) =>
        publisher.deliver({ topic: 't', key, value: Buffer.from(`r${i}`), eventId: `e${i}` }),
      ),
    );
    await publisher.close();

    // Per partition, the offsets 0, 1, 2, ... in the order delivered, each at the key's partition.
    const next = new Map<number, number>();
    receipts.forEach((receipt, i) => {
      const partition = kafkajsPartition(keys[i]!, 3);
      expect(receipt).toEqual({
        held: 'kafka',
        topic: 't',
        partition,
        offset: String(next.get(partition) ?? 0),
      });
      next.set(partition, (next.get(partition) ?? 0) + 1);
    });
    expect(client.closed).toBe(true);
  });

  it('sends a batch the library gave up on anew, after fresh metadata, until it is acknowledged', async () => {
    const client = new FakeClient({ t: 3 });
    client.failures = 2;
    const resends: [number, string[]][] = [];
    // The jitter's bottom: 100 ms, then 200 ms.
    const random = jest.fn(() => 0);
    const producer = new PlatformaticBatchProducer(
      client,
      (attempt, error) => resends.push([attempt, errorCodes(error)]),
      random,
    );
    const message: { key: string; value: Buffer; partition?: number } = {
      key: 'mdn:5550000001',
      value: Buffer.from('v'),
    };

    const acks = await producer.sendBatch({ acks: -1, topicMessages: [{ topic: 't', messages: [message] }] });

    expect(acks).toEqual([{ topicName: 't', partition: message.partition, errorCode: 0, baseOffset: '0' }]);
    expect(client.sent).toHaveLength(3);
    expect(client.sent[2]).toEqual(client.sent[0]);
    expect(resends).toEqual([
      [1, ['NOT_LEADER_OR_FOLLOWER']],
      [2, ['NOT_LEADER_OR_FOLLOWER']],
    ]);
    // Each wait before a new send drew its jitter.
    expect(random).toHaveBeenCalledTimes(2);
    expect(client.metadataCalls).toEqual([
      { topics: ['t'] },
      { topics: ['t'], forceUpdate: true },
      { topics: ['t'], forceUpdate: true },
    ]);
  });

  it('stops sending a batch anew once disconnected: the error is then the last one', async () => {
    const client = new FakeClient({ t: 3 });
    client.failures = Number.MAX_SAFE_INTEGER;
    const producer = new PlatformaticBatchProducer(client, () => void producer.disconnect());
    const sending = producer.sendBatch({
      acks: -1,
      topicMessages: [{ topic: 't', messages: [{ key: 'k', value: Buffer.from('v') }] }],
    });
    await expect(sending).rejects.toThrow('Producing messages failed.');
    expect(client.sent).toHaveLength(2);
    expect(client.closed).toBe(true);
  });

  it('connects by reaching a broker with a few attempts only (the boot retries), not the unlimited ones', async () => {
    const client = new FakeClient({});
    await new PlatformaticBatchProducer(client).connect();
    expect(client.metadataCalls).toEqual([{ topics: [], forceUpdate: true, retries: 3 }]);
  });
});

describe('errorCodes', () => {
  it('finds the Kafka error codes at any depth of an error, once each', () => {
    const leaf = (apiId: string) => Object.assign(new Error(apiId), { apiId });
    const error = Object.assign(new Error('top'), {
      errors: [leaf('NOT_LEADER_OR_FOLLOWER'), { cause: leaf('REQUEST_TIMED_OUT') }],
      cause: leaf('NOT_LEADER_OR_FOLLOWER'),
    });
    expect(errorCodes(error)).toEqual(['NOT_LEADER_OR_FOLLOWER', 'REQUEST_TIMED_OUT']);
    expect(errorCodes('text')).toEqual([]);
  });
});
