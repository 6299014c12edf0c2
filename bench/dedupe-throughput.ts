/**
 * The dedupe service's throughput (issue 19: at least 20,000 events/s with transactions): an input topic is
 * preloaded with records carrying `event-id` headers, a share of them repeats of earlier ids under the same key,
 * then the service (runDedupe, in this process) reads it to its end. Measured from the hand-over of its first
 * batch to the commit of the batch holding the last input record, so the group join and the (empty) state
 * rebuild before it are left out; the counts must say every record was consumed and every distinct id emitted.
 *
 * In-process rather than the CLI as a child: while it runs this process does nothing else (the preload is done
 * before), and the service's per-batch hook gives every batch's size and duration, which say where a shortfall
 * comes from; the CPU figure is this process's, which is then the service's.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { parseDedupeConfig } from '../src/config';
import { RECORD_HEADERS } from '../src/events/encode';
import { runDedupe } from '../src/dedupe/run';
import type { BatchSummary } from '../src/dedupe/service';
import { stderrLogger } from '../test/support/clients';
import { ProcessWindow } from './process-sampler';

export type StoreKind = 'memory' | 'disk';

export interface Preload {
  topic: string;
  records: number;
  duplicates: number;
  distinct: number;
  seconds: number;
}

/**
 * `records` records over `devices` keys into `topic`: each either a new eventId or, with probability
 * `duplicateShare`, a repeat of one of the last 10,000 ids sent, under its key, later (as a re-sent callback).
 */
export async function preload(
  kafka: Kafka,
  topic: string,
  { records, duplicateShare, valueBytes, devices }: PreloadOptions,
): Promise<Preload> {
  const started = performance.now();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const recent: { eventId: string; key: string }[] = [];
  const value = Buffer.alloc(valueBytes, 'x');
  let duplicates = 0;
  try {
    for (let sent = 0; sent < records;) {
      const messages = [];
      for (const end = Math.min(records, sent + CHUNK); sent < end; sent++) {
        let record: { eventId: string; key: string };
        if (recent.length > 0 && Math.random() < duplicateShare) {
          record = recent[Math.floor(Math.random() * recent.length)]!;
          duplicates++;
        } else {
          record = { eventId: randomUUID(), key: `device-${sent % devices}` };
          if (recent.length < RECENT) recent.push(record);
          else recent[sent % RECENT] = record;
        }
        messages.push({ key: record.key, value, headers: { [RECORD_HEADERS.eventId]: record.eventId } });
      }
      await producer.send({ topic, messages });
    }
  } finally {
    await producer.disconnect();
  }
  return {
    topic,
    records,
    duplicates,
    distinct: records - duplicates,
    seconds: (performance.now() - started) / 1000,
  };
}

export interface PreloadOptions {
  records: number;
  duplicateShare: number;
  valueBytes: number;
  devices: number;
}

const CHUNK = 5_000;
const RECENT = 10_000;

export interface ThroughputRun {
  store: StoreKind;
  /** Records per second from the first batch's hand-over to the last record's commit. */
  perSecond: number;
  /** The same without the time spent rebuilding partitions' states (restores) inside the measured time. */
  perSecondWithoutRestores: number;
  seconds: number;
  /** State rebuilds (one per partition met), and the seconds they took. */
  restores: number;
  restoreSeconds: number;
  /** From the service's start to its first batch: the group join and the state rebuild. */
  startSeconds: number;
  consumed: number;
  emitted: number;
  duplicates: number;
  batches: number;
  meanBatch: number;
  batchMsP50: number;
  batchMsP99: number;
  /** This process's CPU (the service's) and the broker's, in % of one core, over the measured seconds. */
  cpuPercent: number | null;
  brokerCpuPercent: number | null;
}

export interface ThroughputOptions {
  kafka: { brokers: string[]; topics: Record<string, string> };
  groupId: string;
  store: StoreKind;
  /** `dedupe` settings beyond the defaults (batchSize, lingerMs). */
  dedupe: Record<string, unknown>;
  brokerPid: number | undefined;
  /** Gives up (and fails) after this long without reaching the end of the input. */
  timeoutMs: number;
}

/** One dedupe node, a group of its own, from the start of the preloaded input to its end. */
export async function throughputRun(input: Preload, options: ThroughputOptions): Promise<ThroughputRun> {
  const stateDir = options.store === 'disk' ? mkdtempSync(join(tmpdir(), 'bench-dedupe-state-')) : undefined;
  const { config } = parseDedupeConfig(
    {
      kafka: { ...options.kafka, createTopics: true },
      dedupe: {
        ...options.dedupe,
        groupId: options.groupId,
        instanceId: 'bench',
        ...(stateDir ? { stateDir } : {}),
      },
    },
    {},
  );
  const controller = new AbortController();
  const self = new ProcessWindow(process.pid);
  const broker = new ProcessWindow(options.brokerPid);
  const batches: BatchSummary[] = [];
  const batchEnds: number[] = [];
  const restores: number[] = [];
  let consumed = 0;
  let reached = () => undefined as void;
  const end = new Promise<void>((resolve) => (reached = resolve));
  const started = performance.now();
  const running = runDedupe(config, stderrLogger('error'), controller.signal, {
    onRestored: ({ durationMs }) => restores.push(durationMs),
    onBatch: (summary) => {
      if (batches.length === 0) {
        self.open();
        broker.open();
      }
      batches.push(summary);
      batchEnds.push(performance.now());
      consumed += summary.consumed;
      if (consumed >= input.records) reached();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race([
      end.then(() => 'end' as const),
      running.then(() => 'stopped' as const),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, options.timeoutMs, 'timeout'))),
    ]);
    if (outcome !== 'end') {
      throw new Error(`${options.store}: ${outcome} after ${consumed} of ${input.records} records`);
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
    await running;
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  }
  const selfUsage = self.close();
  const brokerUsage = broker.close();
  const firstStart = batchEnds[0]! - batches[0]!.durationMs;
  const seconds = (batchEnds.at(-1)! - firstStart) / 1000;
  // A partition's state is rebuilt before its first batch (docs/dedupe.md): inside the measured time from the
  // second partition on, a start-up cost the rate without restores leaves out.
  const restoreSeconds = restores.reduce((total, ms) => total + ms, 0) / 1000;
  const durations = batches.map((b) => b.durationMs).sort((a, b) => a - b);
  const sum = (pick: (b: BatchSummary) => number) => batches.reduce((total, b) => total + pick(b), 0);
  return {
    store: options.store,
    perSecond: consumed / seconds,
    perSecondWithoutRestores: consumed / (seconds - restoreSeconds),
    seconds,
    restores: restores.length,
    restoreSeconds,
    startSeconds: (firstStart - started) / 1000,
    consumed,
    emitted: sum((b) => b.emitted),
    duplicates: sum((b) => b.duplicates),
    batches: batches.length,
    meanBatch: consumed / batches.length,
    batchMsP50: percentile(durations, 0.5),
    batchMsP99: percentile(durations, 0.99),
    cpuPercent: selfUsage.cpuPercent,
    brokerCpuPercent: brokerUsage.cpuPercent,
  };
}

export const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
