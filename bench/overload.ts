/**
 * `npm run bench:overload`: one bridge node (production build) against a real Kafka broker and schema registry
 * (as `npm run bench`), first at its capacity (50 closed-loop clients), then at about ten times that: 2,000
 * closed-loop clients for 60 s, while /healthz is probed every 100 ms on a new connection each time, as a
 * Kubernetes liveness probe does: on the main port, and on the health port too when the config sets one
 * (`BENCH_OVERLOAD_HTTP='{"healthPort":0}'`). Reports acknowledged/s, 503s (and how many carried Retry-After), the other
 * statuses, client timeouts and resets, latency of all answers, the probe's latency, the shed counter, and
 * whether Kafka holds every 200 (the exit code says so; a request the client gave up on may be there too).
 * Figures are printed, never written to the repo.
 *
 *   BENCH_OVERLOAD_CLIENTS=2000 BENCH_OVERLOAD_SECONDS=60 BENCH_CAPACITY_SECONDS=15 BENCH_WARMUP_SECONDS=3
 *   BENCH_OVERLOAD_TIMEOUT_MS=30000          a client gives a request up after this (and its connection)
 *   BENCH_OVERLOAD_RETRY=immediate|honor     after a 503: send the next at once, or wait its Retry-After
 *   BENCH_OVERLOAD_HTTP='{"admission":{"maxInFlight":128}}'   more of the bridge's `http` config
 */
import '../src/kafka/kafkajs-timer-warning';
import { mkdtempSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topicSettings } from '../src/config';
import { createKafkaClient } from '../src/kafka/clients';
import { provideInfra } from '../test/infra/environment';
import { clientConfig, prefixedTopics, stderrLogger } from '../test/support/clients';
import { recordsIn } from './kafka-check';
import { runLoad } from './loadgen/run-load';
import type { LoadResult, LoadSpec } from './loadgen/types';
import { ProcessWindow } from './process-sampler';
import { startTarget, type RunningTarget, type TargetContext } from './targets';

const ROOT = join(__dirname, '..');
const env = process.env;
const CLIENTS = Number(env.BENCH_OVERLOAD_CLIENTS ?? 2000);
const SECONDS = Number(env.BENCH_OVERLOAD_SECONDS ?? 60);
const CAPACITY_SECONDS = Number(env.BENCH_CAPACITY_SECONDS ?? 15);
const WARMUP_SECONDS = Number(env.BENCH_WARMUP_SECONDS ?? 3);
const TIMEOUT_MS = Number(env.BENCH_OVERLOAD_TIMEOUT_MS ?? 30_000);
const HONOR_RETRY_AFTER = (env.BENCH_OVERLOAD_RETRY ?? 'immediate') === 'honor';
const BRIDGE_HTTP = JSON.parse(env.BENCH_OVERLOAD_HTTP ?? '{}') as Record<string, unknown>;
const CAPACITY_CLIENTS = 50;
const PROBE_EVERY_MS = 100;
const PARTITIONS = 6;
const USERNAME = 'bench-user';
const PASSWORD = 'bench-password-not-secret';
/** The goals under 10x overload. */
const GOALS = { answerP99Ms: 1000, healthzMaxMs: 100 };

const say = (line: string) => process.stderr.write(`bench:overload: ${line}\n`);

interface Probes {
  latenciesMs: number[];
  failures: Record<string, number>;
}

/** GET /healthz every PROBE_EVERY_MS on a new connection, until stopped; resolves once every probe is answered. */
function probeHealth(port: number): { stop: () => Promise<Probes> } {
  const probes: Probes = { latenciesMs: [], failures: {} };
  const pending = new Set<Promise<void>>();
  const fail = (why: string) => (probes.failures[why] = (probes.failures[why] ?? 0) + 1);
  const probe = () => {
    const started = performance.now();
    const done = new Promise<void>((resolve) => {
      const req = get(
        { host: '127.0.0.1', port, path: '/healthz', agent: false, timeout: TIMEOUT_MS },
        (res) => {
          res.resume();
          res.once('end', () => {
            if (res.statusCode === 200) probes.latenciesMs.push(performance.now() - started);
            else fail(String(res.statusCode));
            resolve();
          });
        },
      );
      req.once('timeout', () => req.destroy(new Error('TIMEOUT')));
      req.once('error', (err: NodeJS.ErrnoException) => {
        fail(err.code ?? err.message);
        resolve();
      });
    });
    pending.add(done);
    void done.then(() => pending.delete(done));
  };
  const timer = setInterval(probe, PROBE_EVERY_MS);
  return {
    stop: async () => {
      clearInterval(timer);
      await Promise.all(pending);
      return probes;
    },
  };
}

async function shedCount(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let shed = 0;
  for (const match of text.matchAll(/^thingspace_bridge_requests_shed_total\{[^}]*\} (\d+)/gm)) {
    shed += Number(match[1]);
  }
  return shed;
}

/** Where /healthz is probed: the main port, and the health port if there is one. */
interface ProbeTarget {
  label: string;
  port: number;
}

interface Run {
  result: LoadResult;
  cpuPercent: number | null;
  probes: { target: ProbeTarget; probes: Probes }[];
  kafka: { acknowledged: number; records: number };
}

async function load(
  target: RunningTarget,
  clients: number,
  seconds: number,
  count: () => Promise<number>,
  probeTargets: ProbeTarget[],
): Promise<Run> {
  const spec: LoadSpec = {
    port: target.port,
    corpusDir: join(ROOT, 'bench/callbacks'),
    username: USERNAME,
    password: PASSWORD,
    devicesPerMessage: 600,
    warmupSeconds: WARMUP_SECONDS,
    seconds,
    maxConnections: clients,
    concurrency: clients,
    timeoutMs: TIMEOUT_MS,
    honorRetryAfter: HONOR_RETRY_AFTER,
  };
  const before = await count();
  const server = new ProcessWindow(target.child.pid);
  let cpuPercent: number | null = null;
  let probers: ReturnType<typeof probeHealth>[] = [];
  let probes: Promise<Probes[]> = Promise.resolve([]);
  const result = await runLoad(ROOT, spec, (phase) => {
    if (phase === 'measuring') {
      server.open();
      probers = probeTargets.map((t) => probeHealth(t.port));
    } else {
      cpuPercent = server.close().cpuPercent;
      probes = Promise.all(probers.map((prober) => prober.stop()));
    }
  });
  return {
    result,
    cpuPercent,
    probes: (await probes).map((p, i) => ({ target: probeTargets[i]!, probes: p })),
    kafka: { acknowledged: result.okTotal, records: (await count()) - before },
  };
}

/** The Retry-After of the bridge's shed answers, as configured for this run. */
const SHED_RETRY_AFTER = String(
  (BRIDGE_HTTP.admission as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds ?? 1,
);

/**
 * Requests whose event the bridge may have published without a 200 reaching the client: those the client gave up
 * on or lost the connection of, and 503s other than sheds (a delivery deadline can pass while Kafka still takes
 * the record; the caller's retry then publishes it again under the same eventId). A shed is never published.
 */
function unanswered(result: LoadResult): number {
  const gaveUp = Object.entries(result.statuses)
    .filter(([status]) => !/^\d+$/.test(status))
    .reduce((sum, [, n]) => sum + n, 0);
  const other503s = Object.entries(result.retryAfters503)
    .filter(([retryAfter]) => retryAfter !== SHED_RETRY_AFTER)
    .reduce((sum, [, n]) => sum + n, 0);
  return gaveUp + other503s;
}

/** Every 200 is in Kafka, and nothing is there that was not sent: 200s <= records <= 200s + unanswered. */
function kafkaHolds(run: Run): boolean {
  const { records, acknowledged } = run.kafka;
  return records >= acknowledged && records <= acknowledged + unanswered(run.result);
}

const ms = (n: number | null | undefined) => (n === null || n === undefined ? 'n/a' : n.toFixed(1));

function quantile(sorted: number[], p: number): number | null {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function row(label: string, run: Run): Record<string, string> {
  const r = run.result;
  const other = Object.entries(r.statusesMeasured)
    .filter(([status]) => status !== '200' && status !== '503')
    .map(([status, n]) => `${n}×${status}`)
    .join(' ');
  return {
    load: label,
    'ack/s': String(Math.round(r.okPerSecond)),
    '503s': `${r.statusesMeasured['503'] ?? 0} (${r.retryAfter503Measured} with Retry-After)`,
    '503s of the run by Retry-After': Object.entries(r.retryAfters503)
      .map(([retryAfter, n]) => `${n}×${retryAfter}`)
      .join(' '),
    'other answers and errors': other === '' ? '0' : other,
    'p50 / p99 / max ms (all answers)': `${ms(r.answerLatencyMs.p50)} / ${ms(r.answerLatencyMs.p99)} / ${ms(r.answerLatencyMs.max)}`,
    'p99 ms (200s)': ms(r.latencyMs.p99),
    'bridge CPU %': ms(run.cpuPercent),
    'Kafka: records / 200s (+ unanswered, other 503s)': `${kafkaHolds(run) ? '✓' : '✗'} ${run.kafka.records} / ${run.kafka.acknowledged} (+${unanswered(r)})`,
  };
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const infra = await provideInfra();
  const brokers = infra.kafkaBrokers.split(',');
  const config = clientConfig({ brokers, registryUrl: infra.schemaRegistryUrl });
  const admin = createKafkaClient(config.kafka, { logger: stderrLogger(), clientId: 'bench' }).admin();
  await admin.connect();
  const prefix = `bench-overload-${startedAt}`;
  const ctx: TargetContext = {
    root: ROOT,
    dir: mkdtempSync(join(tmpdir(), 'bench-overload-')),
    brokers,
    registryUrl: infra.schemaRegistryUrl,
    username: USERNAME,
    password: PASSWORD,
    topics: { bridge: topicSettings(prefixedTopics(prefix)), afternoon: `${prefix}.afternoon` },
    partitions: PARTITIONS,
    bridgeHttp: BRIDGE_HTTP,
  };
  const topics = Object.values(ctx.topics.bridge);
  const count = () => recordsIn(admin, topics);
  let capacity: Run | undefined;
  let overload: Run | undefined;
  let shed: number | undefined;
  try {
    say(`starting the bridge, http ${JSON.stringify(BRIDGE_HTTP)}`);
    const target = await startTarget('bridge', ctx);
    try {
      say(`capacity: ${CAPACITY_CLIENTS} clients, ${WARMUP_SECONDS} s warm-up + ${CAPACITY_SECONDS} s`);
      capacity = await load(target, CAPACITY_CLIENTS, CAPACITY_SECONDS, count, []);
      const shedBefore = await shedCount(target.port);
      say(
        `overload: ${CLIENTS} clients (${HONOR_RETRY_AFTER ? 'waiting Retry-After' : 'resending at once'} after a 503), ${WARMUP_SECONDS} s warm-up + ${SECONDS} s`,
      );
      const probeTargets = [{ label: 'main port', port: target.port }];
      if (target.healthPort !== undefined)
        probeTargets.push({ label: 'health port', port: target.healthPort });
      overload = await load(target, CLIENTS, SECONDS, count, probeTargets);
      shed = (await shedCount(target.port)) - shedBefore;
    } finally {
      const code = await target.stop();
      if (code !== 0) say(`the bridge exited with ${code}; its log: ${target.logFile}`);
    }
  } finally {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    await infra.stop();
  }

  console.table([row(`${CAPACITY_CLIENTS} clients`, capacity), row(`${CLIENTS} clients`, overload)]);
  let healthzMaxMs: number | null = null;
  for (const { target, probes } of overload.probes) {
    const sorted = [...probes.latenciesMs].sort((x, y) => x - y);
    const failures = Object.entries(probes.failures).map(([why, n]) => `${n}×${why}`);
    const max = failures.length > 0 ? Infinity : (sorted.at(-1) ?? null);
    healthzMaxMs = max; // the last probed: the health port when there is one
    say(
      `/healthz on the ${target.label} every ${PROBE_EVERY_MS} ms: ${sorted.length} answered, p50 ${ms(quantile(sorted, 0.5))} ms, p99 ${ms(quantile(sorted, 0.99))} ms, max ${ms(sorted.at(-1))} ms` +
        (failures.length > 0 ? `; failed: ${failures.join(' ')}` : ''),
    );
  }
  say(`shed by the bridge (thingspace_bridge_requests_shed_total) during the overload: ${shed}`);
  const answerP99 = overload.result.answerLatencyMs.p99;
  const ofCapacity = overload.result.okPerSecond / capacity.result.okPerSecond;
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
  say(
    `goal p99 of all answers <= ${GOALS.answerP99Ms} ms: ${ms(answerP99)} ms, ${verdict(answerP99 !== null && answerP99 <= GOALS.answerP99Ms)}`,
  );
  say(
    `goal /healthz < ${GOALS.healthzMaxMs} ms (${overload.probes.at(-1)!.target.label}): max ${ms(healthzMaxMs)} ms, ${verdict(healthzMaxMs !== null && healthzMaxMs < GOALS.healthzMaxMs)}`,
  );
  say(
    `throughput under overload: ${(ofCapacity * 100).toFixed(0)} % of the ${CAPACITY_CLIENTS}-client capacity`,
  );

  if (![capacity, overload].every(kafkaHolds)) {
    say('Kafka does not hold every 200, or holds more than was sent: this run is not a result');
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  say(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
