/**
 * `npm run bench`: how fast the bridge is, and against what, in one run on this machine against a real Kafka
 * broker and schema registry (test/infra/environment.ts: KAFKA_BROKERS + SCHEMA_REGISTRY_URL, Docker, or the
 * local stack, started and stopped for the run when it was not already up).
 *
 * Every target (bench/targets.ts: the bare-HTTP ceiling, the afternoon bridge, this bridge's production build on
 * each Kafka client), one process each, is started first; then each load (each closed-loop concurrency, then a
 * fixed offered rate) is driven by a load generator process (bench/loadgen) against every target in turn, so that
 * the targets are compared on the same machine minutes, not ten minutes apart. Per scenario: acknowledged/s,
 * latency percentiles, answers by status, the server's CPU and peak RSS, the load generator's and the broker's
 * CPU, the bridge's batch sizes; and Kafka must have gained exactly as many records as there were 200s, or the
 * run fails. Results go to bench/results/<time>.{json,md,svg}.
 *
 *   BENCH_SECONDS=10 BENCH_WARMUP_SECONDS=3 BENCH_CONCURRENCY=1,10,50,200 BENCH_RATE=2000
 *   BENCH_TARGETS=bare,afternoon,bridge BENCH_CPU_PROF=1 (the bridge writes a .cpuprofile under bench/results)
 *   BENCH_BASELINE=<git ref> BENCH_TARGETS=bridge-baseline,bridge,bridge-baseline,bridge (before and after)
 *   BENCH_TARGETS=bridge,bridge-tracing (tracing's cost: spans exported to a loopback OTLP sink, counted)
 *
 * Figures depend on the machine; they are printed and written, never asserted. The exit code is non-zero only
 * when Kafka does not hold exactly what was acknowledged.
 */
import '../src/kafka/kafkajs-timer-warning';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import type { Admin } from 'kafkajs';
import { DEFAULT_KAFKA_CLIENT, KAFKA_CLIENTS, topicSettings } from '../src/config';
import { createKafkaClient, createRegistryClient } from '../src/kafka/clients';
import { provideInfra } from '../test/infra/environment';
import { clientConfig, prefixedTopics, stderrLogger } from '../test/support/clients';
import { buildBaseline } from './baseline';
import { difference, scrapeBatches, type BatchHistogram } from './bridge-metrics';
import { distinctEventIds, recordsIn } from './kafka-check';
import { runLoad } from './loadgen/run-load';
import type { LoadSpec } from './loadgen/types';
import { startOtlpSink } from './otlp-sink';
import { localKafkaPid, ProcessWindow } from './process-sampler';
import { summarizeFile } from './profile-summary';
import {
  chart,
  formatRows,
  goalRows,
  loadLabel,
  markdown,
  ratioRows,
  rows,
  type BenchReport,
  type ScenarioResult,
} from './report';
import {
  isBridge,
  startTarget,
  TARGET_LABELS,
  type RunningTarget,
  type TargetContext,
  type TargetName,
} from './targets';

const ROOT = join(__dirname, '..');
const env = process.env;
const SECONDS = Number(env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(env.BENCH_WARMUP_SECONDS ?? 3);
const CONCURRENCY = (env.BENCH_CONCURRENCY ?? '1,10,50,200').split(',').map(Number);
const RATE = Number(env.BENCH_RATE ?? 2000);
/** `bridge` runs the default Kafka client; each other client runs beside it, for the client decision. */
const OTHER_CLIENTS = KAFKA_CLIENTS.filter((client) => client !== DEFAULT_KAFKA_CLIENT).map(
  (client) => `bridge-${client}`,
);
const TARGETS = (
  env.BENCH_TARGETS ?? ['bare', 'afternoon', 'bridge', ...OTHER_CLIENTS, 'bridge-rest'].join(',')
).split(',') as TargetName[];
/** What each target is sent: the SOAP corpus, or for bridge-rest the REST (JSON) one. */
const CORPORA: Record<TargetName, string> = {
  bare: join(ROOT, 'bench/callbacks'),
  afternoon: join(ROOT, 'bench/callbacks'),
  bridge: join(ROOT, 'bench/callbacks'),
  'bridge-rest': join(ROOT, 'bench/callbacks-rest'),
  'bridge-kafkajs': join(ROOT, 'bench/callbacks'),
  'bridge-platformatic': join(ROOT, 'bench/callbacks'),
  'bridge-tracing': join(ROOT, 'bench/callbacks'),
  'bridge-baseline': join(ROOT, 'bench/callbacks'),
};
const PARTITIONS = 6;
/** 11 messages × 600 serials: 6,600 distinct devices, each request its own RequestId. */
const DEVICES_PER_MESSAGE = 600;
const USERNAME = 'bench-user';
const PASSWORD = 'bench-password-not-secret';

const say = (line: string) => process.stderr.write(`bench: ${line}\n`);

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** One load generator run against `target`, with the server, the broker and Kafka watched around it. */
async function scenario(
  target: RunningTarget,
  load: ScenarioResult['load'],
  admin: Admin,
  topics: string[],
  brokerPid: number | undefined,
): Promise<ScenarioResult> {
  const spec: LoadSpec = {
    port: target.port,
    corpusDir: CORPORA[target.name],
    username: USERNAME,
    password: PASSWORD,
    devicesPerMessage: DEVICES_PER_MESSAGE,
    warmupSeconds: WARMUP_SECONDS,
    seconds: SECONDS,
    maxConnections: 1000,
    ...load,
  };
  const recordsBefore = topics.length === 0 ? 0 : await recordsIn(admin, topics);
  const server = new ProcessWindow(target.child.pid);
  const broker = new ProcessWindow(brokerPid);
  const bridge = isBridge(target.name);
  let batchesAtStart: Promise<BatchHistogram> | undefined;
  let batchesAtEnd: Promise<BatchHistogram> | undefined;
  let serverUsage: ScenarioResult['server'] = { cpuPercent: null, peakRssMiB: null };
  let brokerUsage: ScenarioResult['broker'] = { cpuPercent: null, peakRssMiB: null };

  const result = await runLoad(ROOT, spec, (phase) => {
    if (phase === 'measuring') {
      server.open();
      broker.open();
      if (bridge) batchesAtStart = scrapeBatches(target.port);
    } else {
      serverUsage = server.close();
      brokerUsage = broker.close();
      if (bridge) batchesAtEnd = scrapeBatches(target.port);
    }
  });
  const batches =
    batchesAtStart && batchesAtEnd ? difference(await batchesAtEnd, await batchesAtStart) : undefined;
  const kafka =
    topics.length === 0
      ? null
      : { acknowledged: result.okTotal, records: (await recordsIn(admin, topics)) - recordsBefore };
  return {
    target: target.name,
    load,
    result,
    server: serverUsage,
    broker: brokerUsage,
    kafka,
    ...(batches ? { batches } : {}),
  };
}

/** Per corpus: `soap 1979, rest 640`. */
function meanBodyBytes(scenarios: readonly ScenarioResult[]): string {
  const byCorpus = new Map<string, number>();
  for (const s of scenarios) {
    byCorpus.set(s.target === 'bridge-rest' ? 'rest' : 'soap', Math.round(s.result.meanBodyBytes));
  }
  return [...byCorpus].map(([corpus, bytes]) => `${corpus} ${bytes}`).join(', ');
}

/** The profile the bridge wrote on exit during this run. */
function newestProfile(dir: string, since: Date): string | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).mtime >= since);
  return files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const baseline = env.BENCH_BASELINE ? buildBaseline(ROOT, env.BENCH_BASELINE) : undefined;
  const infra = await provideInfra();
  const brokers = infra.kafkaBrokers.split(',');
  const brokerPid = localKafkaPid(infra.source);
  const config = clientConfig({ brokers, registryUrl: infra.schemaRegistryUrl });
  const kafka = createKafkaClient(config.kafka, { logger: stderrLogger(), clientId: 'bench' });
  const registry = createRegistryClient(config.schemaRegistry);
  const admin = kafka.admin();
  await admin.connect();

  const prefix = `bench-${startedAt.getTime()}`;
  const otlpSink = TARGETS.includes('bridge-tracing') ? await startOtlpSink() : undefined;
  const ctx: TargetContext = {
    root: ROOT,
    dir: mkdtempSync(join(tmpdir(), 'bench-')),
    brokers,
    registryUrl: infra.schemaRegistryUrl,
    username: USERNAME,
    password: PASSWORD,
    topics: {
      bridge: topicSettings(prefixedTopics(prefix)),
      afternoon: `${prefix}.afternoon`,
    },
    partitions: PARTITIONS,
    ...(baseline ? { baselineRoot: baseline.root } : {}),
    ...(env.BENCH_CPU_PROF ? { bridgeProfileDir: join(ROOT, 'bench/results/profiles') } : {}),
    ...(otlpSink ? { otlpEndpoint: otlpSink.endpoint } : {}),
  };
  await admin.createTopics({
    topics: [{ topic: ctx.topics.afternoon, numPartitions: PARTITIONS, replicationFactor: 1 }],
  });
  const topicsOf: Record<TargetName, string[]> = {
    bare: [],
    afternoon: [ctx.topics.afternoon],
    bridge: Object.values(ctx.topics.bridge),
    'bridge-rest': Object.values(ctx.topics.bridge),
    'bridge-kafkajs': Object.values(ctx.topics.bridge),
    'bridge-platformatic': Object.values(ctx.topics.bridge),
    'bridge-tracing': Object.values(ctx.topics.bridge),
    'bridge-baseline': Object.values(ctx.topics.bridge),
  };
  const loads: ScenarioResult['load'][] = [
    ...CONCURRENCY.map((concurrency) => ({ concurrency })),
    ...(RATE > 0 ? [{ rate: RATE }] : []),
  ];

  // Every target runs from the start, and each load goes to every target in turn before the next load: the
  // machine's speed drifts over minutes, and two targets measured a load apart see the same machine, where a
  // target measured after another's five loads did not (bench/README.md, issue 17's gains).
  const measured: { target: number; load: number; result: ScenarioResult }[] = [];
  const running: RunningTarget[] = [];
  let bridgeEvents: BenchReport['bridgeEvents'];
  try {
    for (const name of TARGETS) {
      say(`starting ${TARGET_LABELS[name]}`);
      running.push(await startTarget(name, ctx));
    }
    for (const [l, load] of loads.entries()) {
      for (const [t, target] of running.entries()) {
        say(`${target.name}: ${loadLabel(load)}, ${WARMUP_SECONDS} s warm-up + ${SECONDS} s`);
        const s = await scenario(target, load, admin, topicsOf[target.name], brokerPid);
        measured.push({ target: t, load: l, result: s });
        say(
          `  ${Math.round(s.result.okPerSecond)} ack/s, p99 ${s.result.latencyMs.p99?.toFixed(1) ?? 'n/a'} ms`,
        );
      }
    }
    for (const target of running.splice(0)) {
      const code = await target.stop();
      if (code !== 0) say(`${target.name} exited with ${code}; its log: ${target.logFile}`);
    }
    if (otlpSink) {
      // Stopped, the bridge has flushed its last spans: one callback span and five step spans per 200 answered.
      const { requests, spans, bytes } = otlpSink.received();
      say(`OTLP sink: ${spans} spans in ${requests} exports, ${(bytes / 2 ** 20).toFixed(1)} MiB`);
    }
    if (TARGETS.some(isBridge)) {
      const records = await recordsIn(admin, topicsOf.bridge);
      say(`reading the bridge's ${records} records back to count distinct eventIds`);
      bridgeEvents = {
        records,
        distinctEventIds: await distinctEventIds(kafka, registry, topicsOf.bridge, records),
      };
    }
  } finally {
    await Promise.all(running.map((target) => target.stop()));
    const existing = new Set(await admin.listTopics());
    const created = [...topicsOf.afternoon, ...topicsOf.bridge].filter((t) => existing.has(t));
    await admin.deleteTopics({ topics: created }).catch(() => undefined);
    await admin.disconnect();
    await otlpSink?.close();
    await infra.stop();
    baseline?.remove();
  }

  // Reported target by target, each one's loads in order, as the targets were listed.
  const scenarios = measured
    .sort((a, b) => a.target - b.target || a.load - b.load)
    .map(({ result }) => result);
  const profileFile = ctx.bridgeProfileDir ? newestProfile(ctx.bridgeProfileDir, startedAt) : undefined;
  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
    environment: {
      node: process.version,
      cpus: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown'}`,
      memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
      kafka: `${infra.kafkaBrokers} (${infra.source})`,
      commit: commit(),
      ...(baseline ? { baseline: baseline.commit } : {}),
    },
    settings: {
      'warm-up s': WARMUP_SECONDS,
      'measured s': SECONDS,
      partitions: PARTITIONS,
      'mean body bytes': meanBodyBytes(scenarios),
      'distinct requests in the pool': scenarios[0]?.result.distinctRequests ?? 0,
    },
    scenarios,
    ...(bridgeEvents ? { bridgeEvents } : {}),
    ...(profileFile
      ? { profile: { file: relative(ROOT, profileFile), summary: summarizeFile(profileFile) } }
      : {}),
  };

  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const stem = report.startedAt.replace(/[:.]/g, '-');
  writeFileSync(join(dir, `${stem}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, `${stem}.svg`), chart(report));
  writeFileSync(join(dir, `${stem}.md`), markdown(report, `${stem}.svg`));

  console.table(rows(report));
  console.table(ratioRows(report));
  console.table(goalRows(report));
  console.table(formatRows(report));
  if (bridgeEvents)
    say(`bridge: ${bridgeEvents.records} records, ${bridgeEvents.distinctEventIds} distinct eventIds`);
  say(`results: ${relative(process.cwd(), join(dir, stem))}.{json,md,svg}`);

  const lost = scenarios.filter((s) => s.kafka !== null && s.kafka.records !== s.kafka.acknowledged);
  if (lost.length > 0) {
    say(`Kafka does not hold what was acknowledged in ${lost.length} scenario(s): this run is not a result`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  say(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
