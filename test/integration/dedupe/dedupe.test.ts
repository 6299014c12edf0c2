/**
 * The dedupe loop against the real broker: records with repeated eventIds in, each eventId exactly once in
 * `<topic>.deduped`, in per-key order, read read_committed; a new instance in the same group (a restart) emits
 * nothing again, its state rebuilt from the changelog.
 */
import type { BatchSummary } from '../../../src/dedupe/service';
import { ensureDedupeTopics, type DedupeTopics } from '../../../src/dedupe/topics';
import { platformaticConnection } from '../../../src/kafka/clients';
import { testServers, uniqueName } from '../../infra/kafka';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  account,
  dedupeSuite,
  inputStreams,
  printCounts,
  produce,
  readDeduped,
  Records,
  serviceStarter,
  WINDOW_MS,
  type Sent,
} from './support';

const PARTITIONS = 3;

jest.setTimeout(180_000);

const consumed = (summaries: readonly BatchSummary[]) =>
  summaries.reduce((sum, { consumed }) => sum + consumed, 0);

describe('dedupe against Kafka', () => {
  const { kafka, config } = testServers();
  const connection = platformaticConnection(config.kafka, 'dedupe-test');
  const suite = dedupeSuite(kafka);
  const startService = serviceStarter(connection);
  const start = (streams: DedupeTopics[], groupId: string, summaries: BatchSummary[], instance = 0) =>
    startService({ groupId, streams, onBatch: (summary) => summaries.push(summary) }, instance);

  it('emits each eventId once, in per-key order, and a restarted instance emits nothing again', async () => {
    const input = uniqueName('dedupe-in');
    const groupId = uniqueName('dedupe-group');
    const streams = await inputStreams(suite, connection, { input, groupId, partitions: PARTITIONS });
    const { output } = streams[0]!;

    const records = new Records(12);
    const first = records.fresh(300);
    await produce(suite.producer, input, [...first, ...records.repeats(first.slice(0, 100))]);
    const summaries: BatchSummary[] = [];
    const one = start(streams, groupId, summaries);
    const firstCheck = account(await readDeduped(kafka, output, first.length), records.distinct);
    await one.stop();
    console.log('dedupe, first instance', { duplicatesInjected: records.duplicates, ...firstCheck });
    expect(firstCheck).toEqual({ emitted: first.length, missing: 0, extra: 0, outOfOrder: 0 });

    // The restart: repeats of ids the first instance emitted (its state now only in the changelog), new ids.
    const repeated = records.repeats(first.slice(100, 200));
    await produce(suite.producer, input, [...repeated, ...records.fresh(100)]);
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
    const groupId = uniqueName('dedupe-group');
    const streams = await inputStreams(suite, connection, {
      input,
      groupId,
      partitions: PARTITIONS,
      ensure: false,
    });
    const starts = await Promise.allSettled(
      Array.from({ length: 4 }, () =>
        ensureDedupeTopics(connection, streams, { windowMs: WINDOW_MS, create: true }),
      ),
    );
    expect(starts.map(({ status }) => status)).toEqual(Array(4).fill('fulfilled'));
  });

  it('two instances through rebalances under load (one joins, then the first leaves): each eventId once', async () => {
    const input = uniqueName('dedupe-rebalance');
    const groupId = uniqueName('dedupe-group');
    const streams = await inputStreams(suite, connection, { input, groupId, partitions: 4 });
    const { output } = streams[0]!;

    const records = new Records(16);
    let previous: Sent[] = [];
    const round = async () => {
      const fresh = records.fresh(40);
      await produce(suite.producer, input, [...records.repeats(previous.slice(0, 10)), ...fresh]);
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
