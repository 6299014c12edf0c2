/**
 * What the dedupe tests share: a file's admin, producer and topics, services or nodes started on them, records
 * with eventIds sent to an input topic (kafkajs, idempotent, in order per key), the `.deduped` output read back
 * read_committed, and its accounting against what was sent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Consumer, FetchIsolationLevels } from '@platformatic/kafka';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { topicSettings } from '../../../src/config';
import { MemorySeenStore } from '../../../src/dedupe/memory-store';
import { DedupeService, type DedupeServiceOptions } from '../../../src/dedupe/service';
import {
  changelogTopic,
  dedupedTopic,
  dedupeTopics,
  ensureDedupeTopics,
  type DedupeTopics,
} from '../../../src/dedupe/topics';
import type { PlatformaticConnection } from '../../../src/kafka/clients';
import { deleteLeavingForAudit } from '../../infra/deduped-audit';
import { uniqueName } from '../../infra/kafka';
import { prefixedTopics, stderrLogger } from '../../support/clients';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The window the tests' services keep ids for (the default's 35 days). */
export const WINDOW_MS = 35 * DAY_MS;

/** A test file's clients on the shared broker, and the topics its tests made. */
export interface DedupeSuite {
  readonly admin: Admin;
  readonly producer: Producer;
  /** Deleted after the file's tests, left for the audit of `*.deduped` topics. */
  readonly topics: string[];
}

/**
 * Registers the hooks of a test file on the shared broker: its admin and ordered producer connected before its
 * tests; after them, the producer disconnected and the file's topics deleted (left for the audit).
 */
export function dedupeSuite(kafka: Kafka): DedupeSuite {
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  const topics: string[] = [];
  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    producer = await orderedProducer(kafka);
  });
  afterAll(async () => {
    await producer?.disconnect();
    if (!admin) return;
    await deleteLeavingForAudit(admin, topics);
    await admin.disconnect();
  });
  return {
    get admin() {
      return admin!;
    },
    get producer() {
      return producer!;
    },
    topics,
  };
}

/**
 * `input` created with `partitions` partitions, and its dedupe topics for `groupId` ensured as a service does
 * (unless `ensure` is false: the test ensures them itself); all of them deleted after the file's tests.
 */
export async function inputStreams(
  suite: DedupeSuite,
  connection: PlatformaticConnection,
  {
    input,
    groupId,
    partitions,
    ensure = true,
  }: { input: string; groupId: string; partitions: number; ensure?: boolean },
): Promise<DedupeTopics[]> {
  const streams = dedupeTopics([input], groupId);
  suite.topics.push(input, ...streams.flatMap(({ output, changelog }) => [output, changelog]));
  await suite.admin.createTopics({
    topics: [{ topic: input, numPartitions: partitions }],
    waitForLeaders: true,
  });
  if (ensure) await ensureDedupeTopics(connection, streams, { windowMs: WINDOW_MS, create: true });
  return streams;
}

/** What a test gives a service: its group and topics, and whatever it sets beyond the tests' defaults. */
export type ServiceOptions = Pick<DedupeServiceOptions, 'groupId' | 'streams'> &
  Partial<DedupeServiceOptions>;

export interface StartedService {
  /** Aborts the service and resolves once it ended. */
  stop(): Promise<void>;
}

/**
 * Starts DedupeServices in-process on `connection` (state in memory, small batches, unless the options say
 * otherwise), instance `instance` of its group; each is aborted after the test that started it, also one that
 * failed or timed out (else jest never exits).
 */
export function serviceStarter(
  connection: PlatformaticConnection,
): (options: ServiceOptions, instance?: number) => StartedService {
  const started: AbortController[] = [];
  afterEach(() => {
    for (const controller of started.splice(0)) controller.abort();
  });
  return (options, instance = 0) => {
    const controller = new AbortController();
    started.push(controller);
    const running = new DedupeService({
      connection,
      transactionalId: `${options.groupId}-${instance}`,
      windowMs: WINDOW_MS,
      batchSize: 50,
      lingerMs: 20,
      expiryIntervalMs: 60_000,
      createStore: () => new MemorySeenStore(),
      logger: stderrLogger(),
      ...options,
    }).run(controller.signal);
    return { stop: () => (controller.abort(), running) };
  };
}

/** The bridge's three callback topics under a fresh `prefix`, as a node's config names them. */
export interface NodeTopics {
  streams: ReturnType<typeof prefixedTopics>;
  /** The topic the tests send to (asyncResponses). */
  input: string;
  categories: string[];
}

export function nodeTopics(prefix: string): NodeTopics {
  const streams = prefixedTopics(uniqueName(prefix));
  const categories = [streams['async-response'], streams['external-change'], streams['device-originated']];
  return { streams, input: streams['async-response'], categories };
}

/** Creates the three callback topics, `partitions` partitions each. */
export async function createNodeTopics(
  admin: Admin,
  { categories }: NodeTopics,
  partitions: number,
): Promise<void> {
  await admin.createTopics({
    topics: categories.map((topic) => ({ topic, numPartitions: partitions })),
    waitForLeaders: true,
  });
}

/** The topics a node of `groupId` reads and writes on `topics`: its inputs, their outputs and changelogs. */
export const nodeTopicNames = ({ categories }: NodeTopics, groupId: string): string[] => [
  ...categories,
  ...categories.flatMap((topic) => [dedupedTopic(topic), changelogTopic(groupId, topic)]),
];

/**
 * Writes a node's config file into `dir`: its brokers, topics (created when missing) and `dedupe` section,
 * and `log` if given. Returns the file's path.
 */
export function nodeConfigFile(
  dir: string,
  config: {
    brokers: readonly string[];
    topics: NodeTopics;
    dedupe: Record<string, unknown>;
    log?: Record<string, unknown>;
  },
): string {
  const file = join(dir, 'dedupe.json');
  const { brokers, topics, dedupe, log } = config;
  writeFileSync(
    file,
    JSON.stringify({
      kafka: { brokers, createTopics: true, topics: topicSettings(topics.streams) },
      ...(log ? { log } : {}),
      dedupe,
    }),
  );
  return file;
}

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

/** Resolves with the node's exit code once it exited (at once if it has). */
export const exited = (node: DedupeNode) =>
  new Promise<number | null>((resolve) =>
    node.child.exitCode !== null ? resolve(node.child.exitCode) : node.child.once('exit', resolve),
  );
