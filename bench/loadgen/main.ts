/**
 * The load generator, a process of its own so it never shares the measured server's event loop. It drives one
 * scenario and reports on stdout, one JSON object per line:
 *
 *   {"type":"phase","phase":"measuring"}   warm-up is over: the orchestrator samples the server from here
 *   {"type":"phase","phase":"draining"}    sending stopped; answers to requests already sent still count
 *   {"type":"result", ...LoadResult}
 *
 * Closed loop (`concurrency`): N clients, each with its own keep-alive connection, send the next request when the
 * previous one is answered. Open loop (`rate`): requests are due at a fixed rate whatever the server does; each
 * goes out on an idle connection (opening one, up to `maxConnections`), or waits for one, and its latency counts
 * from when it was due, so a server falling behind shows in the latencies (no coordinated omission).
 *
 * Every request sent gets its answer or an error before the result is written: the orchestrator compares the 200s
 * with what Kafka holds, so nothing may be left in flight.
 */
import { Connection, ConnectionError } from './connection';
import { RequestPool } from './requests';
import type { LoadResult, LoadSpec } from './types';

type Phase = 'warm-up' | 'measuring' | 'draining';

/** Latencies in a growing array. */
class Samples {
  private values = new Float64Array(1 << 16);
  private count = 0;

  add(ms: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = ms;
  }

  sorted(): Float64Array {
    return this.values.slice(0, this.count).sort();
  }
}

/** The value at quantile `p` of sorted samples; null when there are none. */
function at(sorted: Float64Array, p: number): number | null {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

class Recorder {
  phase: Phase = 'warm-up';
  private readonly latencies = new Samples();
  private readonly answerLatencies = new Samples();
  retryAfter503 = 0;
  /** Every 503 of the run by its Retry-After (`none` without one): the bridge's sheds carry their own value. */
  readonly retryAfters503: Record<string, number> = {};
  readonly statuses: Record<string, number> = {};
  readonly statusesMeasured: Record<string, number> = {};
  ok = 0;
  sent = 0;
  sentMeasured = 0;

  sending(): Phase {
    this.sent++;
    if (this.phase === 'measuring') this.sentMeasured++;
    return this.phase;
  }

  /**
   * `sentIn`: the phase the request was sent in; only requests sent and answered while measuring are measured.
   * `retryAfter`: the answer's Retry-After, if any.
   */
  answered(sentIn: Phase, outcome: number | string, ms: number, retryAfter?: number): void {
    const key = String(outcome);
    this.statuses[key] = (this.statuses[key] ?? 0) + 1;
    if (outcome === 200) this.ok++;
    if (outcome === 503) {
      const value = String(retryAfter ?? 'none');
      this.retryAfters503[value] = (this.retryAfters503[value] ?? 0) + 1;
    }
    if (sentIn !== 'measuring' || this.phase !== 'measuring') return;
    this.statusesMeasured[key] = (this.statusesMeasured[key] ?? 0) + 1;
    if (typeof outcome === 'number') this.answerLatencies.add(ms);
    if (outcome === 503 && retryAfter !== undefined) this.retryAfter503++;
    if (outcome === 200) this.latencies.add(ms);
  }

  latenciesMs(): Float64Array {
    return this.latencies.sorted();
  }

  answerLatenciesMs(): Float64Array {
    return this.answerLatencies.sorted();
  }
}

const outcomeOf = (err: unknown) => (err instanceof ConnectionError ? err.code : 'ERROR');
const emit = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function closedLoop(spec: LoadSpec, pool: RequestPool, recorder: Recorder): Promise<void> {
  const client = async () => {
    let connection: Connection | undefined;
    while (recorder.phase !== 'draining') {
      try {
        connection ??= await Connection.open(spec.port);
      } catch (err) {
        recorder.answered(recorder.sending(), outcomeOf(err), 0);
        await sleep(10);
        continue;
      }
      const sentIn = recorder.sending();
      const started = performance.now();
      const outcome = await connection.request(pool.take(), spec.timeoutMs).catch(outcomeOf);
      const retryAfter = outcome === 200 ? undefined : connection.retryAfter;
      recorder.answered(sentIn, outcome, performance.now() - started, retryAfter);
      if (!connection.usable) connection = undefined;
      if (spec.honorRetryAfter && outcome === 503 && retryAfter !== undefined) await sleep(retryAfter * 1000);
    }
    connection?.close();
  };
  await Promise.all(Array.from({ length: spec.concurrency! }, client));
}

async function openLoop(spec: LoadSpec, pool: RequestPool, recorder: Recorder): Promise<void> {
  const rate = spec.rate!;
  const idle: Connection[] = [];
  const waiting: number[] = []; // due times of requests waiting for a connection
  let open = 0;
  let inFlight = 0;
  let due = 0;
  const start = performance.now();
  let allAnswered: () => void = () => undefined;

  const send = (connection: Connection, dueAt: number) => {
    const sentIn = recorder.sending();
    inFlight++;
    void connection
      .request(pool.take())
      .catch(outcomeOf)
      .then((outcome) => {
        recorder.answered(sentIn, outcome, performance.now() - dueAt);
        inFlight--;
        if (connection.usable) release(connection);
        else open--;
        if (recorder.phase === 'draining' && inFlight === 0 && waiting.length === 0) allAnswered();
      });
  };
  const release = (connection: Connection) => {
    const dueAt = waiting.shift();
    if (dueAt === undefined) idle.push(connection);
    else send(connection, dueAt);
  };
  const dispatch = (dueAt: number) => {
    const connection = idle.pop();
    if (connection !== undefined) return send(connection, dueAt);
    waiting.push(dueAt);
    if (open >= spec.maxConnections) return;
    open++;
    Connection.open(spec.port).then(release, (err: unknown) => {
      open--;
      const dueAt = waiting.shift();
      if (dueAt !== undefined) recorder.answered(recorder.sending(), outcomeOf(err), 0);
    });
  };

  // Timers fire at best every millisecond; each tick sends every request that fell due since the last one.
  const ticker = setInterval(() => {
    if (recorder.phase === 'draining') return;
    const now = performance.now();
    for (; start + (due * 1000) / rate <= now; due++) dispatch(start + (due * 1000) / rate);
  }, 1);
  await new Promise<void>((resolve) => {
    allAnswered = resolve;
    const check = setInterval(() => {
      if (recorder.phase !== 'draining') return;
      clearInterval(ticker);
      clearInterval(check);
      // Requests still waiting for a connection were never sent: they are not the server's to answer.
      if (waiting.length > 0) recorder.statuses.unsent = waiting.length;
      waiting.length = 0;
      if (inFlight === 0) resolve();
    }, 5);
  });
  for (const connection of idle) connection.close();
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;
  const pool = new RequestPool(spec);
  const recorder = new Recorder();
  const running = spec.rate !== undefined ? openLoop(spec, pool, recorder) : closedLoop(spec, pool, recorder);

  await sleep(spec.warmupSeconds * 1000);
  recorder.phase = 'measuring';
  emit({ type: 'phase', phase: 'measuring' });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await sleep(spec.seconds * 1000);
  recorder.phase = 'draining';
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  emit({ type: 'phase', phase: 'draining' });
  await running;

  const latencies = recorder.latenciesMs();
  const answers = recorder.answerLatenciesMs();
  const result: LoadResult = {
    seconds,
    sentMeasured: recorder.sentMeasured,
    okMeasured: latencies.length,
    okPerSecond: latencies.length / seconds,
    latencyMs: {
      p50: at(latencies, 0.5),
      p90: at(latencies, 0.9),
      p99: at(latencies, 0.99),
      max: latencies.at(-1) ?? null,
    },
    answerLatencyMs: { p50: at(answers, 0.5), p99: at(answers, 0.99), max: answers.at(-1) ?? null },
    retryAfter503Measured: recorder.retryAfter503,
    retryAfters503: recorder.retryAfters503,
    statusesMeasured: recorder.statusesMeasured,
    statuses: recorder.statuses,
    okTotal: recorder.ok,
    sentTotal: recorder.sent,
    cpuPercent: (cpu.user + cpu.system) / 1e4 / seconds,
    meanBodyBytes: pool.meanBodyBytes(),
    distinctRequests: pool.entries.length,
  };
  emit({ type: 'result', ...result });
}

main().catch((err: unknown) => {
  process.stderr.write(`loadgen: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
