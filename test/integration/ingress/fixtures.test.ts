/**
 * Every hand-written callback, SOAP (test/fixtures/callbacks) and REST (test/fixtures/rest) alike, end to end
 * through a bridge on the real broker and registry: POSTed with its format's Content-Type to /callbacks/<its
 * service, as the fixture's context spells it> -> 200 and the acknowledgement in the caller's format -> exactly
 * one record on its category's topic, keyed by its device, its value in Confluent wire format under the
 * subject's registered id, decoded with the registry and equal field by field to <name>.expected.json (status and
 * payloadType included). A REST callback re-sent (keys reordered, callbackCount + 1) keeps its eventId. Then the
 * dead letters, SOAP and JSON: an authenticated message the service never sends is acknowledged and kept,
 * without the credentials. And no record of any of these topics, no log line, holds the password.
 */
import type { CallbackEvent, DeadLetter } from '../../../src/events/types';
import { ACK_BODY } from '../../../src/http/soap-responses';
import { JSON_CONTENT_TYPE } from '../../../src/http/json-responses';
import {
  expectedOf,
  FIXTURE_SETS,
  fixtureSource,
  jsonForm,
  type Expected,
  type FixtureSet,
} from '../../support/fixtures';
import { faultCodeOf, post, send, type Answer } from '../../support/http';
import {
  ACCOUNT,
  IngressHarness,
  NODE,
  carrierCallback,
  expectedOf as expectedEventOf,
  PASSWORD,
  expectNoPassword,
  fixtureXml,
  report,
  type RunningBridge,
} from './harness';
import type { TopicRecord } from '../../infra/kafka';

interface Fixture {
  set: FixtureSet;
  name: string;
  expected: Expected;
}

interface Sent {
  answer: Answer;
  /** Epoch ms around the request: receivedAt must fall between. */
  before: number;
  after: number;
}

interface Decoded extends TopicRecord {
  schemaId: number;
  event: Record<string, unknown>;
}

const FIXTURES: readonly Fixture[] = Object.values(FIXTURE_SETS).flatMap((set) =>
  set.names.map((name) => ({ set, name, expected: expectedOf(set, name) })),
);
/** What a caller of each format is answered on success. */
const ACKS = {
  soap: { type: 'text/xml; charset=utf-8', body: ACK_BODY.toString('utf8') },
  rest: { type: JSON_CONTENT_TYPE, body: '{"status":"ok"}' },
};
const label = ({ set, name }: Fixture) => `${set.format}/${name}`;

const harness = new IngressHarness();
let running: RunningBridge;
const sent = new Map<string, Sent>();
let records: Decoded[] = [];

function postFixture(set: FixtureSet, path: string, body: string): Promise<Answer> {
  return send(running.port, path, { method: 'POST', headers: { 'content-type': set.contentType }, body });
}

async function decodeAll(topics: readonly string[]): Promise<Decoded[]> {
  const { registry } = harness.servers;
  return Promise.all(
    (await harness.readAll(topics)).map(async (record) => ({
      ...record,
      schemaId: record.value!.readInt32BE(1),
      event: (await registry.decode(record.value!)) as Record<string, unknown>,
    })),
  );
}

beforeAll(async () => {
  // A listener of its own for CarrierService too, as the platform recommends (port 0: any free one). AlertService
  // takes messages without credentials, as from a registration made without a username (one REST fixture).
  running = await harness.startBridge({
    services: { CarrierService: { port: 0 } },
    allowEmptyCredentials: ['AlertService'],
  });
  for (const fixture of FIXTURES) {
    const before = Date.now();
    const answer = await postFixture(
      fixture.set,
      `/callbacks/${fixture.expected.context.service}`,
      fixtureSource(fixture.set, fixture.name),
    );
    sent.set(label(fixture), { answer, before, after: Date.now() });
  }
  records = await decodeAll(Object.values(running.topics));
  report('fixtures', {
    sent: sent.size,
    '200s': [...sent.values()].filter((s) => s.answer.status === 200).length,
    inKafka: records.length,
    distinctEventIds: new Set(records.map((r) => r.event.eventId)).size,
  });
});

afterAll(() => harness.cleanup());

it('every fixture of both formats made exactly one record, and nothing else was written', () => {
  expect(FIXTURE_SETS.soap.names.length).toBeGreaterThan(0);
  expect(FIXTURE_SETS.rest.names.length).toBeGreaterThan(0);
  expect(records).toHaveLength(FIXTURES.length);
  expect(new Set(records.map((r) => r.event.eventId)).size).toBe(FIXTURES.length);
});

describe.each(FIXTURES.map((fixture) => [label(fixture), fixture] as const))(
  '%s',
  (name, { set, expected }) => {
    it("is acknowledged with 200 in the caller's format", () => {
      const { answer } = sent.get(name)!;
      expect([answer.status, answer.headers['content-type'], answer.body]).toEqual([
        200,
        ACKS[set.format].type,
        ACKS[set.format].body,
      ]);
    });

    it("is on its category's topic, keyed by its device, under the subject's schema id", async () => {
      const ofEvent = records.filter((r) => r.event.eventId === expected.event.eventId);
      expect(ofEvent).toHaveLength(1);
      const [record] = ofEvent as [Decoded];
      expect(record.topic).toBe(running.topics[expected.category]);
      expect(record.key?.toString('utf8')).toBe(expected.key);
      expect(record.value![0]).toBe(0); // Confluent wire format's magic byte
      expect(record.schemaId).toBe(await harness.servers.registry.getLatestSchemaId(`${record.topic}-value`));
    });

    it('decodes with the registry to the expected event, field by field, its format, status and payloadType too', () => {
      const { event } = records.find((r) => r.event.eventId === expected.event.eventId)!;
      const { before, after } = sent.get(name)!;
      expect([event.format, event.status, event.payloadType]).toEqual([
        set.format,
        expected.event.status,
        expected.event.payloadType,
      ]);
      expect(Object.keys(event).sort()).toEqual(
        [...Object.keys(expected.event), 'receivedAt', 'ingressNode'].sort(),
      );
      for (const [field, value] of Object.entries(expected.event)) {
        expect([field, jsonForm(event[field])]).toEqual([field, value]);
      }
      expect(event.receivedAt).toBeGreaterThanOrEqual(before);
      expect(event.receivedAt).toBeLessThanOrEqual(after);
      expect(event.ingressNode).toBe(NODE);
    });
  },
);

describe('a REST callback re-sent by the platform', () => {
  it('with its keys in another order and a higher callbackCount: 200, and the same eventId', async () => {
    const set = FIXTURE_SETS.rest;
    const name = 'carrier-service-activate';
    const { expected } = FIXTURES.find((f) => f.set === set && f.name === name)!;
    const message = JSON.parse(fixtureSource(set, name)) as Record<string, unknown>;
    const resent = JSON.stringify(
      Object.fromEntries(Object.entries({ ...message, callbackCount: 2 }).reverse()),
    );
    const answer = await postFixture(set, `/callbacks/${expected.context.service}`, resent);
    expect(answer.status).toBe(200);

    const attempts = (await decodeAll([running.topics[expected.category]])).filter(
      (r) => r.event.eventId === expected.event.eventId,
    );
    report('REST re-send', { sent: 1, '200s': answer.status === 200 ? 1 : 0, sameEventId: attempts.length });
    expect(attempts.map((r) => (r.event as unknown as CallbackEvent).callbackCount).sort()).toEqual([1, 2]);
    expect(new Set(attempts.map((r) => r.key?.toString('utf8')))).toEqual(new Set([expected.key]));
  });
});

describe('dead letter', () => {
  it('an authenticated SmsCallbackRequest posted to CarrierService: 200, kept on the dead-letter topic without credentials', async () => {
    const xml = fixtureXml('enhanced-connectivity-device-sms');
    const before = Date.now();
    const answer = await post(running.port, '/callbacks/CarrierService', xml);
    const after = Date.now();
    expect([answer.status, answer.body]).toEqual([200, ACK_BODY.toString('utf8')]);

    const deadLetters = await harness.readAll([running.topics['dead-letter']]);
    report('dead letter', { sent: 1, '200s': answer.status === 200 ? 1 : 0, inKafka: deadLetters.length });
    expect(deadLetters).toHaveLength(1);
    const [record] = deadLetters as [TopicRecord];
    const letter = (await harness.servers.registry.decode(record.value!)) as DeadLetter;
    expect(record.key?.toString('utf8')).toBe(letter.eventId);
    expect(letter).toEqual({
      eventId: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ) as unknown,
      service: 'CarrierService',
      accountName: ACCOUNT,
      receivedAt: expect.any(Number) as unknown,
      ingressNode: NODE,
      reasonCode: 'UNEXPECTED_ROOT',
      reasonMessage: "callback service 'CarrierService' does not send SmsCallbackRequest messages",
      redactedXml: expect.any(String) as unknown,
      format: 'soap',
    });
    expect(letter.receivedAt).toBeGreaterThanOrEqual(before);
    expect(letter.receivedAt).toBeLessThanOrEqual(after);
    // The message as it came, minus the credentials' contents.
    expect(letter.redactedXml).toContain('<SmsCallbackRequest');
    expect(letter.redactedXml).toContain('<Password/>');
    expect(letter.redactedXml).toContain('<Username/>');
    expect(letter.redactedXml).not.toContain(PASSWORD);
    expect(letter.redactedXml).toBe(
      xml
        .replace(/<Username>[^<]*<\/Username>/, '<Username/>')
        .replace(/<Password>[^<]*<\/Password>/, '<Password/>'),
    );
    // Nothing went to the device-originated topic: the service decides, not the root.
    const deviceOriginated = await harness.readAll([running.topics['device-originated']]);
    expect(deviceOriginated.filter((r) => r.key?.toString() === 'esn:8F3A1C2E')).toHaveLength(1); // the fixture's own
    // Logged once, by the bridge, with the error that sent it there.
    expect(
      running.logs.filter(
        (line) => line.includes('dead-lettering a callback') && line.includes('"code":"UNEXPECTED_ROOT"'),
      ),
    ).toHaveLength(1);
  });
});

describe('JSON dead letter', () => {
  it('an authenticated JSON device SMS posted to DeviceService: 200 JSON, kept as JSON without the password', async () => {
    const json = fixtureSource(FIXTURE_SETS.rest, 'enhanced-connectivity-device-sms');
    const answer = await postFixture(FIXTURE_SETS.rest, '/callbacks/DeviceService', json);
    expect([answer.status, answer.body]).toEqual([200, ACKS.rest.body]);

    const letters = await decodeAll([running.topics['dead-letter']]);
    const rest = letters.filter((r) => r.event.format === 'rest');
    report('JSON dead letter', { sent: 1, '200s': answer.status === 200 ? 1 : 0, inKafka: rest.length });
    expect(rest).toHaveLength(1);
    const letter = rest[0]!.event as unknown as DeadLetter;
    expect([letter.service, letter.accountName, letter.reasonCode]).toEqual([
      'DeviceService',
      ACCOUNT,
      'UNEXPECTED_ROOT',
    ]);
    // The message as it came, minus the credentials' values: the JSON parses, the rest is the fixture's.
    expect(letter.redactedXml).not.toContain(PASSWORD);
    expect(letter.redactedXml).toBe(json.replace(`"${PASSWORD}"`, '""').replace('"fixture-user"', '""'));
    expect(JSON.parse(letter.redactedXml)).toMatchObject({ username: '', password: '' });
  });
});

describe('the running bridge', () => {
  it('is healthy and ready, counts acknowledgements and auth failures by reason in /metrics', async () => {
    expect((await send(running.port, '/healthz', { method: 'GET' })).status).toBe(200);
    const ready = await send(running.port, '/readyz', { method: 'GET' });
    expect([ready.status, JSON.parse(ready.body)]).toEqual([
      200,
      {
        status: 'ready',
        checks: {
          kafka: { state: 'ok' },
          topics: { state: 'ok' },
          registry: { state: 'ok' },
          schemas: { state: 'ok' },
          spool: { state: 'disabled' },
        },
      },
    ]);

    const wrong = fixtureXml('promo-change').replace(
      `<Password>${PASSWORD}</Password>`,
      '<Password>nope</Password>',
    );
    const refused = await post(running.port, '/callbacks/PromoChange', wrong);
    expect([refused.status, faultCodeOf(refused.body)]).toEqual([401, 'AUTH_FAILED']);

    const metrics = (await send(running.port, '/metrics', { method: 'GET' })).body;
    expect(metrics).toContain('thingspace_bridge_auth_failures_total{reason="bad-password"} 1\n');
    expect(metrics).toContain('thingspace_bridge_auth_failures_total{reason="unknown-user"} 0\n');
    expect(metrics).toContain(
      'thingspace_bridge_requests_total{service="PromoChange",outcome="rejected",status="401"} 1\n',
    );
    expect(metrics).toContain(
      'thingspace_bridge_requests_total{service="CarrierService",outcome="dead-lettered",status="200"} 1\n',
    );
    expect(metrics).toMatch(/thingspace_bridge_produce_batch_records_count [1-9]/);
    expect(metrics).toContain('\nthingspace_bridge_ready 1\n');
    for (const line of running.logs) expect(line).not.toContain(PASSWORD);
  });

  it("has a listener of CarrierService's own: POST / and /callbacks/CarrierService go in, other services 404", async () => {
    const listener = running.listeners.find((l) => l.service === 'CarrierService')!;
    expect(running.listeners.map((l) => l.service)).toEqual([undefined, 'CarrierService']);
    const xml = carrierCallback(4242, 50_000);
    const expected = await expectedEventOf(xml, 'CarrierService');

    const taken = await post(listener.port, '/', xml);
    const other = await post(listener.port, '/callbacks/PromoChange', fixtureXml('promo-change'));
    expect([taken.status, other.status, faultCodeOf(other.body)]).toEqual([200, 404, 'UNKNOWN_SERVICE']);

    const record = (await harness.readAll([running.topics['async-response']])).find(
      (r) => r.key?.toString('utf8') === expected.key,
    );
    expect(record).toBeDefined();
    const event = (await harness.servers.registry.decode(record!.value!)) as { eventId: string };
    expect(event.eventId).toBe(expected.event.eventId);
  });

  it('the password is in no record of any topic this file wrote', async () => {
    const all = await harness.readAll(harness.allTopics());
    report('no password', { recordsScanned: expectNoPassword(all), topics: harness.allTopics().length });
    // The fixtures, the re-sent REST callback, two dead letters and the per-service listener's callback.
    expect(all.length).toBe(FIXTURES.length + 4);
    for (const line of running.logs) expect(line).not.toContain(PASSWORD);
  });
});
