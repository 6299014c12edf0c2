/**
 * Every hand-written callback in test/fixtures/callbacks, the whole way: XML -> parseCallback -> normalize ->
 * compared field by field with <name>.expected.json -> Avro round trip through its topic's schema -> no
 * credential anywhere in the event's JSON or Avro bytes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AVRO_TYPES } from '../../../src/events/avro';
import { normalize } from '../../../src/thingspace/normalize';
import type { NormalizedCallback } from '../../../src/thingspace/normalize';
import type { CallbackEvent } from '../../../src/events/types';
import { parseCallback } from '../../../src/soap/parser';
import { avroProblems, roundTrip } from '../schemas/avro-check';

const DIR = join(__dirname, '..', '..', 'fixtures', 'callbacks');
const USERNAME = 'fixture-user';
const PASSWORD = 's3cret-fixture-pw';
const RECEIVED_AT = new Date('2026-03-01T10:00:00.123Z');
const INGRESS_NODE = 'ingress-fixture-1';

/** What <name>.expected.json holds: the event minus what the test supplies (receivedAt, ingressNode). */
interface Expected {
  /** The quirks of THINGSPACE.md this fixture covers, for the reader. */
  covers: string;
  context: { service: string; accountName: string };
  category: string;
  key: string;
  anomalies: string[];
  event: Omit<CallbackEvent, 'receivedAt' | 'ingressNode'>;
}

const files = readdirSync(DIR);
const NAMES = files
  .filter((file) => file.endsWith('.xml'))
  .map((file) => file.slice(0, -'.xml'.length))
  .sort();

const xmlOf = (name: string): string => readFileSync(join(DIR, `${name}.xml`), 'utf8');
const expectedOf = (name: string): Expected =>
  JSON.parse(readFileSync(join(DIR, `${name}.expected.json`), 'utf8')) as Expected;

async function run(xml: string, expected: Expected, receivedAt = RECEIVED_AT): Promise<NormalizedCallback> {
  const parsed = await parseCallback(xml);
  return normalize(parsed, { ...expected.context, receivedAt, ingressNode: INGRESS_NODE });
}

it('every fixture has its expected event, and every expected event its fixture', () => {
  const expectations = files
    .filter((file) => file.endsWith('.expected.json'))
    .map((file) => file.split('.')[0]);
  expect(expectations.sort()).toEqual(NAMES);
});

describe.each(NAMES)('%s', (name) => {
  const xml = xmlOf(name);
  const expected = expectedOf(name);
  let normalized: NormalizedCallback;

  beforeAll(async () => {
    normalized = await run(xml, expected);
  });

  it('carries the credentials this test looks for', () => {
    expect(xml).toContain(`<Username>${USERNAME}</Username>`);
    expect(xml).toContain(`<Password>${PASSWORD}</Password>`);
  });

  it('has the expected category, key and anomalies', () => {
    const { category, key, anomalies } = normalized;
    expect({ category, key, anomalies }).toEqual({
      category: expected.category,
      key: expected.key,
      anomalies: expected.anomalies,
    });
  });

  it('has the expected event, field by field', () => {
    const { event } = normalized;
    expect(Object.keys(event).sort()).toEqual(
      [...Object.keys(expected.event), 'receivedAt', 'ingressNode'].sort(),
    );
    for (const [field, value] of Object.entries(expected.event)) {
      expect([field, event[field as keyof CallbackEvent]]).toEqual([field, value]);
    }
    expect(event.receivedAt).toBe(RECEIVED_AT.getTime());
    expect(event.ingressNode).toBe(INGRESS_NODE);
  });

  it("fits its topic's schema and survives an Avro round trip", () => {
    const type = AVRO_TYPES[normalized.category];
    expect(avroProblems(type, normalized.event)).toEqual([]);
    expect(roundTrip(type, normalized.event).decoded).toEqual(normalized.event);
  });

  it('carries no credentials, in JSON or in Avro bytes', () => {
    const json = JSON.stringify(normalized);
    const { bytes } = roundTrip(AVRO_TYPES[normalized.category], normalized.event);
    for (const credential of [PASSWORD, USERNAME]) {
      expect(json).not.toContain(credential);
      expect(bytes.includes(Buffer.from(credential))).toBe(false);
    }
  });
});

describe('a re-sent callback keeps its eventId', () => {
  const name = 'carrier-service-change-identifier';
  const xml = xmlOf(name);
  const expected = expectedOf(name);

  it('with another CallbackCount, another password and another receipt time', async () => {
    const resent = xml
      .replace('<CallbackCount>2</CallbackCount>', '<CallbackCount>3</CallbackCount>')
      .replace(PASSWORD, 'rotated-pw');
    expect(resent).not.toBe(xml);
    const again = await run(resent, expected, new Date('2026-03-01T10:05:00Z'));
    expect(again.event.callbackCount).toBe(3);
    expect(again.event.eventId).toBe(expected.event.eventId);
  });

  it('but another device of the same RequestId gets another one', async () => {
    const other = await run(xml.replace('a1000000000f01', 'a1000000000f02'), expected);
    expect(other.event.requestId).toBe(expected.event.requestId);
    expect(other.event.eventId).not.toBe(expected.event.eventId);
  });
});
