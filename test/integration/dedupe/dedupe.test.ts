/**
 * The dedupe loop against the real broker: records with repeated eventIds in, each eventId exactly once in
 * `<topic>.deduped`, in per-key order, read read_committed; a new instance in the same group (a restart) emits
 * nothing again, its state rebuilt from the changelog.
 */
import type { Admin, Producer } from 'kafkajs';
import { MemorySeenStore } from '../../../src/dedupe/memory-store';
import { DedupeService, type BatchSummary } from '../../../src/dedupe/service';
import { dedupeTopics, ensureDedupeTopics, type DedupeTopics } from '../../../src/dedupe/topics';
import { platformaticConnection } from '../../../src/kafka/clients';
import { deleteLeavingForAudit } from '../../infra/deduped-audit';
import { testServers, uniqueName } from '../../infra/kafka';
import { stderrLogger } from '../../support/clients';
import { setTimeout as sleep } from 'node:timers/promises';
import { account, orderedProducer, printCounts, produce, readDeduped, Records, type Sent } from './support';

const PARTITIONS = 3;
const DAY_MS = 24 * 60 * 60 * 1000;

jest.setTimeout(180_000);

const consumed = (summaries: readonly BatchSummary[]) =>
  summaries.reduce((sum, { consumed }) => sum + consumed, 0);

describe('dedupe against Kafka', () => {
  const { kafka, config } = testServers();
  const connection = platformaticConnection(config.kafka, 'dedupe-test');
  let admin: Admin;
  let producer: Producer;
  const topics: string[] = [];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    producer = await orderedProducer(kafka);
  });

  /** Every service started: aborted after each test, also one that failed or timed out (else jest never exits). */
  const started: AbortController[] = [];
  afterEach(() => {
    for (const controller of started.splice(0)) controller.abort();
  });

  afterAll(async () => {
    await producer.disconnect();
    await deleteLeavingForAudit(admin, topics);
    await admin.disconnect();
  });

  function start(streams: DedupeTopics[], groupId: string, summaries: BatchSummary[], instance = 0) {
    const controller = new AbortController();
    started.push(controller);
    const service = new DedupeService({
      connection,
      groupId,
      transactionalId: `${groupId}-${instance}`,
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

  it('emits each eventId once, in per-key order, and a restarted instance emits nothing again', async () => {
    const input = uniqueName('dedupe-in');
    const groupId = uniqueName('dedupe-group');
    const streams = dedupeTopics([input], groupId);
    const { output } = streams[0]!;
    topics.push(input, ...streams.flatMap(({ output, changelog }) => [output, changelog]));
    await admin.createTopics({ topics: [{ topic: input, numPartitions: PARTITIONS }], waitForLeaders: true });
    await ensureDedupeTopics(connection, streams, { windowMs: 35 * DAY_MS, create: true });

    const records = new Records(12);
    const first = records.fresh(300);
    await produce(producer, input, [...first, ...records.repeats(first.slice(0, 100))]);
    const summaries: BatchSummary[] = [];
    const one = start(streams, groupId, summaries);
    const firstCheck = account(await readDeduped(kafka, output, first.length), records.distinct);
    await one.stop();
    console.log('dedupe, first instance', { duplicatesInjected: records.duplicates, ...firstCheck });
    expect(firstCheck).toEqual({ emitted: first.length, missing: 0, extra: 0, outOfOrder: 0 });

    // The restart: repeats of ids the first instance emitted (its state now only in the changelog), new ids.
    const repeated = records.repeats(first.slice(100, 200));
    await produce(producer, input, [...repeated, ...records.fresh(100)]);
    const two = start(streams, groupId, summaries);
    const allCheck = account(await readDeduped(kafka, output, records.distinct.length), records.distinct);
    await two.stop();
    printCounts('dedupe, after a restart', records, allCheck);
    expect(allCheck).toEqual({ emitted: 400, missing: 0, extra: 0, outOfOrder: 0 });
    const dropped = summaries.reduce((sum, { duplicates }) => sum + duplicates, 0);
    expect(dropped).toBe(records.duplicates);
  });

  it('nodes started together all ensure the same missing topics (none fails on the one that created it first)', async () => {
    const input = uniqueName('dedupe-together');
    const streams = dedupeTopics([input], uniqueName('dedupe-group'));
    topics.push(input, ...streams.flatMap(({ output, changelog }) => [output, changelog]));
    await admin.createTopics({ topics: [{ topic: input, numPartitions: PARTITIONS }], waitForLeaders: true });
    const starts = await Promise.allSettled(
      Array.from({ length: 4 }, () =>
        ensureDedupeTopics(connection, streams, { windowMs: 35 * DAY_MS, create: true }),
      ),
    );
    expect(starts.map(({ status }) => status)).toEqual(Array(4).fill('fulfilled'));
  });

  it('two instances through rebalances under load (one joins, then the first leaves): each eventId once', async () => {
    const input = uniqueName('dedupe-rebalance');
    const groupId = uniqueName('dedupe-group');
    const streams = dedupeTopics([input], groupId);
    const { output } = streams[0]!;
    topics.push(input, ...streams.flatMap(({ output, changelog }) => [output, changelog]));
    await admin.createTopics({ topics: [{ topic: input, numPartitions: 4 }], waitForLeaders: true });
    await ensureDedupeTopics(connection, streams, { windowMs: 35 * DAY_MS, create: true });

    const records = new Records(16);
    let previous: Sent[] = [];
    const round = async () => {
      const fresh = records.fresh(40);
      await produce(producer, input, [...records.repeats(previous.slice(0, 10)), ...fresh]);
      previous = fresh;
      await sleep(20);
    };
    const byOne: BatchSummary[] = [];
    const byTwo: BatchSummary[] = [];
    // Each phase lasts until the node that just joined has consumed (a rebalance stops the group for seconds).
    const one = start(streams, groupId, byOne, 1);
    for (let i = 0; i < 20 || (consumed(byOne) === 0 && i < 1_000); i++) await round();
    const two = start(streams, groupId, byTwo, 2);
    const oneBeforeTwo = consumed(byOne);
    // Until both consumed as members together (a batch in flight at the join fails, and its session restarts).
    const bothConsumed = () => consumed(byTwo) > 0 && consumed(byOne) > oneBeforeTwo;
    for (let i = 0; i < 20 || (!bothConsumed() && i < 1_000); i++) await round();
    for (let i = 0; i < 20; i++) await round();
    const twoBeforeOneLeft = consumed(byTwo);
    const oneWithTwo = consumed(byOne) - oneBeforeTwo;
    await one.stop();
    for (let i = 0; i < 30; i++) await round();
    const counts = account(await readDeduped(kafka, output, records.distinct.length), records.distinct);
    await two.stop();
    printCounts('dedupe through two rebalances', records, counts, {
      consumedByOne: consumed(byOne),
      consumedByOneWithTwo: oneWithTwo,
      consumedByTwo: consumed(byTwo),
      consumedByTwoWithOne: twoBeforeOneLeft,
    });
    expect(counts).toEqual({ emitted: records.distinct.length, missing: 0, extra: 0, outOfOrder: 0 });
    // Both held partitions at once: the second took some over while the first still ran.
    expect(twoBeforeOneLeft).toBeGreaterThan(0);
    expect(oneWithTwo).toBeGreaterThan(0);
  });
});
