/**
 * `thingspace-bridge dedupe` as operators run it, SIGKILLed mid-batch under load and restarted (the same
 * instance id, so the restart fences what the killed run left open): the deduplicated topic holds every distinct
 * eventId exactly once, in per-key order, for a read_committed reader. Once with its state in memory, once with a
 * `dedupe.stateDir`: there the killed run leaves no clean-close markers, so the restart rebuilds each partition's
 * LMDB file from the changelog's start, and a later SIGTERM and restart (the clean path) reads only the tail.
 * Prints the counts (issue 19).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { dedupedTopic } from '../../../src/dedupe/topics';
import { testServers, uniqueName } from '../../infra/kafka';
import { tempDirs } from '../../support/temp';
import {
  account,
  createNodeTopics,
  dedupeNode as dedupe,
  dedupeSuite,
  exited,
  nodeConfigFile,
  nodeTopicNames,
  nodeTopics,
  printCounts,
  produce,
  openTransactionRecords,
  readDeduped,
  Records,
  RoundLoad,
  type DedupeNode,
} from './support';

const PARTITIONS = 3;
const BACKLOG = 120;
const AFTER_RESTART = 40;
/** Emitted records seen before the kill: well into the backlog. */
const KILL_AFTER = 2_000;
/**
 * Between two rounds while the node runs (700 records/s at most): each restart waits out the killed member's
 * session (tens of seconds), and a faster load grew past 300,000 records and starved the files beside it.
 */
const ROUND_PAUSE_MS = 100;
/** SIGKILLs tried, each on its own run, until one leaves a transaction open. */
const KILL_ATTEMPTS = 5;
const REBUILT = 'dedupe state rebuilt from its changelog';
const CAUGHT_UP = "dedupe state caught up on its changelog's tail";

jest.setTimeout(240_000);

/** The first restore of each partition of `topic` in a run: where it read from, and how many records. */
function restores(
  node: DedupeNode,
  topic: string,
): Map<number, { msg: string; from: number; records: number }> {
  const first = new Map<number, { msg: string; from: number; records: number }>();
  for (const line of node.lines) {
    if ((line.msg !== REBUILT && line.msg !== CAUGHT_UP) || line.topic !== topic) continue;
    const partition = line.partition as number;
    if (!first.has(partition))
      first.set(partition, { msg: line.msg, from: line.from as number, records: line.records as number });
  }
  return first;
}

describe('dedupe SIGKILLed under load', () => {
  const { kafka, brokers } = testServers();
  const suite = dedupeSuite(kafka);
  const tempDir = tempDirs('dedupe-crash-');

  /**
   * A node under load, ended by each of `stops` in turn (the first mid-batch once KILL_AFTER records came out,
   * the others once the run restored every input partition) and restarted on the same config after each; the load
   * goes on AFTER_RESTART rounds past the last restart. Every run, the killed ones' open transactions, the output.
   */
  async function underLoad(name: string, stops: readonly NodeJS.Signals[], stateDir?: string) {
    const groupId = uniqueName('dedupe-crash-group');
    const topics = nodeTopics('dedupe-crash');
    const { input } = topics;
    suite.topics.push(...nodeTopicNames(topics, groupId));
    await createNodeTopics(suite.admin, topics, PARTITIONS);
    const file = nodeConfigFile(tempDir(), {
      brokers,
      topics,
      log: { level: 'debug' },
      dedupe: { groupId, instanceId: name, batchSize: 100, lingerMs: 10, port: 0, stateDir },
    });

    // The first BACKLOG rounds are there before the node starts, so that it is catching up, inside a transaction
    // most of the time, when it is killed; the others come while it runs.
    const records = new Records(20);
    const load = new RoundLoad(records, (batch) => produce(suite.producer, input, batch));
    while (load.rounds < BACKLOG) await load.round();
    const runs = [dedupe(file)];
    await runs[0]!.next('dedupe starting');
    let restartedAt = Infinity;
    const loading = (async () => {
      while (load.rounds < restartedAt + AFTER_RESTART) {
        await load.round();
        await sleep(ROUND_PAUSE_MS);
      }
    })();

    const roundsAtStop: number[] = [];
    const exitCodes: (number | null)[] = [];
    /** Per SIGKILL: the records its run left in an open transaction, per attempt. */
    const leftOpen: bigint[][] = [];
    const restart = async () => {
      await sleep(500);
      runs.push(dedupe(file));
      await runs.at(-1)!.next('dedupe starting');
    };
    for (const [i, signal] of stops.entries()) {
      if (i === 0) await readDeduped(kafka, dedupedTopic(input), KILL_AFTER, { settleMs: 0 });
      else while (restores(runs.at(-1)!, input).size === 0) await sleep(100);
      // Mid-batch: its records written, its transaction not yet committed. The kill races the commit (a few
      // round trips): a kill that lost the race (nothing left open) is tried again on the next run.
      const attempts: bigint[] = [];
      for (let attempt = 0; attempt < (signal === 'SIGKILL' ? KILL_ATTEMPTS : 1); attempt++) {
        const running = runs.at(-1)!;
        await running.next('dedupe batch sent');
        running.child.kill(signal);
        exitCodes.push(await exited(running));
        const open = await openTransactionRecords(brokers, dedupedTopic(input));
        attempts.push(open);
        roundsAtStop.push(load.rounds);
        await restart();
        if (open > 0n) break;
      }
      if (signal === 'SIGKILL') leftOpen.push(attempts);
    }
    restartedAt = load.rounds;
    await loading;

    const emitted = await readDeduped(kafka, dedupedTopic(input), records.distinct.length, {
      timeoutMs: 120_000,
      settleMs: 2_000,
    });
    // What aborted transactions left in the log (the killed run's open one among them): read_uncommitted sees it.
    const uncommitted = await readDeduped(kafka, dedupedTopic(input), emitted.length, {
      readUncommitted: true,
    });
    runs.at(-1)!.child.kill('SIGTERM');
    exitCodes.push(await exited(runs.at(-1)!));
    const counts = account(emitted, records.distinct);
    const restored = runs.map((run) => [...restores(run, input).values()]);
    printCounts(
      `dedupe ${stops.join(', then ')} under load, restarted (${stateDir ? 'stateDir' : 'memory'})`,
      records,
      counts,
      {
        roundsAtStop,
        leftOpen: leftOpen.map((attempts) => attempts.map(Number)),
        abortedRecords: uncommitted.length - emitted.length,
        restoredFrom: restored.map((run) => run.map(({ from }) => from)),
        readInRestores: restored.map((run) => run.reduce((sum, { records }) => sum + records, 0)),
        exitCodes,
      },
    );
    expect(roundsAtStop.at(-1)).toBeLessThan(load.rounds);
    // A kill came between a batch's write and its commit: that transaction's records are in the log, aborted.
    for (const attempts of leftOpen) expect(attempts.at(-1)).toBeGreaterThan(0n);
    expect(uncommitted.length).toBeGreaterThan(emitted.length);
    expect(counts).toEqual({ emitted: records.distinct.length, missing: 0, extra: 0, outOfOrder: 0 });
    return { input, runs, exitCodes };
  }

  it('restarted, it leaves every distinct eventId exactly once in per-key order', async () => {
    const { exitCodes } = await underLoad('crash-1', ['SIGKILL']);
    expect(exitCodes).toEqual([...exitCodes.slice(0, -1).map(() => null), 0]);
  });

  it('with a stateDir: rebuilt from the changelog after the SIGKILL, its tail only after a SIGTERM; each eventId once', async () => {
    const { input, runs, exitCodes } = await underLoad(
      'crash-disk-1',
      ['SIGKILL', 'SIGTERM'],
      tempDir('state-'),
    );
    expect(exitCodes).toEqual([...exitCodes.slice(0, -2).map(() => null), 0, 0]);
    // Each run's first restore per partition; the runs after the kill attempts, and the one after the SIGTERM.
    const [afterKill, afterTerm] = runs.slice(-2).map((run) => restores(run, input));
    // No clean-close markers after the kill: each partition the next run met was dropped and rebuilt from 0.
    expect(afterKill!.size).toBeGreaterThan(0);
    for (const { msg, from } of afterKill!.values()) expect({ msg, from }).toEqual({ msg: REBUILT, from: 0 });
    // Those closed cleanly by the SIGTERM read from their checkpoints on; any other had no marker: rebuilt. A
    // partition whose changelog was still empty has no checkpoint, and nothing to read either way (the stream
    // hands a catching-up node one partition's backlog after another).
    let caughtUp = 0;
    for (const [partition, { msg, from, records }] of afterTerm!) {
      const clean = afterKill!.has(partition);
      if (clean && from === 0) {
        expect({ partition, msg, records }).toEqual({ partition, msg: REBUILT, records: 0 });
        continue;
      }
      expect({ partition, msg, fromCheckpoint: from > 0 }).toEqual({
        partition,
        msg: clean ? CAUGHT_UP : REBUILT,
        fromCheckpoint: clean,
      });
      if (clean) caughtUp++;
    }
    expect(caughtUp).toBeGreaterThan(0);
  });
});
