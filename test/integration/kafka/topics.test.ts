/**
 * ensureTopics against the real broker: creates what is missing (with the partitions asked for), reports every
 * missing topic in one error when creation is off, and leaves existing topics alone.
 */
import { logLevel, type Admin } from 'kafkajs';
import { MissingTopicsError } from '../../../src/kafka/errors';
import { ensureTopics, type TopicSpec } from '../../../src/kafka/topics';
import { testServers, uniqueName } from '../../infra/kafka';
import { kafkaClient } from '../../support/clients';

const spec = (topic: string, numPartitions = 3): TopicSpec => ({
  topic,
  numPartitions,
  replicationFactor: 1,
});

describe('ensureTopics', () => {
  const { kafka, brokers } = testServers();
  const created: string[] = [];
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    const existing = new Set(await admin.listTopics());
    const ours = created.filter((t) => existing.has(t));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
    await admin.disconnect();
  });

  const names = (count: number) => {
    const list = Array.from({ length: count }, () => uniqueName('topics'));
    created.push(...list);
    return list;
  };

  it('creates the missing topics with their partition counts, leaders elected', async () => {
    const [a, b] = names(2) as [string, string];
    await ensureTopics(admin, [spec(a, 3), spec(b, 2)], { create: true });

    const { topics } = await admin.fetchTopicMetadata({ topics: [a, b] });
    const partitions = Object.fromEntries(topics.map((t) => [t.name, t.partitions]));
    expect(partitions[a]).toHaveLength(3);
    expect(partitions[b]).toHaveLength(2);
    for (const p of [...partitions[a]!, ...partitions[b]!]) expect(p.leader).toBeGreaterThanOrEqual(0);
  });

  it('passes when every topic exists, leaving an existing topic as it is', async () => {
    const [a] = names(1) as [string];
    await admin.createTopics({ topics: [{ topic: a, numPartitions: 1 }], waitForLeaders: true });

    await ensureTopics(admin, [spec(a, 6)], { create: true });
    await ensureTopics(admin, [spec(a, 6)], { create: false });

    const { topics } = await admin.fetchTopicMetadata({ topics: [a] });
    expect(topics[0]!.partitions).toHaveLength(1);
  });

  it('without creation, rejects with one error listing every missing topic and creates nothing', async () => {
    const [present, missing1, missing2] = names(3) as [string, string, string];
    await admin.createTopics({ topics: [{ topic: present, numPartitions: 1 }], waitForLeaders: true });

    const error = await ensureTopics(admin, [spec(present), spec(missing1), spec(missing2)], {
      create: false,
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MissingTopicsError);
    expect((error as MissingTopicsError).topics).toEqual([missing1, missing2]);
    expect((error as MissingTopicsError).message).toContain(`${missing1}, ${missing2}`);
    const existing = await admin.listTopics();
    expect(existing).not.toContain(missing1);
    expect(existing).not.toContain(missing2);
  });

  it('reports a topic the broker refuses to create, naming it, with the broker error as cause', async () => {
    const [topic] = names(1) as [string];
    // kafkajs logs the refusal at ERROR level; it is the expected outcome here.
    const quietAdmin = kafkaClient({ brokers }, { logLevel: logLevel.NOTHING }).admin();
    await quietAdmin.connect();
    // A single broker cannot hold three replicas.
    const error = await ensureTopics(quietAdmin, [{ topic, numPartitions: 1, replicationFactor: 3 }], {
      create: true,
    })
      .catch((e: unknown) => e)
      .finally(() => quietAdmin.disconnect());

    expect(error).toBeInstanceOf(MissingTopicsError);
    expect((error as MissingTopicsError).topics).toEqual([topic]);
    expect((error as MissingTopicsError).message).toMatch(/creation failed/);
    expect((error as MissingTopicsError).cause).toBeInstanceOf(Error);
  });
});
