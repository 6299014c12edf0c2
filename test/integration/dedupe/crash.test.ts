/**
 * `thingspace-bridge dedupe` as operators run it, SIGKILLed mid-batch under load and restarted (the same
 * instance id, so the restart fences what the killed run left open): the deduplicated topic holds every distinct
 * eventId exactly once, in per-key order, for a read_committed reader. Prints the counts (issue 19).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Producer } from 'kafkajs';
import { topicSettings } from '../../../src/config';
import { changelogTopic, dedupedTopic } from '../../../src/dedupe/topics';
import { testServers, uniqueName } from '../../infra/kafka';
import { prefixedTopics } from '../../support/clients';
import { tempDirs } from '../../support/temp';
import {
  account,
  dedupeNode as dedupe,
  orderedProducer,
  produce,
  readDeduped,
  Records,
  type Sent,
} from './support';

const PARTITIONS = 3;
const BACKLOG = 120;
const AFTER_RESTART = 40;
const PER_ROUND = 50;
/** Emitted records seen before the kill: well into the backlog. */
const KILL_AFTER = 2_000;

jest.setTimeout(240_000);

describe('dedupe SIGKILLed under load', () => {
  const { kafka, brokers } = testServers();
  let admin: Admin;
  let producer: Producer;
  const topics: string[] = [];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    producer = await orderedProducer(kafka);
  });

  afterAll(async () => {
    await producer.disconnect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });
  const tempDir = tempDirs('dedupe-crash-');

  it('restarted, it leaves every distinct eventId exactly once in per-key order', async () => {
    const streams = prefixedTopics(uniqueName('dedupe-crash'));
    const groupId = uniqueName('dedupe-crash-group');
    const input = streams['async-response'];
    const categories = [streams['async-response'], streams['external-change'], streams['device-originated']];
    topics.push(...categories, ...categories.flatMap((t) => [dedupedTopic(t), changelogTopic(groupId, t)]));
    await admin.createTopics({
      topics: categories.map((topic) => ({ topic, numPartitions: PARTITIONS })),
      waitForLeaders: true,
    });
    const file = join(tempDir(), 'dedupe.json');
    writeFileSync(
      file,
      JSON.stringify({
        kafka: { brokers, createTopics: true, topics: topicSettings(streams) },
        log: { level: 'debug' },
        dedupe: { groupId, instanceId: 'crash-1', batchSize: 100, lingerMs: 10, port: 0 },
      }),
    );

    // Load: rounds of fresh records, each with repeats of records a few rounds older and of its own. The first
    // BACKLOG rounds are there before the node starts, so that it is catching up, inside a transaction most of
    // the time, when it is killed; the others come while it runs.
    const records = new Records(20);
    const history: Sent[][] = [];
    let rounds = 0;
    const round = async () => {
      const fresh = records.fresh(PER_ROUND);
      const old = history.at(-3)?.slice(0, PER_ROUND / 5) ?? [];
      await produce(producer, input, [
        ...records.repeats(old),
        ...fresh,
        ...records.repeats(fresh.slice(0, 5)),
      ]);
      history.push(fresh);
      rounds++;
    };
    while (rounds < BACKLOG) await round();
    let running = dedupe(file);
    await running.next('dedupe starting');
    // Goes on through the kill and the restart, and AFTER_RESTART rounds more.
    let restartedAt = Infinity;
    const loading = (async () => {
      while (rounds < restartedAt + AFTER_RESTART) {
        await round();
        await sleep(20);
      }
    })();

    await readDeduped(kafka, dedupedTopic(input), KILL_AFTER, { settleMs: 0 });
    // Mid-batch: its records written, its transaction not yet committed.
    await running.next('dedupe batch sent');
    const roundsAtKill = rounds;
    running.child.kill('SIGKILL');
    await new Promise((resolve) => running.child.once('exit', resolve));
    await sleep(500);
    running = dedupe(file);
    await running.next('dedupe starting');
    restartedAt = rounds;
    await loading;

    const emitted = await readDeduped(kafka, dedupedTopic(input), records.distinct.length, {
      timeoutMs: 120_000,
      settleMs: 2_000,
    });
    // What aborted transactions left in the log (the killed run's open one among them): read_uncommitted sees it.
    const uncommitted = await readDeduped(kafka, dedupedTopic(input), emitted.length, {
      readUncommitted: true,
    });
    running.child.kill('SIGTERM');
    const exitCode = await new Promise((resolve) => running.child.once('exit', resolve));
    const counts = account(emitted, records.distinct);
    console.log('dedupe SIGKILLed under load, restarted', {
      produced: records.distinct.length + records.duplicates,
      duplicatesInjected: records.duplicates,
      distinct: records.distinct.length,
      roundsAtKill,
      abortedRecords: uncommitted.length - emitted.length,
      ...counts,
    });
    expect(roundsAtKill).toBeLessThan(rounds);
    // The kill came between a batch's write and its commit: that transaction's records are in the log, aborted.
    expect(uncommitted.length).toBeGreaterThan(emitted.length);
    expect(counts).toEqual({ emitted: records.distinct.length, missing: 0, extra: 0, outOfOrder: 0 });
    expect(exitCode).toBe(0);
  });
});
