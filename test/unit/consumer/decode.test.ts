/**
 * The consumer's decoder (src/consumer/) over every schema version a record can have been written with: each
 * released schema (schemas/released/<topic>.v<n>.avsc) and the current one (schemas/<topic>.avsc), every
 * hand-written fixture's event (SOAP and REST) written with each version that can hold it, read back as the
 * current contract's value. And every way a record can fail to decode, with its code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from 'avsc';
import {
  ConsumerError,
  decodeEvent,
  givenSchemas,
  type CallbackEvent,
  type ConsumerErrorCode,
  type DeadLetter,
  type GenericElement,
  type WriterSchemas,
} from '../../../src/consumer';
import { cachedReaders } from '../../../src/consumer/writer-schemas';
import { DEFAULT_TOPICS, SCHEMAS as REGISTERED, type Stream } from '../../../src/events/schemas';
import { encodeWireFormat } from '../../../src/events/wire-format';
import { PARSERS } from '../../../src/ingress/handle-callback';
import { normalize } from '../../../src/thingspace/normalize';
import { expectedOf, FIXTURE_SETS, fixtureSource, SAMPLE_DEAD_LETTER } from '../../support/fixtures';

const SCHEMAS = join(__dirname, '..', '..', '..', 'schemas');
const STREAMS = Object.keys(DEFAULT_TOPICS) as Stream[];

/** Every schema a record of each topic can have been written with: `v1`, `v2`, ... and `current`. */
const VERSIONS = readdirSync(join(SCHEMAS, 'released'))
  .map((file) => /\.(v\d+)\.avsc$/.exec(file)?.[1])
  .filter((version, i, all): version is string => version !== undefined && all.indexOf(version) === i)
  .sort()
  .concat('current');

/** As the registry holds them: the released files, and the current schema as the bridge registers it. */
const schemaText = (stream: Stream, version: string): string =>
  version === 'current'
    ? JSON.stringify(REGISTERED[stream])
    : readFileSync(join(SCHEMAS, 'released', `${DEFAULT_TOPICS[stream]}.${version}.avsc`), 'utf8');

/** Every (topic, version) under an id of its own, as a registry would number them. */
const WRITERS = STREAMS.flatMap((stream) => VERSIONS.map((version) => ({ stream, version }))).map(
  (writer, i) => ({ ...writer, id: 101 + i, text: schemaText(writer.stream, writer.version) }),
);
const writerOf = (stream: Stream, version: string) =>
  WRITERS.find((writer) => writer.stream === stream && writer.version === version)!;
const typeOf = (stream: Stream, version: string) =>
  Type.forSchema(JSON.parse(writerOf(stream, version).text) as never);

const allSchemas = () => givenSchemas(new Map(WRITERS.map(({ id, text }) => [id, text])));

/** Every fixture's event, SOAP and REST, as the current bridge makes it. */
async function fixtureEvents(): Promise<{ name: string; event: CallbackEvent }[]> {
  const sets = Object.values(FIXTURE_SETS);
  const perSet = await Promise.all(
    sets.map((set) =>
      Promise.all(
        set.names.map(async (name) => {
          const expected = expectedOf(set, name);
          const parsed = await PARSERS[set.format](fixtureSource(set, name));
          const context = { ...expected.context, receivedAt: new Date(1_772_359_200_123), ingressNode: 'a' };
          return { name: `${set.format}/${name}`, event: normalize(parsed, context).event };
        }),
      ),
    ),
  );
  return perSet.flat();
}

/** What a current reader makes of an event written before v2: v2's fields take their defaults. */
function asWrittenWithV1(event: CallbackEvent): CallbackEvent {
  const generic = (element: GenericElement): GenericElement => ({ ...element, format: 'soap' });
  let payload = event.payload;
  if (payload !== null) {
    const [[branch, record]] = Object.entries(payload) as [[string, object]];
    if (branch.endsWith('.GenericElement'))
      payload = { [branch]: generic(record as GenericElement) } as never;
    if (branch.endsWith('.CarrierServiceResult')) payload = { [branch]: { ...record, devices: [] } } as never;
  }
  return {
    ...event,
    status: null,
    format: 'soap',
    payloadType: null,
    payload,
    extraPayloads: event.extraPayloads.map(generic),
    extraElements: event.extraElements.map(generic),
  };
}

const DEAD_LETTER: DeadLetter = { ...SAMPLE_DEAD_LETTER, redactedXml: '{"x":1}', format: 'rest' };

async function failure(promise: Promise<unknown>): Promise<{ code: ConsumerErrorCode; message: string }> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ConsumerError);
  const { code, message } = error as ConsumerError;
  return { code, message };
}

describe('decodeEvent reads records of every schema version as the current contract', () => {
  let events: { name: string; event: CallbackEvent }[];
  beforeAll(async () => {
    events = await fixtureEvents();
  });

  it('knows the released versions and fixtures of both formats', () => {
    expect(VERSIONS).toEqual(expect.arrayContaining(['v1', 'v2', 'current']));
    expect(events.filter(({ event }) => event.format === 'soap').length).toBeGreaterThan(10);
    expect(events.filter(({ event }) => event.format === 'rest').length).toBeGreaterThan(10);
  });

  it.each(VERSIONS.filter((version) => version !== 'v1'))(
    'written with %s: every fixture event reads back as it was',
    async (version) => {
      const schemas = allSchemas();
      for (const { name, event } of events) {
        const { id } = writerOf(event.category, version);
        const value = encodeWireFormat(typeOf(event.category, version), id, event);
        expect([name, await decodeEvent(value, schemas)]).toEqual([
          name,
          { kind: 'event', schemaId: id, event },
        ]);
      }
    },
  );

  it('written with v1: every fixture event v1 can hold reads with v2 fields at their defaults', async () => {
    const schemas = allSchemas();
    const holdable = events.filter(({ event }) => typeOf(event.category, 'v1').isValid(event));
    // Every SOAP fixture, and the REST ones whose payload branch v1 had.
    expect(holdable.length).toBeGreaterThan(events.filter(({ event }) => event.format === 'soap').length);
    for (const { name, event } of holdable) {
      const { id } = writerOf(event.category, 'v1');
      const value = encodeWireFormat(typeOf(event.category, 'v1'), id, event);
      const decoded = await decodeEvent(value, schemas);
      expect([name, decoded]).toEqual([name, { kind: 'event', schemaId: id, event: asWrittenWithV1(event) }]);
    }
  });

  it.each(VERSIONS)('a dead letter written with %s reads as a dead letter', async (version) => {
    const { id } = writerOf('dead-letter', version);
    const value = encodeWireFormat(typeOf('dead-letter', version), id, DEAD_LETTER);
    const deadLetter = version === 'v1' ? { ...DEAD_LETTER, format: 'soap' } : DEAD_LETTER;
    expect(await decodeEvent(value, allSchemas())).toEqual({ kind: 'dead-letter', schemaId: id, deadLetter });
  });

  it('tells the topic by the writer record name, whatever the id', async () => {
    const schemas = givenSchemas({ 7: JSON.parse(schemaText('dead-letter', 'current')) as unknown });
    const value = encodeWireFormat(typeOf('dead-letter', 'current'), 7, DEAD_LETTER);
    expect((await decodeEvent(value, schemas)).kind).toBe('dead-letter');
  });
});

describe('writer schemas are looked up once per id', () => {
  it('concurrent and later records of one id share one lookup; a failed lookup is asked again', async () => {
    const asked: number[] = [];
    let down = true;
    const schemas = cachedReaders(async (id) => {
      asked.push(id);
      if (down) throw new ConsumerError('CONSUMER_REGISTRY_UNREACHABLE', 'down');
      return JSON.parse(schemaText('dead-letter', 'current')) as unknown;
    });
    const value = encodeWireFormat(typeOf('dead-letter', 'current'), 5, DEAD_LETTER);
    expect((await failure(decodeEvent(value, schemas))).code).toBe('CONSUMER_REGISTRY_UNREACHABLE');
    down = false;
    await Promise.all([decodeEvent(value, schemas), decodeEvent(value, schemas)]);
    await decodeEvent(value, schemas);
    expect(asked).toEqual([5, 5]);
  });

  it('keeps at most maxCachedSchemas readers, dropping the oldest', async () => {
    const asked: number[] = [];
    const text = schemaText('dead-letter', 'current');
    const schemas: WriterSchemas = cachedReaders(
      async (id) => {
        asked.push(id);
        return JSON.parse(text) as unknown;
      },
      { maxCachedSchemas: 2 },
    );
    for (const id of [1, 2, 3, 3, 2, 1]) await schemas.readerOf(id);
    expect(asked).toEqual([1, 2, 3, 1]);
  });
});

describe('decodeEvent refuses what it cannot read, with a code', () => {
  const dead = (id: number) => encodeWireFormat(typeOf('dead-letter', 'current'), id, DEAD_LETTER);

  it.each([
    ['no value (a tombstone)', null, /no value/],
    ['under 5 bytes', Buffer.from([0, 0, 0]), /got 3 bytes/],
    ['another magic byte', Buffer.from([1, 0, 0, 0, 101, 2]), /magic byte/],
    ['a JSON value', Buffer.from('{"eventId":"x"}'), /magic byte/],
  ])('not wire format: %s', async (_label, value, message) => {
    const { code, message: text } = await failure(decodeEvent(value, allSchemas()));
    expect(code).toBe('CONSUMER_NOT_WIRE_FORMAT');
    expect(text).toMatch(message);
  });

  it.each([
    [0, /not a registry id/],
    [-1, /not a registry id/],
    [99, /no schema with id 99/],
  ])('unknown schema id %d', async (id, message) => {
    const value = Buffer.concat([Buffer.from([0]), Buffer.alloc(4), Buffer.from([2])]);
    value.writeInt32BE(id, 1);
    const { code, message: text } = await failure(decodeEvent(value, allSchemas()));
    expect(code).toBe('CONSUMER_UNKNOWN_SCHEMA_ID');
    expect(text).toMatch(message);
  });

  it.each([
    [
      'a record of no topic',
      { type: 'record', name: 'Other', namespace: 'x', fields: [] },
      /\(x\.Other\) is no topic/,
    ],
    ['not a record', '"string"', /\(string\) is no topic/],
    ['not Avro', { type: 'nonsense' }, /not a valid Avro schema/],
    [
      "a topic's record the current schema cannot read (a newer contract)",
      {
        type: 'record',
        name: 'DeadLetter',
        namespace: 'thingspace.bridge.v1',
        fields: [{ name: 'eventId', type: 'long' }],
      },
      /cannot be read with this package's schema/,
    ],
  ])('unknown writer schema: %s', async (_label, schema, message) => {
    const value = Buffer.from([0, 0, 0, 0, 3, 2]);
    const { code, message: text } = await failure(decodeEvent(value, givenSchemas({ 3: schema })));
    expect(code).toBe('CONSUMER_UNKNOWN_WRITER_SCHEMA');
    expect(text).toMatch(message);
  });

  it.each([
    ['truncated', (value: Buffer) => value.subarray(0, value.length - 3)],
    ['with bytes left over', (value: Buffer) => Buffer.concat([value, Buffer.from([0])])],
  ])('Avro bytes %s', async (_label, change) => {
    const { id } = writerOf('dead-letter', 'current');
    const { code, message: text } = await failure(decodeEvent(change(dead(id)), allSchemas()));
    expect(code).toBe('CONSUMER_INVALID_AVRO');
    expect(text).toMatch(new RegExp(`schema ${id} \\(thingspace.bridge.v1.DeadLetter`));
  });
});
