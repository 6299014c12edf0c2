/**
 * `npm run bench:dedupe`: the dedupe service (docs/dedupe.md) against issue 19's two goals, on this machine against
 * a real broker (test/infra/environment.ts: KAFKA_BROKERS + SCHEMA_REGISTRY_URL, Docker, or the local stack,
 * started and stopped for the run when it was not already up), transactions on as always:
 *
 *   throughput  (bench/dedupe-throughput.ts) records deduplicated per second, at least 20,000/s: a preloaded
 *               input topic read to its end, once per store listed;
 *   latency     (bench/dedupe-latency.ts) bridge acknowledgement to deduped record seen by a read_committed
 *               consumer, p99 at most 500 ms at 1,000 callbacks/s: the bridge and `dedupe` as child processes.
 *
 *   BENCH_DEDUPE_PHASES=throughput,latency  BENCH_DEDUPE_RECORDS=200000  BENCH_DEDUPE_DUPLICATES=0.15
 *   BENCH_DEDUPE_STORES=memory,disk (one throughput run each, in this order; repeat names to alternate)
 *   BENCH_DEDUPE_RATE=1000  BENCH_DEDUPE_SECONDS=60  BENCH_DEDUPE_WARMUP_SECONDS=15  BENCH_DEDUPE_LATENCY_STORE=disk
 *   BENCH_DEDUPE_BATCH_SIZE, BENCH_DEDUPE_LINGER_MS (dedupe.batchSize and lingerMs; unset: the config's defaults)
 *
 * Figures are printed, never asserted, and nothing is written into the repository (the children's configs and
 * logs go to a temporary directory, named at the end). The exit code is non-zero only when the counts are wrong:
 * a record not consumed, a distinct eventId not emitted or emitted twice.
 */
import '../src/kafka/kafkajs-timer-warning';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { topicSettings, topicsOf } from '../src/config';
import { createKafkaClient } from '../src/kafka/clients';
import { provideInfra } from '../test/infra/environment';
import { clientConfig, prefixedTopics, stderrLogger } from '../test/support/clients';
import { latencyRun, type LatencyResult } from './dedupe-latency';
import { localKafkaPid } from './process-sampler';
import { preload, throughputRun, type StoreKind, type ThroughputRun } from './dedupe-throughput';
import { startTarget, type TargetContext } from './targets';

const ROOT = join(__dirname, '..');
const env = process.env;
const PHASES = (env.BENCH_DEDUPE_PHASES ?? 'throughput,latency').split(',');
const RECORDS = Number(env.BENCH_DEDUPE_RECORDS ?? 200_000);
const DUPLICATES = Number(env.BENCH_DEDUPE_DUPLICATES ?? 0.15);
const STORES = (env.BENCH_DEDUPE_STORES ?? 'memory,disk').split(',') as StoreKind[];
const RATE = Number(env.BENCH_DEDUPE_RATE ?? 1000);
const SECONDS = Number(env.BENCH_DEDUPE_SECONDS ?? 60);
/** Long enough for the node to rebuild every partition's state, each at its first record (docs/dedupe.md). */
const WARMUP_SECONDS = Number(env.BENCH_DEDUPE_WARMUP_SECONDS ?? 15);
const LATENCY_STORE = (env.BENCH_DEDUPE_LATENCY_STORE ?? 'disk') as StoreKind;
/** Only what is set here overrides the config's defaults. */
const DEDUPE = {
  ...(env.BENCH_DEDUPE_BATCH_SIZE ? { batchSize: Number(env.BENCH_DEDUPE_BATCH_SIZE) } : {}),
  ...(env.BENCH_DEDUPE_LINGER_MS ? { lingerMs: Number(env.BENCH_DEDUPE_LINGER_MS) } : {}),
};
/** As `npm run bench`'s topics: several partitions, as the real category topics have. */
const PARTITIONS = 6;
const VALUE_BYTES = 600;
const DEVICES = 20_000;
const USERNAME = 'bench-user';
const PASSWORD = 'bench-password-not-secret';

const say = (line: string) => process.stderr.write(`bench:dedupe: ${line}\n`);
const round = (n: number | null, digits = 0) => (n === null ? 'n/a' : Number(n.toFixed(digits)));

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const infra = await provideInfra();
  const brokers = infra.kafkaBrokers.split(',');
  const brokerPid = localKafkaPid(infra.source);
  const kafka = createKafkaClient(clientConfig({ brokers }).kafka, {
    logger: stderrLogger(),
    clientId: 'bench-dedupe',
  });
  const admin = kafka.admin();
  await admin.connect();
  const prefix = `bench-dedupe-${Date.now()}`;
  const dir = mkdtempSync(join(tmpdir(), 'bench-dedupe-'));
  const throughput: ThroughputRun[] = [];
  let latency: LatencyResult | undefined;
  let wrong = 0;
  say(
    `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()}, load average ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')}, commit ${commit()}, Kafka ${infra.kafkaBrokers} (${infra.source})`,
  );
  try {
    if (PHASES.includes('throughput')) {
      const topics = topicSettings(prefixedTopics(`${prefix}-t`));
      const inputs = categoryInputs(topics);
      await admin.createTopics({
        topics: inputs.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
      });
      say(`preloading ${RECORDS} records (${DUPLICATES * 100} % repeats) into ${inputs[0]}`);
      const input = await preload(kafka, inputs[0]!, {
        records: RECORDS,
        duplicateShare: DUPLICATES,
        valueBytes: VALUE_BYTES,
        devices: DEVICES,
      });
      say(`  ${input.distinct} distinct, ${input.duplicates} repeats, in ${input.seconds.toFixed(1)} s`);
      for (const [i, store] of STORES.entries()) {
        say(`throughput, ${store} store: reading the input to its end`);
        const run = await throughputRun(input, {
          kafka: { brokers, topics },
          groupId: `${prefix}-${store}-${i}`,
          store,
          dedupe: DEDUPE,
          brokerPid,
          timeoutMs: 600_000,
        });
        throughput.push(run);
        say(`  ${Math.round(run.perSecond)} records/s, ${run.batches} batches`);
        if (run.emitted !== input.distinct || run.consumed !== input.records) wrong++;
      }
    }
    if (PHASES.includes('latency')) {
      const topics = topicSettings(prefixedTopics(`${prefix}-l`));
      const ctx: TargetContext = {
        root: ROOT,
        dir,
        brokers,
        registryUrl: infra.schemaRegistryUrl,
        username: USERNAME,
        password: PASSWORD,
        topics: { bridge: topics, afternoon: `${prefix}-l.afternoon` },
        partitions: PARTITIONS,
      };
      say('latency: starting the bridge');
      const bridge = await startTarget('bridge', ctx);
      try {
        say(
          `latency: dedupe (${LATENCY_STORE} store), ${RATE} callbacks/s for ${WARMUP_SECONDS} s warm-up + ${SECONDS} s`,
        );
        latency = await latencyRun({
          root: ROOT,
          dir,
          brokers,
          inputs: categoryInputs(topics),
          topics,
          groupId: `${prefix}-latency`,
          bridgePort: bridge.port,
          corpusDir: join(ROOT, 'bench/callbacks'),
          username: USERNAME,
          password: PASSWORD,
          rate: RATE,
          warmupSeconds: WARMUP_SECONDS,
          seconds: SECONDS,
          resendShare: DUPLICATES,
          store: LATENCY_STORE,
          dedupe: DEDUPE,
          drainMs: 30_000,
        });
        if (latency.missing > 0 || latency.extra > 0) wrong++;
      } finally {
        await bridge.stop();
      }
    }
  } finally {
    const created = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    await admin.deleteTopics({ topics: created }).catch(() => undefined);
    await admin.disconnect();
    await infra.stop();
  }
  report(throughput, latency);
  say(`configs and logs: ${dir}`);
  if (wrong > 0) {
    say(`${wrong} run(s) with wrong counts (see the tables): not a result`);
    process.exitCode = 1;
  }
}

/** The topics the service deduplicates: every stream's but the dead letters'. */
function categoryInputs(topics: ReturnType<typeof topicSettings>): string[] {
  return Object.entries(topicsOf({ topics }))
    .filter(([stream]) => stream !== 'dead-letter')
    .map(([, topic]) => topic);
}

function report(throughput: readonly ThroughputRun[], latency: LatencyResult | undefined): void {
  const settings = Object.keys(DEDUPE).length > 0 ? JSON.stringify(DEDUPE) : 'the defaults';
  if (throughput.length > 0) {
    process.stdout.write(
      `\nThroughput (goal >= 20,000 records/s): ${PARTITIONS} partitions, ${VALUE_BYTES}-byte values, ` +
        `dedupe settings ${settings}\n`,
    );
    console.table(
      throughput.map((run) => ({
        store: run.store,
        'records/s': Math.round(run.perSecond),
        'without restores': Math.round(run.perSecondWithoutRestores),
        's (start s)': `${run.seconds.toFixed(1)} (${run.startSeconds.toFixed(1)})`,
        'restores (s)': `${run.restores} (${run.restoreSeconds.toFixed(1)})`,
        consumed: run.consumed,
        emitted: run.emitted,
        dropped: run.duplicates,
        batches: run.batches,
        'records/batch': round(run.meanBatch, 1),
        'batch ms p50/p99': `${round(run.batchMsP50, 1)}/${round(run.batchMsP99, 1)}`,
        'dedupe CPU %': round(run.cpuPercent),
        'broker CPU %': round(run.brokerCpuPercent),
      })),
    );
  }
  if (latency) {
    process.stdout.write(
      `\nLatency (goal p99 <= 500 ms): bridge 200 to the deduped record seen read_committed, ` +
        `${latency.store} store, dedupe settings ${settings}\n`,
    );
    console.table([
      {
        'sent/s': round(latency.sentPerSecond),
        sent: latency.sent,
        're-sent': latency.resent,
        '200s': latency.acknowledged,
        'not 200': latency.failed,
        'distinct ids': latency.distinct,
        measured: latency.measured,
        missing: latency.missing,
        extra: latency.extra,
        'p50 ms': round(latency.delayMs.p50, 1),
        'p95 ms': round(latency.delayMs.p95, 1),
        'p99 ms': round(latency.delayMs.p99, 1),
        'max ms': round(latency.delayMs.max, 1),
      },
    ]);
    process.stdout.write(
      `p99 ms of each 10 s from the first callback, warm-up included: ${latency.sliceP99Ms
        .map((p99) => (p99 === null ? '-' : Math.round(p99)))
        .join(', ')}\n`,
    );
  }
}

main().catch((err: unknown) => {
  say(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
