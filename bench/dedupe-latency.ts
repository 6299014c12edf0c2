/**
 * The dedupe service's end-to-end delay (issue 19: p99 at most 500 ms at 1,000 events/s): the bridge's
 * production build (bench/targets.ts) is sent SOAP callbacks at a fixed rate, open loop, a share of them re-sent
 * (the same bytes, so the same eventId); `thingspace-bridge dedupe` runs as a child process, as deployed; a
 * read_committed consumer in this process reads the `.deduped` topics. A delay is the time the deduped record was
 * seen minus the time the bridge acknowledged its callback (the first 200 of that eventId: the answer's
 * X-Event-Id header), joined by eventId, both on this process's clock.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Consumer, FetchIsolationLevels } from '@platformatic/kafka';
import { EVENT_ID_HEADER } from '../src/http/receipts';
import { dedupedTopic } from '../src/dedupe/topics';
import { eventIdOf } from '../src/dedupe/decide';
import { RequestPool } from './loadgen/requests';
import { percentile, type StoreKind } from './dedupe-throughput';

export interface LatencyOptions {
  root: string;
  dir: string;
  brokers: string[];
  /** The bridge's category topics (the dedupe service's inputs). */
  inputs: string[];
  topics: Record<string, string>;
  /** The dedupe node's group (its changelog topics start with it). */
  groupId: string;
  bridgePort: number;
  corpusDir: string;
  username: string;
  password: string;
  rate: number;
  warmupSeconds: number;
  seconds: number;
  resendShare: number;
  store: StoreKind;
  dedupe: Record<string, unknown>;
  /** How long to wait after the last callback for the deduped records still missing. */
  drainMs: number;
}

export interface LatencyResult {
  store: StoreKind;
  sent: number;
  resent: number;
  acknowledged: number;
  failed: number;
  /** Distinct eventIds acknowledged, and of those the ones inside the measured window. */
  distinct: number;
  measured: number;
  /** Acknowledged ids never seen in `.deduped`; ids seen more than once there. */
  missing: number;
  extra: number;
  delayMs: { p50: number; p95: number; p99: number; max: number };
  /** The offered rate actually sent over the measured window. */
  sentPerSecond: number;
  /** p99 of each 10 s of acknowledgements from the first, warm-up included: a start-up stall shows here. */
  sliceP99Ms: (number | null)[];
}

const SLICE_MS = 10_000;

export async function latencyRun(options: LatencyOptions): Promise<LatencyResult> {
  const stateDir = options.store === 'disk' ? mkdtempSync(join(tmpdir(), 'bench-dedupe-state-')) : undefined;
  const node = await startDedupeNode(options, stateDir);
  const seen = new Map<string, { at: number; count: number }>();
  const reader = await readDeduped(options, seen);
  try {
    const sent = await send(options);
    const deadline = performance.now() + options.drainMs;
    while (performance.now() < deadline && [...sent.acks.keys()].some((id) => !seen.has(id))) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const measuredFrom = sent.startedAt + options.warmupSeconds * 1000;
    const delays: number[] = [];
    const slices: number[][] = [];
    let missing = 0;
    for (const [eventId, ackAt] of sent.acks) {
      const at = seen.get(eventId)?.at;
      if (at === undefined) {
        missing++;
        continue;
      }
      if (ackAt >= measuredFrom) delays.push(at - ackAt);
      (slices[Math.floor((ackAt - sent.startedAt) / SLICE_MS)] ??= []).push(at - ackAt);
    }
    delays.sort((a, b) => a - b);
    return {
      store: options.store,
      sent: sent.sent,
      resent: sent.resent,
      acknowledged: sent.acknowledged,
      failed: sent.failed,
      distinct: sent.acks.size,
      measured: delays.length,
      missing,
      extra: [...seen.values()].reduce((sum, { count }) => sum + count - 1, 0),
      delayMs: {
        p50: percentile(delays, 0.5),
        p95: percentile(delays, 0.95),
        p99: percentile(delays, 0.99),
        max: delays.at(-1)!,
      },
      sentPerSecond: sent.measuredSent / options.seconds,
      sliceP99Ms: [...slices].map((slice) =>
        slice
          ? percentile(
              slice.sort((a, b) => a - b),
              0.99,
            )
          : null,
      ),
    };
  } finally {
    await reader.close();
    await node.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  }
}

interface Sent {
  /** eventId -> when its first 200 came (performance.now()). */
  acks: Map<string, number>;
  startedAt: number;
  sent: number;
  measuredSent: number;
  resent: number;
  acknowledged: number;
  failed: number;
}

/**
 * Open loop: `rate` callbacks a second whatever the answers, for warm-up plus measured seconds, then waits for
 * every answer. A re-send repeats one of the last 1,000 callbacks' bytes.
 */
async function send(options: LatencyOptions): Promise<Sent> {
  const pool = new RequestPool({
    corpusDir: options.corpusDir,
    port: options.bridgePort,
    username: options.username,
    password: options.password,
    devicesPerMessage: 600,
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const recent: Buffer[] = [];
  const result: Sent = {
    acks: new Map(),
    startedAt: performance.now(),
    sent: 0,
    measuredSent: 0,
    resent: 0,
    acknowledged: 0,
    failed: 0,
  };
  const inFlight = new Set<Promise<void>>();
  let fresh = 0;
  const total = options.rate * (options.warmupSeconds + options.seconds);
  const measuredFrom = result.startedAt + options.warmupSeconds * 1000;
  while (result.sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - result.startedAt) / 1000) * options.rate));
    for (; result.sent < due; result.sent++) {
      let bytes: Buffer;
      if (recent.length > 0 && Math.random() < options.resendShare) {
        bytes = recent[Math.floor(Math.random() * recent.length)]!;
        result.resent++;
      } else {
        bytes = Buffer.from(pool.take());
        if (recent.length < RECENT) recent.push(bytes);
        else recent[fresh % RECENT] = bytes;
        fresh++;
      }
      if (performance.now() >= measuredFrom) result.measuredSent++;
      const answered = post(agent, options.bridgePort, bytes).then(
        ({ status, eventId }) => {
          if (status !== 200 || eventId === undefined) {
            result.failed++;
            return;
          }
          result.acknowledged++;
          if (!result.acks.has(eventId)) result.acks.set(eventId, performance.now());
        },
        () => void result.failed++,
      );
      inFlight.add(answered);
      void answered.finally(() => inFlight.delete(answered));
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.all(inFlight);
  agent.destroy();
  return result;
}

const RECENT = 1_000;

/** One pooled request (head and body in one buffer) through node:http; resolves with the answer's status. */
function post(agent: Agent, port: number, bytes: Buffer): Promise<{ status: number; eventId?: string }> {
  const headEnd = bytes.indexOf('\r\n\r\n');
  const head = bytes.subarray(0, headEnd).toString('latin1').split('\r\n');
  const path = head[0]!.split(' ')[1]!;
  const contentType = head
    .find((line) => line.toLowerCase().startsWith('content-type:'))!
    .slice(13)
    .trim();
  const body = bytes.subarray(headEnd + 4);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        headers: { 'content-type': contentType, 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const eventId = res.headers[EVENT_ID_HEADER.toLowerCase()];
          resolve({ status: res.statusCode!, ...(typeof eventId === 'string' ? { eventId } : {}) });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The `.deduped` topics read from their start, read_committed; each eventId's first sighting and count. */
async function readDeduped(
  options: LatencyOptions,
  seen: Map<string, { at: number; count: number }>,
): Promise<{ close(): Promise<void> }> {
  const consumer = new Consumer({
    clientId: 'bench-dedupe-reader',
    bootstrapBrokers: options.brokers,
    groupId: `bench-dedupe-reader-${Date.now()}`,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    // The broker answers a fetch as soon as a committed record is there; this bounds an empty one.
    maxWaitTime: 100,
  });
  const joined = new Promise<void>((resolve) => consumer.once('consumer:group:join', () => resolve()));
  const stream = await consumer.consume({
    topics: options.inputs.map(dedupedTopic),
    mode: 'earliest',
  });
  stream.on('data', (message) => {
    const eventId = eventIdOf(message.headers);
    if (eventId === undefined) return;
    const entry = seen.get(eventId);
    if (entry) entry.count++;
    else seen.set(eventId, { at: performance.now(), count: 1 });
  });
  await joined;
  return {
    close: async () => {
      await stream.close();
      await consumer.close(true);
    },
  };
}

/** `thingspace-bridge dedupe` (dist/) as a child process, until /readyz says ready. */
async function startDedupeNode(
  options: LatencyOptions,
  stateDir: string | undefined,
): Promise<{ stop(): Promise<void> }> {
  const config = join(options.dir, `dedupe-${options.store}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      kafka: { brokers: options.brokers, topics: options.topics, createTopics: true },
      log: { level: 'info' },
      dedupe: {
        ...options.dedupe,
        groupId: options.groupId,
        instanceId: 'bench',
        port: 0,
        host: '127.0.0.1',
        ...(stateDir ? { stateDir } : {}),
      },
    }),
  );
  const logFile = join(options.dir, `dedupe-${options.store}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(
    process.execPath,
    [join(options.root, 'dist/cli/main.js'), 'dedupe', '--config', config],
    {
      cwd: options.root,
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
  child.stderr.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      log.write(`${line}\n`);
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg?.startsWith('dedupe port listening') && entry.port) resolve(entry.port);
      } catch {
        // not a JSON line
      }
    });
    void exited.then((code) => reject(new Error(`dedupe exited with ${code}; see ${logFile}`)));
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(killer);
  };
  for (const started = Date.now(); ;) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || Date.now() - started > 120_000) {
      await stop();
      throw new Error(`dedupe not ready; see ${logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { stop };
}
