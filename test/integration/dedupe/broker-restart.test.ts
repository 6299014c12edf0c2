/**
 * Two `thingspace-bridge dedupe` nodes of one group under load while their Kafka broker is SIGKILLed and
 * restarted (a broker of this file's own, as in faults/faults.test.ts: killing the shared one would disturb the
 * other test files): both stay up, and the deduplicated topic holds every distinct eventId exactly once, in
 * per-key order, for a read_committed reader; the audit of every `*.deduped` topic of that broker finds no
 * duplicate. Prints the counts (issue 19).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from 'kafkajs';
import { dedupedTopic } from '../../../src/dedupe/topics';
import { auditDeduped, describeAudit } from '../../infra/deduped-audit';
import { uniqueName } from '../../infra/kafka';
import { killKafka, restartKafka } from '../../infra/stack/stack';
import { tempDirs } from '../../support/temp';
import { fileStack, until } from '../faults/support';
import {
  account,
  createNodeTopics,
  dedupeNode,
  exited,
  nodeConfigFile,
  nodeTopics,
  orderedProducer,
  printCounts,
  produce,
  readDeduped,
  Records,
  RoundLoad,
  type DedupeNode,
  type Sent,
} from './support';

const PARTITIONS = 4;
const BACKLOG = 40;
const AFTER_RESTART = 60;
/** How long the broker stays down: longer than a batch, a session timeout's worth of the nodes' retries. */
const OUTAGE_MS = 8_000;

const stack = fileStack();

const tempDir = tempDirs('dedupe-broker-');

// Quarantined from the default run (issue 19 left open): at c859691 this test hung past its 600 s timeout in both
// CI passes (Kafka 3.9 and 4.4) though it passed in both at 15a7302; where it hangs is not found yet.
// DEDUPE_BROKER_RESTART=1 runs it.
const quarantined = process.env.DEDUPE_BROKER_RESTART === '1' ? it : it.skip;

describe('dedupe through a broker restart', () => {
  quarantined(
    'two nodes under load, the broker SIGKILLed and restarted: each eventId once, in per-key order',
    async () => {
      const { kafka } = stack;
      const groupId = uniqueName('dedupe-broker-group');
      const topics = nodeTopics('dedupe-broker');
      const { input } = topics;
      const admin = kafka.admin();
      await admin.connect();
      await createNodeTopics(admin, topics, PARTITIONS);
      await admin.disconnect();
      const configOf = (instanceId: string) =>
        nodeConfigFile(tempDir(), {
          brokers: stack.brokers,
          topics,
          log: { level: 'debug' },
          dedupe: { groupId, instanceId, batchSize: 100, lingerMs: 10, port: 0 },
        });

      // A round the broker refused is sent again, by a new producer: what it wrote before failing is repeated.
      let producer: Producer | undefined;
      let resends = 0;
      const send = async (batch: readonly Sent[]) => {
        for (;;) {
          try {
            producer ??= await orderedProducer(kafka);
            return await produce(producer, input, batch);
          } catch {
            resends++;
            await producer?.disconnect().catch(() => undefined);
            producer = undefined;
            await sleep(500);
          }
        }
      };
      const records = new Records(24);
      const load = new RoundLoad(records, send, 40);
      while (load.rounds < BACKLOG) await load.round();
      const env = { KAFKA_BROKERS: stack.brokers.join(',') };
      const nodes = [dedupeNode(configOf('broker-1'), env), dedupeNode(configOf('broker-2'), env)];
      try {
        await Promise.all(nodes.map((node) => node.next('dedupe starting')));
        let restartedAt = Infinity;
        const loading = (async () => {
          while (load.rounds < restartedAt + AFTER_RESTART) {
            await load.round();
            await sleep(20);
          }
        })();
        // Both hold partitions and commit batches when the broker goes.
        const sentBatches = (node: DedupeNode) =>
          node.lines.filter(({ msg }) => msg === 'dedupe batch sent').length;
        await until(() => nodes.every((node) => sentBatches(node) > 0), 90_000, 'both nodes to send a batch');
        await killKafka({ stackDir: stack.stackDir });
        const roundsAtKill = load.rounds;
        // A time on purpose: the outage outlasts the nodes' batches and their requests' retries.
        await sleep(OUTAGE_MS);
        await restartKafka({ stackDir: stack.stackDir });
        restartedAt = load.rounds;
        await loading;

        const emitted = await readDeduped(kafka, dedupedTopic(input), records.distinct.length, {
          timeoutMs: 180_000,
          settleMs: 2_000,
        });
        const audit = await auditDeduped(kafka);
        const alive = nodes.map((node) => node.child.exitCode === null);
        const exitCodes = await Promise.all(nodes.map((node) => (node.child.kill('SIGTERM'), exited(node))));
        const counts = account(emitted, records.distinct);
        printCounts('dedupe through a broker SIGKILL and restart', records, counts, {
          resends,
          roundsAtKill,
          roundsAtRestart: restartedAt,
          outageMs: OUTAGE_MS,
          batchesSent: nodes.map(sentBatches),
          sessionsFailed: nodes.map(
            (node) => node.lines.filter(({ msg }) => msg === 'dedupe session failed, starting anew').length,
          ),
          exitCodes,
        });
        process.stdout.write(`dedupe broker restart, *.deduped audit: ${describeAudit(audit)}\n`);
        expect(alive).toEqual([true, true]);
        expect(counts).toEqual({ emitted: records.distinct.length, missing: 0, extra: 0, outOfOrder: 0 });
        expect(audit).toMatchObject({ records: emitted.length, duplicates: 0 });
        expect(exitCodes).toEqual([0, 0]);
      } finally {
        for (const node of nodes) if (node.child.exitCode === null) node.child.kill('SIGKILL');
        await producer?.disconnect().catch(() => undefined);
      }
    },
    600_000,
  );
});
