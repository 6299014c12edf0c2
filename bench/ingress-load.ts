/**
 * Ingress load: callbacks acknowledged per second, and their latency, with N concurrent clients on keep-alive
 * connections, against a real broker and schema registry. The bridge runs as operators run it, `serve` in a
 * child process (log level info), so the load generator does not share its event loop. The callbacks are every
 * fixture in turn (src/simulator/templates.ts: fresh RequestIds, varied device identifiers, so every one is a
 * distinct event); afterwards the records in Kafka are counted and must equal the 200s.
 *
 *   npm run bench:ingress             (BENCH_SECONDS=15 BENCH_CLIENTS=50 BENCH_WARMUP_SECONDS=2)
 *
 * Kafka and the registry come from test/infra/environment.ts: KAFKA_BROKERS + SCHEMA_REGISTRY_URL, Docker, or
 * the local stack (started, or reused when running). Figures depend on the machine and are printed, never
 * asserted; the exit code is non-zero only when Kafka does not hold exactly what was acknowledged.
 */
import '../src/kafka/kafkajs-timer-warning';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import { loadTemplates, renderCallback } from '../src/simulator/templates';
import { Secret } from '../src/util/secret';
import { provideInfra } from '../test/infra/environment';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const PARTITIONS = 6;
const USERNAME = 'bench-user';
const PASSWORD = new Secret('bench-password-not-secret');
const ROOT = join(__dirname, '..');

interface Sample {
  /** `measured`: sent and answered while measuring; the others count for Kafka only. */
  phase: 'warm-up' | 'measured' | 'trailing';
  status: number | string;
  ms: number;
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const round = (n: number) => Number(n.toFixed(1));

function post(agent: Agent, port: number, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'text/xml; charset=utf-8', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `serve` as a child process; resolves with its main port once it logged `listening`. */
function serve(configFile: string, logFile: string): { child: ChildProcess; port: Promise<number> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--config', configFile],
    {
      cwd: ROOT,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = createWriteStream(logFile);
  child.stderr.pipe(log);
  const port = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      log.write(`${line}\n`);
      try {
        const entry = JSON.parse(line) as { msg?: string; listeners?: { port: number }[] };
        if (entry.msg === 'listening') resolve(entry.listeners![0]!.port);
      } catch {
        // not a log line of ours
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`serve exited with ${code} before listening; see ${logFile}`)),
    );
  });
  return { child, port };
}

async function untilReady(port: number): Promise<void> {
  for (const started = Date.now(); Date.now() - started < 120_000;) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the bridge did not become ready within 120 s');
}

/** User + system CPU seconds of a process, from /proc (Linux); undefined elsewhere. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const infra = await provideInfra();
  const brokers = infra.kafkaBrokers.split(',');
  const kafka = new Kafka({ clientId: 'bench-ingress', brokers, logLevel: logLevel.ERROR });
  const registry = new SchemaRegistry({ host: infra.schemaRegistryUrl });
  const prefix = `bench-ingress-${Date.now()}`;
  const topics = {
    asyncResponses: `${prefix}.async-responses`,
    externalChanges: `${prefix}.external-changes`,
    deviceOriginated: `${prefix}.device-originated`,
    deadLetter: `${prefix}.dead-letter`,
  };
  const dir = mkdtempSync(join(tmpdir(), 'bench-ingress-'));
  const configFile = join(dir, 'bridge.json');
  const logFile = join(dir, 'bridge.log');
  writeFileSync(
    configFile,
    JSON.stringify({
      node: 'bench-ingress',
      http: { port: 0, host: '127.0.0.1' },
      accounts: [
        { name: '0000555123-00001', username: USERNAME, password: PASSWORD.reveal(), services: ['*'] },
      ],
      kafka: {
        brokers,
        topics,
        createTopics: true,
        newTopics: { numPartitions: PARTITIONS, replicationFactor: 1 },
      },
      schemaRegistry: { url: infra.schemaRegistryUrl, registerSchemas: true },
      log: { level: 'info' },
    }),
  );

  const { child, port: listening } = serve(configFile, logFile);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const port = await listening;
    await untilReady(port);

    const templates = loadTemplates();
    const serials = new Map<string, number>();
    let next = 0;
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    const samples: Sample[] = [];
    let phase: 'warm-up' | 'measuring' | 'stopping' = 'warm-up';

    const client = async () => {
      while (phase !== 'stopping') {
        const template = templates[next++ % templates.length]!;
        const serial = (serials.get(template.name) ?? 0) + 1;
        serials.set(template.name, serial);
        const xml = renderCallback(template, {
          username: USERNAME,
          password: PASSWORD,
          requestId: randomUUID(),
          serial,
          callbackCount: 1,
        });
        const sentIn = phase;
        const started = performance.now();
        const status = await post(agent, port, `/callbacks/${template.service}`, xml).catch(
          (err: NodeJS.ErrnoException) => err.code ?? 'error',
        );
        samples.push({
          phase: sentIn === 'warm-up' ? 'warm-up' : phase === 'measuring' ? 'measured' : 'trailing',
          status,
          ms: performance.now() - started,
        });
      }
    };

    const clients = Array.from({ length: CLIENTS }, client);
    await new Promise((r) => setTimeout(r, WARMUP_SECONDS * 1000));
    phase = 'measuring';
    const cpuBefore = cpuSeconds(child.pid!);
    const ownCpuBefore = process.cpuUsage();
    const started = performance.now();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    phase = 'stopping';
    const elapsedSeconds = (performance.now() - started) / 1000;
    const cpuAfter = cpuSeconds(child.pid!);
    const ownCpu = process.cpuUsage(ownCpuBefore);
    await Promise.all(clients);
    agent.destroy();

    const measured = samples.filter((s) => s.phase === 'measured');
    const ok = measured.filter((s) => s.status === 200);
    const okIn = (phase: Sample['phase']) =>
      samples.filter((s) => s.phase === phase && s.status === 200).length;
    const latencies = ok.map((s) => s.ms).sort((a, b) => a - b);
    const byStatus: Record<string, number> = {};
    for (const { status } of samples) byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;

    child.kill('SIGTERM');
    const exitCode = await exited;

    const acknowledged = samples.filter((s) => s.status === 200).length;
    const admin = kafka.admin();
    await admin.connect();
    let inKafka = 0;
    for (const topic of Object.values(topics)) {
      for (const { high, low } of await admin.fetchTopicOffsets(topic)) inKafka += Number(high) - Number(low);
    }
    const eventIds = await distinctEventIds(kafka, registry, Object.values(topics), inKafka);

    process.stdout.write(
      `\ningress load: ${CLIENTS} concurrent keep-alive clients, ${round(elapsedSeconds)} s measured after ` +
        `${WARMUP_SECONDS} s of warm-up; bridge = \`serve\` in a child process (log level info), ` +
        `${PARTITIONS} partitions, ${templates.length} fixtures in turn; node ${process.version}, ` +
        `${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}); Kafka ${infra.kafkaBrokers} (${infra.source})\n`,
    );
    console.table([
      {
        'acknowledged/s': Math.round(ok.length / elapsedSeconds),
        'p50 ms': round(percentile(latencies, 0.5)),
        'p90 ms': round(percentile(latencies, 0.9)),
        'p99 ms': round(percentile(latencies, 0.99)),
        'max ms': round(latencies.at(-1) ?? NaN),
        'bridge CPU %':
          cpuBefore === undefined || cpuAfter === undefined
            ? 'n/a'
            : Math.round(((cpuAfter - cpuBefore) / elapsedSeconds) * 100),
        'load generator CPU %': Math.round(((ownCpu.user + ownCpu.system) / 1e6 / elapsedSeconds) * 100),
      },
    ]);
    process.stdout.write(`answers by status (warm-up included): ${JSON.stringify(byStatus)}\n`);
    process.stdout.write(
      `Kafka: ${inKafka} records; 200s: ${acknowledged} (warm-up ${okIn('warm-up')}, measured ${ok.length}, ` +
        `finishing after ${okIn('trailing')}); distinct eventIds: ${eventIds}; ` +
        `${inKafka === acknowledged && eventIds === inKafka ? 'OK' : 'MISMATCH'}\n`,
    );
    process.stdout.write(`bridge exit code after SIGTERM: ${exitCode}; its log: ${logFile}\n`);
    if (inKafka !== acknowledged || eventIds !== inKafka) process.exitCode = 1;

    const existing = new Set(await admin.listTopics());
    await admin.deleteTopics({ topics: Object.values(topics).filter((t) => existing.has(t)) });
    await admin.disconnect();
    await Promise.all(
      Object.values(topics).map((topic) =>
        fetch(`${infra.schemaRegistryUrl}/subjects/${topic}-value`, { method: 'DELETE' }).catch(
          () => undefined,
        ),
      ),
    );
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await infra.stop();
  }
}

/** Reads every record back and counts distinct eventIds: equal to the record count when nothing is duplicated. */
async function distinctEventIds(
  kafka: Kafka,
  registry: SchemaRegistry,
  topics: string[],
  total: number,
): Promise<number> {
  if (total === 0) return 0;
  const ids = new Set<string>();
  let seen = 0;
  const consumer = kafka.consumer({ groupId: `bench-ingress-read-${randomUUID()}` });
  await consumer.connect();
  const admin = kafka.admin();
  await admin.connect();
  const holding = [];
  for (const topic of topics) {
    const offsets = await admin.fetchTopicOffsets(topic);
    if (offsets.some(({ high, low }) => high !== low)) holding.push(topic);
  }
  await admin.disconnect();
  await consumer.subscribe({ topics: holding, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const event = (await registry.decode(message.value!)) as { eventId: string };
          ids.add(event.eventId);
          if (++seen === total) resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return ids.size;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:ingress: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
