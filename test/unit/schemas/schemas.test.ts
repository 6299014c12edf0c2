import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from 'avsc';
import { AVRO_TYPES } from '../../../src/events/avro';
import { DEFAULT_TOPICS, schemaFiles, SCHEMAS } from '../../../src/events/schemas';
import type { Stream } from '../../../src/events/schemas';
import { AVRO_NAMESPACE } from '../../../src/events/types';
import type { DeadLetter } from '../../../src/events/types';
import { avroProblems, roundTrip } from './avro-check';

const SCHEMA_DIR = join(__dirname, '..', '..', '..', 'schemas');
const RELEASED_DIR = join(SCHEMA_DIR, 'released');
const STREAMS = Object.keys(DEFAULT_TOPICS) as Stream[];
const UPDATE = process.env.UPDATE_SCHEMAS === '1';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every record in a schema, nested ones included. */
function records(schema: Json): { name: string; doc?: Json; fields: { name: string; doc?: Json }[] }[] {
  if (Array.isArray(schema)) return schema.flatMap(records);
  if (schema === null || typeof schema !== 'object') return [];
  const nested = Object.values(schema).flatMap(records);
  return schema.type === 'record' ? [schema as never, ...nested] : nested;
}

const FILES = schemaFiles();
const TOPIC_FILES = new Set(STREAMS.map((stream) => `${DEFAULT_TOPICS[stream]}.avsc`));
/** The files of the named types the topics share, in the order they must be parsed. */
const SHARED_FILES = FILES.filter(({ file }) => !TOPIC_FILES.has(file)).map(({ file }) => file);
const readJson = (file: string) => JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as Json;

/**
 * A topic's schema read from the committed files (in update mode: as just written) as a consumer reads them:
 * the shared types first, into one registry, then the topic's file, which must not define any of them again.
 */
function parseTopic(stream: Stream): Type {
  const registry = {};
  for (const file of SHARED_FILES) Type.forSchema(readJson(file) as never, { registry });
  return Type.forSchema(readJson(`${DEFAULT_TOPICS[stream]}.avsc`) as never, { registry });
}

if (UPDATE) {
  // UPDATE_SCHEMAS=1 (schemas/README.md) writes the files first; every check below then reads what was
  // written, except the comparison with the source, which would compare the files with themselves.
  beforeAll(() => {
    for (const { file, content } of FILES) writeFileSync(join(SCHEMA_DIR, file), content);
  });
}

describe('schemas/*.avsc: the one source is src/events/schemas.ts', () => {
  if (!UPDATE) {
    it.each(FILES.map(({ file }) => file))('%s: the committed file is what the source generates', (file) => {
      const generated = FILES.find((candidate) => candidate.file === file)?.content;
      if (readFileSync(join(SCHEMA_DIR, file), 'utf8') !== generated) {
        throw new Error(
          `schemas/${file} differs from src/events/schemas.ts. Regenerate it with ` +
            '`UPDATE_SCHEMAS=1 npx jest test/unit/schemas --selectProjects unit`, then commit both.',
        );
      }
    });
  }

  it('the topics share Device, GenericElement and Fault, each in its own file', () => {
    expect(SHARED_FILES).toEqual(
      expect.arrayContaining(
        ['Device', 'GenericElement', 'Fault'].map((name) => `${AVRO_NAMESPACE}.${name}.avsc`),
      ),
    );
  });

  it.each(STREAMS)('%s: the files parsed together are exactly the schema the bridge registers', (stream) => {
    const fromFiles = parseTopic(stream);
    const registered = Type.forSchema(SCHEMAS[stream] as never);
    expect(fromFiles.schema()).toEqual(registered.schema()); // Parsing Canonical Form
    expect(fromFiles.schema({ exportAttrs: true })).toEqual(registered.schema({ exportAttrs: true })); // docs, defaults, logical types
    expect(fromFiles.equals(AVRO_TYPES[stream])).toBe(true);
  });

  it("the Java example's code generator imports the shared types, in that order", () => {
    // examples/java/pom.xml: avro-maven-plugin parses its <imports> first, then the rest of schemas/.
    const pom = readFileSync(join(SCHEMA_DIR, '..', 'examples', 'java', 'pom.xml'), 'utf8');
    const imports = [...pom.matchAll(/<import>\$\{schemas\}\/([^<]+)<\/import>/g)].map((match) => match[1]);
    expect(imports).toEqual(SHARED_FILES);
  });

  it.each(STREAMS)(
    '%s: the registered schema is self-contained (it references no other schema)',
    (stream) => {
      expect(() => Type.forSchema(SCHEMAS[stream] as never)).not.toThrow();
    },
  );

  it('holds no other schema', () => {
    const files = readdirSync(SCHEMA_DIR).filter((name) => name.endsWith('.avsc'));
    expect(files.sort()).toEqual(FILES.map(({ file }) => file).sort());
  });

  it.each(FILES.map(({ file }) => file))('%s: every record and every field has a doc', (file) => {
    for (const record of records(readJson(file))) {
      expect([record.name, typeof record.doc]).toEqual([record.name, 'string']);
      for (const field of record.fields) {
        expect([`${record.name}.${field.name}`, typeof field.doc]).toEqual([
          `${record.name}.${field.name}`,
          'string',
        ]);
      }
    }
  });

  it.each(STREAMS)('%s: one namespace for every named type', (stream) => {
    expect(SCHEMAS[stream].namespace).toBe(AVRO_NAMESPACE);
    expect(AVRO_TYPES[stream].name).toBe(`${AVRO_NAMESPACE}.${SCHEMAS[stream].name}`);
    for (const file of SHARED_FILES) expect(readJson(file)).toMatchObject({ namespace: AVRO_NAMESPACE });
  });
});

describe('schema evolution: every current schema reads what every released one wrote (BACKWARD)', () => {
  const released = readdirSync(RELEASED_DIR).filter((name) => name.endsWith('.avsc'));
  const streamOf = (file: string): Stream => {
    const topic = file.replace(/\.v\d+\.avsc$/, '');
    const stream = STREAMS.find((candidate) => DEFAULT_TOPICS[candidate] === topic);
    if (!stream) throw new Error(`schemas/released/${file} names no topic of ours`);
    return stream;
  };

  // v1: the first release; v2: contract v2 (status, format, payloadType, the REST payloads).
  it.each(STREAMS.flatMap((stream) => ['v1', 'v2'].map((version) => [stream, version])))(
    '%s has its released %s snapshot',
    (stream, version) => {
      expect(released).toContain(`${DEFAULT_TOPICS[stream as Stream]}.${version}.avsc`);
    },
  );

  it.each(released)('%s', (file) => {
    const writer = Type.forSchema(JSON.parse(readFileSync(join(RELEASED_DIR, file), 'utf8')) as never);
    // The current schema as committed (in update mode: as just written), which the tests above hold to the source.
    const reader = parseTopic(streamOf(file));
    const resolver = reader.createResolver(writer); // throws when the current schema cannot read the old data
    for (let i = 0; i < 25; i++) {
      const bytes = writer.toBuffer(writer.random());
      expect(() => {
        reader.fromBuffer(bytes, resolver);
      }).not.toThrow();
    }
  });

  it('the guard catches an incompatible change (a new field without default)', () => {
    const current = SCHEMAS['async-response'];
    const incompatible = Type.forSchema({
      ...current,
      fields: [...current.fields, { name: 'added', type: 'string', doc: 'no default' }],
    } as never);
    expect(() => incompatible.createResolver(AVRO_TYPES['async-response'])).toThrow();
  });
});

describe('dead letter', () => {
  it('a DeadLetter value fits its schema and survives Avro', () => {
    const letter: DeadLetter = {
      eventId: '6f1c2a8e-3b4d-8e5f-9a0b-1c2d3e4f5a6b',
      service: 'CarrierService',
      accountName: '0000555123-00001',
      receivedAt: Date.parse('2026-03-01T10:00:00Z'),
      ingressNode: 'ingress-a',
      reasonCode: 'UNEXPECTED_ROOT',
      reasonMessage: "callback service 'CarrierService' does not send SmsCallbackRequest messages",
      redactedXml: '<s:Envelope>...<Username/><Password/>...</s:Envelope>',
      format: 'soap',
    };
    expect(avroProblems(AVRO_TYPES['dead-letter'], letter)).toEqual([]);
    expect(roundTrip(AVRO_TYPES['dead-letter'], letter).decoded).toEqual(letter);
  });
});
