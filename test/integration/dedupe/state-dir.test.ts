/**
 * The dedupe state on disk (`dedupe.stateDir`: one LMDB file per partition) against the real broker: a node
 * restarted with its state directory reads only its changelog's tail (what was written after its checkpoint, here
 * by another node while it was stopped), emits nothing twice; with its clean-close markers gone (a crash), it
 * rebuilds every partition from the changelog's start, and so it does with checkpoints past the changelog's end.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DiskSeenStore } from '../../../src/dedupe/disk-store';
import type { BatchSummary, RestoreSummary } from '../../../src/dedupe/service';
import type { DedupeTopics } from '../../../src/dedupe/topics';
import { platformaticConnection } from '../../../src/kafka/clients';
import { testServers, uniqueName } from '../../infra/kafka';
import { tempDirs } from '../../support/temp';
import { account, dedupeSuite, inputStreams, produce, readDeduped, Records, serviceStarter } from './support';

const PARTITIONS = 3;

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
  const suite = dedupeSuite(kafka);
  const startService = serviceStarter(connection);
  // After the suite's hooks: its afterAll hooks run in the order declared, the directories' removal last.
  const tempDir = tempDirs('dedupe-state-');

  function start(streams: DedupeTopics[], groupId: string, stateDir: string) {
    const run: Run = { restores: [], batches: [] };
    const service = startService({
      groupId,
      streams,
      createStore: (topic, partition) => DiskSeenStore.open(stateDir, topic, partition),
      onBatch: (summary) => run.batches.push(summary),
      onRestored: (summary) => run.restores.push(summary),
    });
    return { run, ...service };
  }

  it('reads only the changelog tail after a clean stop, and all of it after an unclean one', async () => {
    const input = uniqueName('dedupe-state');
    const groupId = uniqueName('dedupe-group');
    const streams = await inputStreams(suite, connection, { input, groupId, partitions: PARTITIONS });
    const { output } = streams[0]!;
    const mine = tempDir();
    const other = tempDir('other-');
    const records = new Records(12);
    const expectOnce = async (phase: string) => {
      const counts = account(await readDeduped(kafka, output, records.distinct.length), records.distinct);
      console.log(`dedupe on disk, ${phase}`, { duplicatesInjected: records.duplicates, ...counts });
      expect(counts).toEqual({ emitted: records.distinct.length, missing: 0, extra: 0, outOfOrder: 0 });
    };

    // 1. This node's first run: empty state, 300 ids emitted, 100 repeats dropped; stopped cleanly.
    const first = records.fresh(300);
    await produce(suite.producer, input, [...first, ...records.repeats(first.slice(0, 100))]);
    const one = start(streams, groupId, mine);
    await expectOnce('first run');
    await one.stop();
    expect(readdirSync(mine).filter((name) => name.endsWith('.clean'))).toHaveLength(PARTITIONS);

    // 2. Meanwhile another node (its own, empty state directory) takes over: a full rebuild, 100 ids more.
    const second = records.fresh(100);
    await produce(suite.producer, input, [...records.repeats(first.slice(100, 150)), ...second]);
    const elsewhere = start(streams, groupId, other);
    await expectOnce('another node');
    await elsewhere.stop();

    // 3. This node again, with its state directory: only what the other node wrote is read.
    await produce(suite.producer, input, [
      ...records.repeats([...first.slice(150, 200), ...second]),
      ...records.fresh(60),
    ]);
    const again = start(streams, groupId, mine);
    await expectOnce('restarted with its state');
    await again.stop();

    // 4. The markers gone, as after a crash: every partition rebuilt from the changelog's start.
    for (const name of readdirSync(mine).filter((name) => name.endsWith('.clean'))) rmSync(join(mine, name));
    await produce(suite.producer, input, [...records.repeats(first.slice(200, 300)), ...records.fresh(30)]);
    const afterCrash = start(streams, groupId, mine);
    await expectOnce('restarted without its markers');
    await afterCrash.stop();

    // 5. Checkpoints past the changelog's end (a state kept while the topic was recreated): rebuilt from the start.
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const store = DiskSeenStore.open(mine, streams[0]!.input, partition);
      store.remember([], 1_000_000n);
      await store.close();
    }
    await produce(suite.producer, input, [...records.repeats(first.slice(0, 30)), ...records.fresh(30)]);
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
