/**
 * What the dedupe tests share: records with eventIds sent to an input topic (kafkajs, idempotent, in order per
 * key), the `.deduped` output read back read_committed, and its accounting against what was sent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Consumer, FetchIsolationLevels } from '@platformatic/kafka';
import type { Kafka, Producer } from 'kafkajs';
import { uniqueName } from '../../infra/kafka';

/** A record sent: `seq` counts a key's records, so per-key order shows in what comes out. */
export interface Sent {
  eventId: string;
  key: string;
  seq: number;
}

export interface Emitted extends Sent {
  partition: number;
}

/** Fresh and repeated records over `devices` keys; a repeat re-sends an earlier eventId under its key, later. */
export class Records {
  private readonly sequences = new Map<string, number>();
  readonly distinct: Sent[] = [];
  duplicates = 0;

  constructor(private readonly devices: number) {}

  fresh(n: number): Sent[] {
    return Array.from({ length: n }, () => {
      const key = `device-${this.distinct.length % this.devices}`;
      const sent = { eventId: randomUUID(), key, seq: this.next(key) };
      this.distinct.push(sent);
      return sent;
    });
  }

  repeats(of: readonly Sent[]): Sent[] {
    this.duplicates += of.length;
    return of.map(({ eventId, key }) => ({ eventId, key, seq: this.next(key) }));
  }

  private next(key: string): number {
    const seq = this.sequences.get(key) ?? 0;
    this.sequences.set(key, seq + 1);
    return seq;
  }
}

/**
 * Rounds of load: each round `perRound` fresh records, with repeats of a fifth of the round three rounds back and
 * of five of its own, handed to `send` (which may retry a round: the repeats it makes are dropped as well).
 */
export class RoundLoad {
  rounds = 0;
  private readonly history: Sent[][] = [];

  constructor(
    readonly records: Records,
    private readonly send: (records: readonly Sent[]) => Promise<void>,
    private readonly perRound = 50,
  ) {}

  async round(): Promise<void> {
    const { records, perRound } = this;
    const fresh = records.fresh(perRound);
    const old = this.history.at(-3)?.slice(0, perRound / 5) ?? [];
    await this.send([...records.repeats(old), ...fresh, ...records.repeats(fresh.slice(0, 5))]);
    this.history.push(fresh);
    this.rounds++;
  }
}

/** Sends records in order per key (an idempotent producer, one request in flight). */
export async function produce(producer: Producer, topic: string, records: readonly Sent[]): Promise<void> {
  await producer.send({
    topic,
    messages: records.map(({ eventId, key, seq }) => ({
      key,
      value: JSON.stringify({ eventId, seq }),
      headers: { 'event-id': eventId },
    })),
  });
}

export async function orderedProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return producer;
}

/**
 * Reads `topic` from its start, read_committed (unless `readUncommitted`: aborted records too), until `count`
 * records came (or `timeoutMs` passed), then `settleMs` more, so that an extra record shows.
 */
export async function readDeduped(
  kafka: Kafka,
  topic: string,
  count: number,
  { timeoutMs = 60_000, settleMs = 1_000, readUncommitted = false } = {},
): Promise<Emitted[]> {
  const seen: Emitted[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('dedupe-read'), readUncommitted });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let enough = () => undefined as void;
    const reached = new Promise<void>((resolve) => (enough = resolve));
    await consumer.run({
      eachMessage: ({ message, partition }) => {
        const { eventId, seq } = JSON.parse(message.value!.toString()) as Sent;
        seen.push({ eventId, seq, key: message.key!.toString(), partition });
        if (seen.length >= count) enough();
        return Promise.resolve();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([reached, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    await new Promise((resolve) => setTimeout(resolve, settleMs));
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

export interface Accounting {
  emitted: number;
  missing: number;
  extra: number;
  outOfOrder: number;
}

/**
 * One line of a fault test's counts (issue 19): produced (distinct + repeats), duplicates injected, then what came
 * out (emitted, missing, extra, out of order) and what else the test measured.
 */
export function printCounts(
  what: string,
  records: Records,
  counts: Accounting,
  extra: Record<string, unknown> = {},
): void {
  const produced = records.distinct.length + records.duplicates;
  const line = { produced, duplicatesInjected: records.duplicates, ...counts, ...extra };
  process.stdout.write(`${what}: ${JSON.stringify(line)}\n`);
}

/** What came out against the distinct records sent: each once, and a key's in the order they were sent. */
export function account(emitted: readonly Emitted[], distinct: readonly Sent[]): Accounting {
  const counts = new Map<string, number>();
  for (const { eventId } of emitted) counts.set(eventId, (counts.get(eventId) ?? 0) + 1);
  const missing = distinct.filter(({ eventId }) => !counts.has(eventId)).length;
  const extra = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
  const lastSeq = new Map<string, number>();
  const outOfOrder = emitted.filter(({ key, seq }) => {
    const before = lastSeq.get(key) ?? -1;
    lastSeq.set(key, seq);
    return seq < before;
  }).length;
  return { emitted: emitted.length, missing, extra, outOfOrder };
}

/**
 * Records of `topic` written by transactions still open (its high watermark minus its last stable offset, over
 * its partitions): non-zero right after a SIGKILL that came between a batch's write and its commit.
 */
export async function openTransactionRecords(brokers: readonly string[], topic: string): Promise<bigint> {
  const consumer = new Consumer({
    clientId: 'dedupe-test-offsets',
    bootstrapBrokers: [...brokers],
    groupId: uniqueName('dedupe-offsets'),
  });
  try {
    const [high, stable] = await Promise.all(
      [FetchIsolationLevels.READ_UNCOMMITTED, FetchIsolationLevels.READ_COMMITTED].map((isolationLevel) =>
        consumer.listOffsets({ topics: [topic], isolationLevel }),
      ),
    );
    const ends = high!.get(topic)!;
    return ends.reduce((sum, end, partition) => sum + end - stable!.get(topic)![partition]!, 0n);
  } finally {
    await consumer.close(true);
  }
}

const root = join(__dirname, '../../..');

export interface DedupeNode {
  child: ChildProcess;
  /** Every log line so far. */
  lines: Record<string, unknown>[];
  /** Resolves with the next log line whose `msg` is `msg`. */
  next(msg: string): Promise<Record<string, unknown>>;
}

/**
 * Starts `thingspace-bridge dedupe --config <file>` as a child process, its log lines on stdout; `env` adds to
 * the test's environment (KAFKA_BROKERS there names the shared broker, and overrides the file's).
 */
export function dedupeNode(configFile: string, env: NodeJS.ProcessEnv = {}): DedupeNode {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'dedupe', '--config', configFile],
    { cwd: root, env: { ...process.env, BRIDGE_CONFIG: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // The end of its stderr (a failed start says why there), for the error when it exits unexpectedly.
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
  const lines: Record<string, unknown>[] = [];
  const waiting = new Map<string, (line: Record<string, unknown>) => void>();
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    lines.push(line);
    if (typeof line.msg !== 'string') return;
    waiting.get(line.msg)?.(line);
    waiting.delete(line.msg);
  });
  return {
    child,
    lines,
    next: (msg) =>
      new Promise((resolve, reject) => {
        waiting.set(msg, resolve);
        child.once('exit', (code) => {
          const last = lines.filter(({ level }) => level === 'error' || level === 'fatal').at(-1);
          const why = `${JSON.stringify(last ?? {})} ${stderr}`;
          reject(new Error(`dedupe exited with ${code} before "${msg}": ${why}`));
        });
      }),
  };
}
