/**
 * The dedupe state on disk (`dedupe.stateDir`: one LMDB file per partition) against the real broker: a node
 * restarted with its state directory reads only its changelog's tail (what was written after its checkpoint, here
 * by another node while it was stopped), emits nothing twice; with its clean-close markers gone (a crash), it
 * rebuilds every partition from the changelog's start, and so it does with checkpoints past the changelog's end.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Producer } from 'kafkajs';
import { DiskSeenStore } from '../../../src/dedupe/disk-store';
import { DedupeService, type BatchSummary, type RestoreSummary } from '../../../src/dedupe/service';
import { dedupeTopics, ensureDedupeTopics, type DedupeTopics } from '../../../src/dedupe/topics';
import { platformaticConnection } from '../../../src/kafka/clients';
import { deleteLeavingForAudit } from '../../infra/deduped-audit';
import { testServers, uniqueName } from '../../infra/kafka';
import { stderrLogger } from '../../support/clients';
import { account, orderedProducer, produce, readDeduped, Records } from './support';

const PARTITIONS = 3;
const DAY_MS = 24 * 60 * 60 * 1000;

jest.setTimeout(240_000);

/** What one run of a node did: its partitions' restores and its batches. */
interface Run {
  restores: RestoreSummary[];
  batches: BatchSummary[];
}

const read = (run: Run) => run.restores.reduce((sum, { records }) => sum + records, 0);
const partitionsRestored = (run: Run, where: (from: bigint) => boolean) =>
  new Set(run.restores.filter(({ from }) => where(from)).map(({ partition }) => partition)).size;
const dropped = (run: Run) => run.batches.reduce((sum, { duplicates }) => sum + duplicates, 0);

describe('dedupe with its state on disk', () => {
  const { kafka, config } = testServers();
  const connection = platformaticConnection(config.kafka, 'dedupe-state-test');
  let admin: Admin;
  let producer: Producer;
  const topics: string[] = [];
  const dirs: string[] = [];

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
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function start(streams: DedupeTopics[], groupId: string, stateDir: string) {
    const run: Run = { restores: [], batches: [] };
    const controller = new AbortController();
    started.push(controller);
    const running = new DedupeService({
      connection,
      groupId,
      transactionalId: `${groupId}-0`,
      streams,
      windowMs: 35 * DAY_MS,
      batchSize: 50,
      lingerMs: 20,
      expiryIntervalMs: 60_000,
      createStore: (topic, partition) => DiskSeenStore.open(stateDir, topic, partition),
      logger: stderrLogger(),
      onBatch: (summary) => run.batches.push(summary),
      onRestored: (summary) => run.restores.push(summary),
    }).run(controller.signal);
    return { run, stop: () => (controller.abort(), running) };
  }

  it('reads only the changelog tail after a clean stop, and all of it after an unclean one', async () => {
    const input = uniqueName('dedupe-state');
    const groupId = uniqueName('dedupe-group');
    const streams = dedupeTopics([input], groupId);
    const { output } = streams[0]!;
    topics.push(input, ...streams.flatMap(({ output, changelog }) => [output, changelog]));
    await admin.createTopics({ topics: [{ topic: input, numPartitions: PARTITIONS }], waitForLeaders: true });
    await ensureDedupeTopics(connection, streams, { windowMs: 35 * DAY_MS, create: true });
    const mine = mkdtempSync(join(tmpdir(), 'dedupe-state-'));
    const other = mkdtempSync(join(tmpdir(), 'dedupe-state-other-'));
    dirs.push(mine, other);
    const records = new Records(12);
    const expectOnce = async (phase: string) => {
      const counts = account(await readDeduped(kafka, output, records.distinct.length), records.distinct);
      console.log(`dedupe on disk, ${phase}`, { duplicatesInjected: records.duplicates, ...counts });
      expect(counts).toEqual({ emitted: records.distinct.length, missing: 0, extra: 0, outOfOrder: 0 });
    };

    // 1. This node's first run: empty state, 300 ids emitted, 100 repeats dropped; stopped cleanly.
    const first = records.fresh(300);
    await produce(producer, input, [...first, ...records.repeats(first.slice(0, 100))]);
    const one = start(streams, groupId, mine);
    await expectOnce('first run');
    await one.stop();
    expect(readdirSync(mine).filter((name) => name.endsWith('.clean'))).toHaveLength(PARTITIONS);

    // 2. Meanwhile another node (its own, empty state directory) takes over: a full rebuild, 100 ids more.
    const second = records.fresh(100);
    await produce(producer, input, [...records.repeats(first.slice(100, 150)), ...second]);
    const elsewhere = start(streams, groupId, other);
    await expectOnce('another node');
    await elsewhere.stop();

    // 3. This node again, with its state directory: only what the other node wrote is read.
    await produce(producer, input, [
      ...records.repeats([...first.slice(150, 200), ...second]),
      ...records.fresh(60),
    ]);
    const again = start(streams, groupId, mine);
    await expectOnce('restarted with its state');
    await again.stop();

    // 4. The markers gone, as after a crash: every partition rebuilt from the changelog's start.
    for (const name of readdirSync(mine).filter((name) => name.endsWith('.clean'))) rmSync(join(mine, name));
    await produce(producer, input, [...records.repeats(first.slice(200, 300)), ...records.fresh(30)]);
    const afterCrash = start(streams, groupId, mine);
    await expectOnce('restarted without its markers');
    await afterCrash.stop();

    // 5. Checkpoints past the changelog's end (a state kept while the topic was recreated): rebuilt from the start.
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const store = DiskSeenStore.open(mine, streams[0]!.input, partition);
      store.remember([], 1_000_000n);
      await store.close();
    }
    await produce(producer, input, [...records.repeats(first.slice(0, 30)), ...records.fresh(30)]);
    const pastTheEnd = start(streams, groupId, mine);
    await expectOnce('restarted with checkpoints past the end');
    await pastTheEnd.stop();

    const figures = [one, elsewhere, again, afterCrash, pastTheEnd].map(({ run }) => ({
      restoredFrom: run.restores.map(({ from }) => Number(from)),
      recordsReadInRestores: read(run),
      dropped: dropped(run),
    }));
    console.log('dedupe on disk, restores', figures);
    expect(figures.map(({ recordsReadInRestores }) => recordsReadInRestores)).toEqual([
      0, 300, 100, 460, 490,
    ]);
    // Every partition restored from its checkpoint after the clean stop, from the start without the markers.
    expect(again.run.restores.filter(({ from }) => from === 0n)).toEqual([]);
    expect(partitionsRestored(again.run, (from) => from > 0n)).toBe(PARTITIONS);
    expect(partitionsRestored(afterCrash.run, (from) => from === 0n)).toBe(PARTITIONS);
    expect(partitionsRestored(pastTheEnd.run, (from) => from === 0n)).toBe(PARTITIONS);
    expect(figures.reduce((sum, { dropped }) => sum + dropped, 0)).toBe(records.duplicates);
  });
});
