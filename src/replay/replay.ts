/**
 * `replay`: the bodies stored in the archive or the dead-letter topic within a time window, through the current
 * parser and mapping (remap.ts), into the category topics with their eventIds and the replay headers.
 *
 * A dry run publishes nothing: it reads the category topics over the window widened by ORIGINALS_MARGIN_MS,
 * indexes the events there by eventId (the last one read wins: a device's records share a partition, so that
 * is the latest), and reports per replayed body whether its new record differs from what was published.
 */
import type { Kafka } from 'kafkajs';
import type { ReplaySource } from '../events/archive';
import type { EncodedRecord } from '../events/encode';
import type { Delivery } from '../kafka/delivery';
import { findService, type ServiceName } from '../thingspace/catalogue';
import { diffValues, type EventDiff } from './diff';
import { archivedInput, deadLetterInput, UnreadableRecordError, type ReplayInput } from './inputs';
import { readWindow, type TimeWindow, type WindowRecord } from './read-window';
import type { Remapper } from './remap';

/**
 * How far around the window a dry run looks for the originals: an archive record goes in the batch of its event,
 * so they carry about the same timestamp; a dead letter's replay finds nothing to compare with anyway.
 */
export const ORIGINALS_MARGIN_MS = 10 * 60_000;

export interface ReplayPlan {
  from: ReplaySource;
  window: TimeWindow;
  /** Only this service's callbacks (canonical name); all when absent. */
  service?: ServiceName;
  dryRun: boolean;
}

export interface ReplayDeps {
  kafka: Kafka;
  /** The topic `from` names: the archive's or the dead letters'. */
  sourceTopic: string;
  /** The category topics: where replayed events go, and where a dry run finds the originals. */
  categoryTopics: readonly string[];
  remap: Remapper;
  /** Decodes a Confluent wire-format value with the registry (dead letters, a dry run's events). */
  decode: (value: Buffer) => Promise<unknown>;
  /** Where replayed records go; not used by a dry run. */
  delivery: Pick<Delivery, 'deliver'>;
  /** Each body's outcome, as it is known. */
  onReport?: (report: ReplayReport) => void;
}

export type ReplayOutcome =
  /** Published (not a dry run). */
  | 'replayed'
  /** Dry run: the new record is byte-identical to the original. */
  | 'unchanged'
  | 'changed'
  /** Dry run: no event with this id in the category topics (a dead letter, or one outside the margin). */
  | 'not-found'
  /** The current mapping cannot take it either: not published. */
  | 'unmappable'
  /** Not a record the bridge writes to the source topic. */
  | 'unreadable';

export interface ReplayReport {
  outcome: ReplayOutcome;
  /** Undefined for an unreadable record. */
  eventId?: string;
  service?: string;
  /** Where the record sits in the source topic. */
  source: string;
  /** changed: what differs in the decoded event. */
  diff?: EventDiff;
  /** unmappable, unreadable: why. */
  reason?: string;
}

export type ReplaySummary = Record<ReplayOutcome, number> & {
  /** Read from the source within the window, of any service. */
  read: number;
};

interface Original {
  topic: string;
  key: string;
  value: Buffer;
}

export async function replay(plan: ReplayPlan, deps: ReplayDeps): Promise<ReplaySummary> {
  const summary: ReplaySummary = {
    read: 0,
    replayed: 0,
    unchanged: 0,
    changed: 0,
    'not-found': 0,
    unmappable: 0,
    unreadable: 0,
  };
  const report = (entry: ReplayReport) => {
    summary[entry.outcome]++;
    deps.onReport?.(entry);
  };
  const originals = plan.dryRun ? await indexOriginals(deps, plan.window) : undefined;

  summary.read = await readWindow(deps.kafka, [deps.sourceTopic], plan.window, {
    onRecords: async (records) => {
      const inputs = await Promise.all(records.map((record) => inputOf(plan.from, record, deps, report)));
      const wanted = inputs.filter(
        (input): input is Located => input !== undefined && inScope(input.input, plan.service),
      );
      const remapped = await Promise.all(
        wanted.map(async (input) => ({ ...input, result: await deps.remap(input.input) })),
      );
      const mapped: { located: Located; record: EncodedRecord }[] = [];
      for (const { result, ...located } of remapped) {
        if (result.ok) mapped.push({ located, record: result.record });
        else report({ ...describe(located), outcome: 'unmappable', reason: reasonText(result.reason) });
      }
      if (originals) {
        for (const { located, record } of mapped) report(await compare(located, record, originals, deps));
      } else {
        // Together, so they share batches; in source order within a partition, as delivery keeps it.
        await Promise.all(mapped.map(({ record }) => deps.delivery.deliver(record)));
        for (const { located } of mapped) report({ ...describe(located), outcome: 'replayed' });
      }
    },
  });
  return summary;
}

interface Located {
  input: ReplayInput;
  source: string;
}

const describe = ({ input, source }: Located) => ({ eventId: input.eventId, service: input.service, source });

/**
 * The body to replay, or undefined when the record is unreadable (then reported). A registry that cannot decode
 * a dead letter fails the replay: it says nothing about the record.
 */
async function inputOf(
  from: ReplaySource,
  { topic, partition, offset, message }: WindowRecord,
  deps: Pick<ReplayDeps, 'decode'>,
  report: (entry: ReplayReport) => void,
): Promise<Located | undefined> {
  const source = `${topic}/${partition}@${offset}`;
  const letter =
    from === 'dead-letter' && message.value !== null ? await deps.decode(message.value) : undefined;
  try {
    const input =
      from === 'archive' ? archivedInput(message.value, message.headers) : deadLetterInput(letter ?? {});
    return { input, source };
  } catch (err) {
    if (!(err instanceof UnreadableRecordError)) throw err;
    report({ outcome: 'unreadable', source, reason: err.message });
    return undefined;
  }
}

function inScope(input: ReplayInput, service: ServiceName | undefined): boolean {
  return service === undefined || findService(input.service)?.name === service;
}

async function indexOriginals(
  deps: Pick<ReplayDeps, 'kafka' | 'categoryTopics' | 'decode'>,
  { since, until }: TimeWindow,
): Promise<Map<string, Original>> {
  const originals = new Map<string, Original>();
  const widened = { since: since - ORIGINALS_MARGIN_MS, until: until + ORIGINALS_MARGIN_MS };
  await readWindow(deps.kafka, deps.categoryTopics, widened, {
    onRecords: async (records) => {
      for (const { topic, message } of records) {
        if (message.value === null) continue;
        const decoded = (await deps.decode(message.value)) as { eventId?: unknown };
        if (typeof decoded.eventId !== 'string') continue;
        originals.set(decoded.eventId, {
          topic,
          key: message.key?.toString('utf8') ?? '',
          value: message.value,
        });
      }
    },
  });
  return originals;
}

async function compare(
  located: Located,
  record: EncodedRecord,
  originals: ReadonlyMap<string, Original>,
  deps: Pick<ReplayDeps, 'decode'>,
): Promise<ReplayReport> {
  const original = originals.get(located.input.eventId);
  if (original === undefined) return { ...describe(located), outcome: 'not-found' };
  if (original.topic === record.topic && original.key === record.key && original.value.equals(record.value)) {
    return { ...describe(located), outcome: 'unchanged' };
  }
  const diff = diffValues(
    { topic: original.topic, key: original.key, value: await deps.decode(original.value) },
    { topic: record.topic, key: record.key, value: await deps.decode(record.value) },
  );
  return { ...describe(located), outcome: 'changed', diff };
}

function reasonText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
