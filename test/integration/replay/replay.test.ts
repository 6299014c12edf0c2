/**
 * The archive and `replay` on the real broker and registry (issue 15, done-when): every hand-written callback of
 * both formats, and one that dead-letters, through a bridge with the archive on; then the window of that traffic
 * replayed from the archive through a changed mapping (DeviceUsage gets a new payload; a device SMS posted to
 * CarrierService, dead-lettered today, maps). The replayed events of the changed service carry the new payload,
 * every other one is byte-identical to its original; all carry the replay headers and their original eventIds.
 * A dry run publishes nothing and tells the same story; the dead-letter topic replays as well.
 */
import { Writable } from 'node:stream';
import { ARCHIVE_HEADERS, REPLAY_HEADERS, type ReplaySource } from '../../../src/events/archive';
import { payloadOf, type CallbackEvent, type GenericElement } from '../../../src/events/types';
import { createLogger } from '../../../src/observability';
import type { ReplayPlan, ReplayReport, ReplaySummary } from '../../../src/replay/replay';
import { runReplay } from '../../../src/replay/run';
import { MAPPING_VERSION } from '../../../src/thingspace/mapping-version';
import { normalize } from '../../../src/thingspace/normalize';
import type { TopicRecord } from '../../infra/kafka';
import { expectedOf, FIXTURE_SETS, fixtureSource } from '../../support/fixtures';
import { send } from '../../support/http';
import {
  closedPort,
  expectNoPassword,
  fixtureXml,
  IngressHarness,
  report,
  type RunningBridge,
} from '../ingress/harness';

const CHANGED_SERVICE = 'DeviceUsage';
const FIXTURES = Object.values(FIXTURE_SETS).flatMap((set) =>
  set.names.map((name) => {
    const { context, event } = expectedOf(set, name);
    return { set, name, service: context.service, changes: changes(event) };
  }),
);
const CHANGED = FIXTURES.filter(({ changes }) => changes).length;

/** Whether the changed mapping below changes this event: its generically mapped DeviceUsage payloads. */
function changes(event: Pick<CallbackEvent, 'service' | 'payloadType'>): boolean {
  return event.service === CHANGED_SERVICE && event.payloadType === 'GenericElement';
}

/** The "improved" mapping: a new payload for one service, and a route for what is dead-lettered today. */
const changedMapping: typeof normalize = (parsed, context, options) => {
  if (parsed.root === 'SmsCallbackRequest' && context.service === 'CarrierService') {
    return normalize(parsed, { ...context, service: 'EnhancedConnectivityService' }, options);
  }
  const normalized = normalize(parsed, context, options);
  const { event } = normalized;
  if (!changes(event)) return normalized;
  const generic = Object.values(event.payload!)[0] as GenericElement;
  return {
    ...normalized,
    event: {
      ...event,
      payload: payloadOf('GenericElement', { ...generic, element: `${generic.element}V2` }),
    },
  };
};

const harness = new IngressHarness();
let running: RunningBridge;
let window: ReplayPlan['window'];
let categoryTopics: string[];
/** What the bridge wrote: the category topics, the dead letters, the archive. */
let events: TopicRecord[];
let deadLetters: TopicRecord[];
let archived: TopicRecord[];

const logger = createLogger({ level: 'warn' }, new Writable({ write: (_chunk, _encoding, done) => done() }));

async function replayed(
  from: ReplaySource,
  more: Partial<ReplayPlan> & { mapping?: typeof normalize } = {},
): Promise<{ summary: ReplaySummary; reports: ReplayReport[] }> {
  const reports: ReplayReport[] = [];
  const { mapping = changedMapping, ...plan } = more;
  const summary = await runReplay({
    plan: { from, window, dryRun: false, ...plan },
    config: running.config,
    logger,
    normalize: mapping,
    onReport: (entry) => reports.push(entry),
  });
  return { summary, reports };
}

const decode = (value: Buffer | null) => harness.servers.registry.decode(value!) as Promise<CallbackEvent>;
const recordKey = ({ topic, partition, offset }: TopicRecord) => `${topic}/${partition}@${offset}`;

/** The records of the category topics written since `before` was read. */
async function writtenSince(before: readonly TopicRecord[]): Promise<TopicRecord[]> {
  const seen = new Set(before.map(recordKey));
  return (await harness.readAll(categoryTopics)).filter((record) => !seen.has(recordKey(record)));
}

beforeAll(async () => {
  running = await harness.startBridge({ archive: true, allowEmptyCredentials: ['AlertService'] });
  categoryTopics = [
    running.topics['async-response'],
    running.topics['external-change'],
    running.topics['device-originated'],
  ];
  const since = Date.now();
  const statuses: number[] = [];
  for (const { set, name, service } of FIXTURES) {
    const { status } = await send(running.port, `/callbacks/${service}`, {
      headers: { 'content-type': set.contentType },
      body: fixtureSource(set, name),
    });
    statuses.push(status);
  }
  // Authenticated, but no CarrierService message: dead-lettered under the current mapping.
  const sms = await send(running.port, '/callbacks/CarrierService', {
    headers: { 'content-type': 'text/xml; charset=utf-8' },
    body: fixtureXml('enhanced-connectivity-device-sms'),
  });
  statuses.push(sms.status);
  window = { since, until: Date.now() + 1 };
  expect(statuses).toEqual(statuses.map(() => 200));
  events = await harness.readAll(categoryTopics);
  deadLetters = await harness.readAll([running.topics['dead-letter']]);
  archived = await harness.readAll([running.archiveTopic]);
  report('archive', {
    sent: statuses.length,
    events: events.length,
    deadLetters: deadLetters.length,
    archived: archived.length,
  });
});

afterAll(() => harness.cleanup());

describe('the archive', () => {
  it('holds every accepted callback once, keyed and partitioned like its event or dead letter', async () => {
    expect(events).toHaveLength(FIXTURES.length);
    expect(deadLetters).toHaveLength(1);
    expect(archived).toHaveLength(FIXTURES.length + 1);
    const delivered = [...events, ...deadLetters];
    for (const record of archived) {
      const eventId = record.headers[ARCHIVE_HEADERS.eventId]!.toString();
      const matches = await Promise.all(
        delivered.map(async (other) => ((await decode(other.value)).eventId === eventId ? other : undefined)),
      );
      const [original] = matches.filter((other) => other !== undefined);
      expect(original).toBeDefined();
      expect([record.key?.toString(), record.partition]).toEqual([
        original!.key?.toString(),
        original!.partition,
      ]);
      const outcome = original!.topic === running.topics['dead-letter'] ? 'dead-lettered' : 'published';
      expect(record.headers[ARCHIVE_HEADERS.outcome]?.toString()).toBe(outcome);
      expect(record.headers[ARCHIVE_HEADERS.ingressNode]?.toString()).toBe(running.config.node);
    }
  });

  it('holds no credential', () => {
    expect(expectNoPassword(archived)).toBe(FIXTURES.length + 1);
  });
});

describe('replay from the archive through a changed mapping', () => {
  it('dry run: says which events change, publishes nothing', async () => {
    const before = await harness.readAll(categoryTopics);
    const { summary, reports } = await replayed('archive', { dryRun: true });
    report('dry run', summary);
    expect(CHANGED).toBeGreaterThan(0);
    expect(summary).toEqual({
      read: FIXTURES.length + 1,
      replayed: 0,
      changed: CHANGED,
      unchanged: FIXTURES.length - CHANGED,
      // The dead letter's: it never had an event to compare with.
      'not-found': 1,
      unmappable: 0,
      unreadable: 0,
    });
    for (const entry of reports.filter(({ outcome }) => outcome === 'changed')) {
      expect(entry.diff?.lines).toEqual([
        expect.stringMatching(/^value\.payload\..*\.element: "(\w+)" -> "\1V2"$/),
      ]);
    }
    expect(await writtenSince(before)).toEqual([]);
  });

  it('--service: only that service', async () => {
    const { summary } = await replayed('archive', { dryRun: true, service: CHANGED_SERVICE });
    const ofService = FIXTURES.filter(({ service }) => service === CHANGED_SERVICE).length;
    expect([summary.changed, summary.unchanged]).toEqual([CHANGED, ofService - CHANGED]);
  });

  it('changed events get the new payload, the others are byte-identical, all marked as replays', async () => {
    const before = await harness.readAll(categoryTopics);
    const { summary } = await replayed('archive');
    const written = await writtenSince(before);
    report('replay', { ...summary, written: written.length });
    expect(summary.replayed).toBe(FIXTURES.length + 1);
    expect(written).toHaveLength(FIXTURES.length + 1);

    const originals = new Map<string, TopicRecord>();
    for (const record of events) originals.set((await decode(record.value)).eventId, record);
    const letterId = ((await harness.servers.registry.decode(deadLetters[0]!.value!)) as { eventId: string })
      .eventId;
    let changed = 0;
    for (const record of written) {
      expect(record.headers[REPLAY_HEADERS.replay]?.toString()).toBe('archive');
      expect(record.headers[REPLAY_HEADERS.mappingVersion]?.toString()).toBe(String(MAPPING_VERSION));
      const event = await decode(record.value);
      if (event.eventId === letterId) {
        // Dead-lettered when received; now an event, under the dead letter's id.
        expect([record.topic, event.service]).toEqual([
          running.topics['device-originated'],
          'EnhancedConnectivityService',
        ]);
        continue;
      }
      const original = originals.get(event.eventId)!;
      expect([record.topic, record.key?.toString(), record.partition]).toEqual([
        original.topic,
        original.key?.toString(),
        original.partition,
      ]);
      if (changes(event)) {
        changed++;
        const before = await decode(original.value);
        const element = (payload: CallbackEvent['payload']) =>
          (Object.values(payload!)[0] as GenericElement).element;
        expect(element(event.payload)).toBe(`${element(before.payload)}V2`);
        expect({ ...event, payload: null }).toEqual({ ...before, payload: null });
      } else {
        expect(record.value!.equals(original.value!)).toBe(true);
      }
    }
    expect(changed).toBe(CHANGED);
  });
});

describe('replay from the dead-letter topic', () => {
  it('under the current mapping: still unmappable, nothing published', async () => {
    const before = await harness.readAll(categoryTopics);
    const { summary, reports } = await replayed('dead-letter', { mapping: normalize });
    expect([summary.read, summary.unmappable, summary.replayed]).toEqual([1, 1, 0]);
    expect(reports[0]?.reason).toContain('does not send SmsCallbackRequest');
    expect(await writtenSince(before)).toEqual([]);
  });

  it('under the changed one: an event with the dead letter’s id, marked as a replay of a dead letter', async () => {
    const before = await harness.readAll(categoryTopics);
    const { summary } = await replayed('dead-letter');
    const written = await writtenSince(before);
    report('dead-letter replay', { ...summary, written: written.length });
    expect(summary.replayed).toBe(1);
    expect(written).toHaveLength(1);
    const [record] = written as [TopicRecord];
    const letter = (await harness.servers.registry.decode(deadLetters[0]!.value!)) as { eventId: string };
    const event = await decode(record.value);
    expect([record.topic, event.eventId, event.payloadType]).toEqual([
      running.topics['device-originated'],
      letter.eventId,
      'DeviceSms',
    ]);
    expect(record.headers[REPLAY_HEADERS.replay]?.toString()).toBe('dead-letter');
    expectNoPassword(written);
  });
});

describe('failures', () => {
  it('a topic that does not exist: REPLAY_TOPIC_MISSING', async () => {
    const config = {
      ...running.config,
      archive: { ...running.config.archive, topic: 'no-such-archive-topic' },
    };
    await expect(
      runReplay({ plan: { from: 'archive', window, dryRun: true }, config, logger }),
    ).rejects.toMatchObject({ code: 'REPLAY_TOPIC_MISSING' });
  });

  it('a registry that does not answer: REPLAY_REGISTRY_FAILED', async () => {
    const config = {
      ...running.config,
      schemaRegistry: { ...running.config.schemaRegistry, url: 'http://127.0.0.1:9' },
    };
    await expect(
      runReplay({ plan: { from: 'archive', window, dryRun: true }, config, logger }),
    ).rejects.toMatchObject({ code: 'REPLAY_REGISTRY_FAILED' });
  });

  it('brokers that do not answer: REPLAY_KAFKA_FAILED', async () => {
    const brokers = [`127.0.0.1:${await closedPort()}`];
    const config = { ...running.config, kafka: { ...running.config.kafka, brokers } };
    await expect(
      runReplay({ plan: { from: 'archive', window, dryRun: false }, config, logger }),
    ).rejects.toMatchObject({ code: 'REPLAY_KAFKA_FAILED' });
  });
});
