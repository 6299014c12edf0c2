/**
 * The hand-written callbacks (test/fixtures/callbacks: SOAP; test/fixtures/rest: JSON) and the events they must
 * become, for every test that reads them: `<name>.xml` or `<name>.json` beside `<name>.expected.json`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Category, CallbackEvent, DeadLetter } from '../../src/events/types';
import type { WireFormat } from '../../src/message/types';
import { CONTENT_TYPES } from '../../src/simulator';

export const USERNAME = 'fixture-user';
export const PASSWORD = 's3cret-fixture-pw';

/** What <name>.expected.json holds: the event minus what a test supplies (receivedAt, ingressNode). */
export interface Expected {
  /** The quirks of THINGSPACE.md this fixture covers, for the reader. */
  covers: string;
  context: { service: string; accountName: string };
  category: Category;
  key: string;
  anomalies: string[];
  /** Avro bytes (NiddMoData.message) appear as `{ "$bytes": "<base64>" }` (`jsonForm`): JSON has no bytes. */
  event: Omit<CallbackEvent, 'receivedAt' | 'ingressNode'>;
}

/** The fixtures of one wire format, and how they are sent. */
export interface FixtureSet {
  format: WireFormat;
  dir: string;
  extension: '.xml' | '.json';
  contentType: string;
  /** Every fixture's name, sorted. */
  names: readonly string[];
}

const EXPECTED = '.expected.json';

function fixtureSet(format: WireFormat, folder: string, extension: FixtureSet['extension']): FixtureSet {
  const dir = join(__dirname, '..', 'fixtures', folder);
  const names = readdirSync(dir)
    .filter((file) => file.endsWith(extension) && !file.endsWith(EXPECTED))
    .map((file) => file.slice(0, -extension.length))
    .sort();
  return { format, dir, extension, contentType: CONTENT_TYPES[format], names };
}

export const FIXTURE_SETS: Readonly<Record<WireFormat, FixtureSet>> = {
  soap: fixtureSet('soap', 'callbacks', '.xml'),
  rest: fixtureSet('rest', 'rest', '.json'),
};

export const fixtureSource = (set: FixtureSet, name: string): string =>
  readFileSync(join(set.dir, `${name}${set.extension}`), 'utf8');

export const expectedOf = (set: FixtureSet, name: string): Expected =>
  JSON.parse(readFileSync(join(set.dir, `${name}${EXPECTED}`), 'utf8')) as Expected;

/** The names of the expected files in a set's folder: each must have its fixture, and each fixture one. */
export const expectationNames = (set: FixtureSet): string[] =>
  readdirSync(set.dir)
    .filter((file) => file.endsWith(EXPECTED))
    .map((file) => file.slice(0, -EXPECTED.length))
    .sort();

/** The JSON form expected files hold: bytes as `{ "$bytes": base64 }`, everything else as it is. */
export function jsonForm(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, function (this: Record<string, unknown>, key, json: unknown) {
      const original = this[key];
      return original instanceof Buffer ? { $bytes: original.toString('base64') } : json;
    }),
  );
}

/** A dead letter with invented values, for tests of what carries one (encoding, decoding, old schemas). */
export const SAMPLE_DEAD_LETTER: DeadLetter = {
  eventId: '6f1c2a8e-3b4d-8e5f-9a0b-1c2d3e4f5a6b',
  service: 'CarrierService',
  accountName: '0000555123-00001',
  receivedAt: 1_772_359_200_123,
  ingressNode: 'ingress-a',
  reasonCode: 'UNEXPECTED_ROOT',
  reasonMessage: 'no',
  redactedXml: '<x/>',
  format: 'soap',
};
