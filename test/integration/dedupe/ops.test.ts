/**
 * `thingspace-bridge dedupe` seen from its port (`dedupe.port`): /readyz turns 200 once it runs, /metrics counts
 * what the test sent and what came out, and SIGTERM ends it with exit 0.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { dedupedTopic } from '../../../src/dedupe/topics';
import { testServers, uniqueName } from '../../infra/kafka';
import { tempDirs } from '../../support/temp';
import {
  account,
  createNodeTopics,
  dedupeNode,
  dedupeSuite,
  nodeConfigFile,
  nodeTopicNames,
  nodeTopics,
  produce,
  readDeduped,
  Records,
  type Emitted,
} from './support';

jest.setTimeout(180_000);

/** A sample's value from Prometheus text: `name` with exactly `labels` (`{reason="x"}`), or undefined. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function readyz(port: number): Promise<{ status: number; body: { status: string; reason?: string } }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
}

const lagLines = (text: string) =>
  text.split('\n').filter((line) => line.startsWith('thingspace_dedupe_lag_records{'));

describe('dedupe operated through its port', () => {
  const { kafka, brokers } = testServers();
  const suite = dedupeSuite(kafka);
  const tempDir = tempDirs('dedupe-ops-');

  it('is ready once running, counts emitted and dropped records in /metrics, and exits 0 on SIGTERM', async () => {
    const groupId = uniqueName('dedupe-ops-group');
    const topics = nodeTopics('dedupe-ops');
    const { input } = topics;
    suite.topics.push(...nodeTopicNames(topics, groupId));
    await createNodeTopics(suite.admin, topics, 3);
    const records = new Records(12);
    const fresh = records.fresh(300);
    await produce(suite.producer, input, [...fresh, ...records.repeats(fresh.slice(0, 100))]);
    const file = nodeConfigFile(tempDir(), {
      brokers,
      topics,
      dedupe: { groupId, instanceId: 'ops-1', batchSize: 50, port: 0, host: '127.0.0.1' },
    });

    const node = dedupeNode(file);
    let exitCode: unknown;
    let ready: Awaited<ReturnType<typeof readyz>>;
    let text: string;
    let emitted: Emitted[];
    try {
      const listening = node.next('dedupe port listening: /metrics, /healthz, /readyz');
      const { port } = (await listening) as { port: number };
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      // The output topics exist once it starts.
      await node.next('dedupe starting');
      emitted = await readDeduped(kafka, dedupedTopic(input), fresh.length);
      ready = await readyz(port);
      for (let tries = 0; ready.status !== 200 && tries < 50; tries++) {
        await sleep(200);
        ready = await readyz(port);
      }
      // The lag is measured every 10 s: once it shows for the 9 partitions held, it is 0 (every record done).
      text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      for (let tries = 0; lagLines(text).length < 9 && tries < 100; tries++) {
        await sleep(200);
        text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      }
    } finally {
      node.child.kill('SIGTERM');
      exitCode = node.child.exitCode ?? (await new Promise((resolve) => node.child.once('exit', resolve)));
    }

    const counts = {
      consumed: sample(text, 'thingspace_dedupe_records_consumed_total'),
      emitted: sample(text, 'thingspace_dedupe_records_emitted_total'),
      duplicates: sample(text, 'thingspace_dedupe_records_duplicate_total'),
      unidentified: sample(text, 'thingspace_dedupe_records_unidentified_total'),
      abortedRebalance: sample(text, 'thingspace_dedupe_transactions_aborted_total', '{reason="rebalance"}'),
      ready: sample(text, 'thingspace_dedupe_ready'),
    };
    // A partition's state size shows once it is restored.
    const partitionsRestored = text
      .split('\n')
      .filter((line) => line.startsWith('thingspace_dedupe_state_ids{')).length;
    console.log('dedupe /metrics after one run', { ...counts, partitionsRestored, readyz: ready });
    expect(account(emitted, records.distinct)).toEqual({ emitted: 300, missing: 0, extra: 0, outOfOrder: 0 });
    expect(ready).toEqual({ status: 200, body: { status: 'ready', restoring: [] } });
    expect(counts).toEqual({
      consumed: 400,
      emitted: 300,
      duplicates: records.duplicates,
      unidentified: 0,
      abortedRebalance: 0,
      ready: 1,
    });
    expect(sample(text, 'thingspace_dedupe_transactions_committed_total')).toBeGreaterThan(0);
    expect(sample(text, 'thingspace_dedupe_restore_duration_seconds_count')).toBeGreaterThan(0);
    // Every partition assigned was restored at the join, the six of the two topics no record came to included.
    expect(partitionsRestored).toBe(9);
    expect(lagLines(text)).toHaveLength(9);
    expect(lagLines(text).map((line) => Number(line.split(' ')[1]))).toEqual(Array(9).fill(0));
    expect(exitCode).toBe(0);
  });
});
