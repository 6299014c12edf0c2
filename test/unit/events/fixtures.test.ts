/**
 * Every hand-written callback, the whole way: SOAP (test/fixtures/callbacks, XML -> parseCallback) and REST
 * (test/fixtures/rest, JSON -> parseJsonCallback) alike -> normalize -> compared field by field with
 * <name>.expected.json -> Avro round trip through its topic's schema -> no credential anywhere in the event's
 * JSON or Avro bytes. One body for both formats: only where the files are and how they parse differ.
 */
import { AVRO_TYPES } from '../../../src/events/avro';
import { PARSERS } from '../../../src/ingress/handle-callback';
import type { ParsedCallback } from '../../../src/message/types';
import { normalize } from '../../../src/thingspace/normalize';
import type { NormalizedCallback } from '../../../src/thingspace/normalize';
import type { CallbackEvent } from '../../../src/events/types';
import {
  expectationNames,
  expectedOf,
  FIXTURE_SETS,
  fixtureSource,
  jsonForm,
  PASSWORD,
  USERNAME,
  type Expected,
  type FixtureSet,
} from '../../support/fixtures';
import { avroProblems, roundTrip } from '../schemas/avro-check';

const RECEIVED_AT = new Date('2026-03-01T10:00:00.123Z');
const INGRESS_NODE = 'ingress-fixture-1';
const SETS = Object.values(FIXTURE_SETS);

async function run(
  set: FixtureSet,
  source: string,
  expected: Expected,
  receivedAt = RECEIVED_AT,
): Promise<NormalizedCallback> {
  const parsed = await PARSERS[set.format](source);
  return normalize(parsed, { ...expected.context, receivedAt, ingressNode: INGRESS_NODE });
}

describe.each(SETS.map((set) => [set.format, set] as const))('%s fixtures', (_format, set) => {
  const { names } = set;

  it('every fixture has its expected event, and every expected event its fixture', () => {
    expect(expectationNames(set)).toEqual(names);
    expect(names.length).toBeGreaterThan(0);
  });

  describe.each(names)('%s', (name) => {
    const source = fixtureSource(set, name);
    const expected = expectedOf(set, name);
    let normalized: NormalizedCallback;
    let parsed: ParsedCallback;

    beforeAll(async () => {
      parsed = await PARSERS[set.format](source);
      normalized = await run(set, source, expected);
    });

    it('carries the credentials this test looks for, or none at all (as when none were registered)', () => {
      const credentials = [parsed.username, parsed.password.reveal()];
      expect([
        [USERNAME, PASSWORD],
        ['', ''],
      ]).toContainEqual(credentials);
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
      expect(event.format).toBe(set.format);
      expect(Object.keys(event).sort()).toEqual(
        [...Object.keys(expected.event), 'receivedAt', 'ingressNode'].sort(),
      );
      for (const [field, value] of Object.entries(expected.event)) {
        expect([field, jsonForm(event[field as keyof CallbackEvent])]).toEqual([field, value]);
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
});

describe('a re-sent SOAP callback keeps its eventId', () => {
  const set = FIXTURE_SETS.soap;
  const name = 'carrier-service-change-identifier';
  const xml = fixtureSource(set, name);
  const expected = expectedOf(set, name);

  it('with another CallbackCount, another password and another receipt time', async () => {
    const resent = xml
      .replace('<CallbackCount>2</CallbackCount>', '<CallbackCount>3</CallbackCount>')
      .replace(PASSWORD, 'rotated-pw');
    expect(resent).not.toBe(xml);
    const again = await run(set, resent, expected, new Date('2026-03-01T10:05:00Z'));
    expect(again.event.callbackCount).toBe(3);
    expect(again.event.eventId).toBe(expected.event.eventId);
  });

  it('but another device of the same RequestId gets another one', async () => {
    const other = await run(set, xml.replace('a1000000000f01', 'a1000000000f02'), expected);
    expect(other.event.requestId).toBe(expected.event.requestId);
    expect(other.event.eventId).not.toBe(expected.event.eventId);
  });
});

describe('a re-sent REST callback keeps its eventId', () => {
  const set = FIXTURE_SETS.rest;
  const name = 'carrier-service-activate';
  const source = fixtureSource(set, name);
  const expected = expectedOf(set, name);
  type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

  /** Every object's keys in reverse order, at any depth. */
  const reversed = (value: Json): Json =>
    Array.isArray(value)
      ? value.map(reversed)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(
            Object.entries(value)
              .reverse()
              .map(([key, item]) => [key, reversed(item)]),
          )
        : value;
  const message = JSON.parse(source) as { [key: string]: Json };

  it('with its keys in another order, another layout, a higher callbackCount and another password', async () => {
    const resent = JSON.stringify(
      reversed({ ...message, callbackCount: 3, password: 'rotated-pw' }),
      null,
      '\t',
    );
    expect(resent.indexOf('"username"')).toBeGreaterThan(resent.indexOf('"requestId"'));
    const again = await run(set, resent, expected, new Date('2026-03-01T10:05:00Z'));
    expect(again.event.callbackCount).toBe(3);
    expect(again.event.eventId).toBe(expected.event.eventId);
  });

  it('but another status gets another one', async () => {
    const other = await run(set, JSON.stringify({ ...message, status: 'Failed' }), expected);
    expect(other.event.status).toBe('Failed');
    expect(other.event.eventId).not.toBe(expected.event.eventId);
  });
});
