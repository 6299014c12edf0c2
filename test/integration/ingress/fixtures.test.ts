/**
 * Every hand-written callback, end to end through a bridge on the real broker and registry: POSTed to
 * /callbacks/<its service, as the fixture's context spells it> -> 200 SOAP ack -> exactly one record on its
 * category's topic, keyed by its device, its value in Confluent wire format under the subject's registered id,
 * decoded with the registry and equal field by field to <name>.expected.json. Then the dead letter: an
 * authenticated message the service never sends is acknowledged and kept, its XML without the credentials. And
 * no record of any of these topics holds the password.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallbackEvent, DeadLetter } from '../../../src/events/types';
import type { Stream } from '../../../src/events/schemas';
import { ACK_BODY } from '../../../src/http/soap-responses';
import { faultCodeOf, post, send, type Answer } from '../../support/http';
import {
  ACCOUNT,
  FIXTURE_NAMES,
  FIXTURES,
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

/** What <name>.expected.json holds (see test/unit/events/fixtures.test.ts). */
interface Expected {
  context: { service: string; accountName: string };
  category: Exclude<Stream, 'dead-letter'>;
  key: string;
  event: Omit<CallbackEvent, 'receivedAt' | 'ingressNode'>;
}

const expectedOf = (name: string): Expected =>
  JSON.parse(readFileSync(join(FIXTURES, `${name}.expected.json`), 'utf8')) as Expected;

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

const harness = new IngressHarness();
let running: RunningBridge;
const sent = new Map<string, Sent>();
let records: Decoded[] = [];

beforeAll(async () => {
  // A listener of its own for CarrierService too, as the platform recommends (port 0: any free one).
  running = await harness.startBridge({ services: { CarrierService: { port: 0 } } });
  for (const name of FIXTURE_NAMES) {
    const before = Date.now();
    const answer = await post(
      running.port,
      `/callbacks/${expectedOf(name).context.service}`,
      fixtureXml(name),
    );
    sent.set(name, { answer, before, after: Date.now() });
  }
  const { registry } = harness.servers;
  records = await Promise.all(
    (await harness.readAll(Object.values(running.topics))).map(async (record) => ({
      ...record,
      schemaId: record.value!.readInt32BE(1),
      event: (await registry.decode(record.value!)) as Record<string, unknown>,
    })),
  );
  report('fixtures', {
    sent: sent.size,
    '200s': [...sent.values()].filter((s) => s.answer.status === 200).length,
    inKafka: records.length,
    distinctEventIds: new Set(records.map((r) => r.event.eventId)).size,
  });
});

afterAll(() => harness.cleanup());

it('every fixture made exactly one record, and nothing else was written', () => {
  expect(records).toHaveLength(FIXTURE_NAMES.length);
  expect(new Set(records.map((r) => r.event.eventId)).size).toBe(FIXTURE_NAMES.length);
});

describe.each(FIXTURE_NAMES)('%s', (name) => {
  const expected = expectedOf(name);

  it('is acknowledged with 200 and the SOAP envelope', () => {
    const { answer } = sent.get(name)!;
    expect([answer.status, faultCodeOf(answer.body)]).toEqual([200, undefined]);
    expect(answer.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(answer.body).toBe(ACK_BODY.toString('utf8'));
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

  it('decodes with the registry to the expected event, field by field', () => {
    const { event } = records.find((r) => r.event.eventId === expected.event.eventId)!;
    const { before, after } = sent.get(name)!;
    expect(Object.keys(event).sort()).toEqual(
      [...Object.keys(expected.event), 'receivedAt', 'ingressNode'].sort(),
    );
    for (const [field, value] of Object.entries(expected.event)) {
      expect([field, event[field]]).toEqual([field, value]);
    }
    expect(event.receivedAt).toBeGreaterThanOrEqual(before);
    expect(event.receivedAt).toBeLessThanOrEqual(after);
    expect(event.ingressNode).toBe(NODE);
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

describe('the running bridge', () => {
  it('is healthy and ready, counts acknowledgements and auth failures by reason in /metrics', async () => {
    expect((await send(running.port, '/healthz', { method: 'GET' })).status).toBe(200);
    const ready = await send(running.port, '/readyz', { method: 'GET' });
    expect([ready.status, JSON.parse(ready.body)]).toEqual([200, { status: 'ready' }]);

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
    // The fixtures, the dead letter and the per-service listener's callback.
    expect(all.length).toBe(FIXTURE_NAMES.length + 2);
  });
});
