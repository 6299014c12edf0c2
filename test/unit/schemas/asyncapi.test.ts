/**
 * schemas/asyncapi.yaml: what src/events/asyncapi.ts generates, byte for byte (rewritten with UPDATE_SCHEMAS=1, as
 * the .avsc files are), and a valid AsyncAPI 3 document to the AsyncAPI initiative's own parser, with its Avro
 * schema parser registered so that the payloads are checked as Avro too.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AvroSchemaParser } from '@asyncapi/avro-schema-parser';
import { Parser } from '@asyncapi/parser';
import type { AsyncAPIDocumentInterface, Diagnostic } from '@asyncapi/parser';
import { TOPIC_KEYS } from '../../../src/config/topics';
import { REPLAY_HEADERS } from '../../../src/events/archive';
import { AVRO_SCHEMA_FORMAT, asyncApiFileContent } from '../../../src/events/asyncapi';
import { RECORD_HEADERS } from '../../../src/events/encode';
import { DEFAULT_TOPICS, SCHEMAS } from '../../../src/events/schemas';
import type { Stream } from '../../../src/events/schemas';

const ROOT = join(__dirname, '..', '..', '..');
const FILE = join(ROOT, 'schemas', 'asyncapi.yaml');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const STREAMS = Object.keys(DEFAULT_TOPICS) as Stream[];
const UPDATE = process.env.UPDATE_SCHEMAS === '1';
/** Where the parser keeps a payload as written when a schema parser (here Avro's) converted it. */
const ORIGINAL_PAYLOAD = 'x-parser-original-payload';

/**
 * Spectral's DiagnosticSeverity values. Not its enum: the parser's types come from two copies of @stoplight/types,
 * whose enums TypeScript (and the lint) cannot compare.
 */
const ERROR = 0;
const WARNING = 1;

const parser = new Parser();
parser.registerSchemaParser(AvroSchemaParser());

const describeDiagnostics = (diagnostics: Diagnostic[]) =>
  diagnostics.map(({ code, message, path }) => `${String(code)} at ${path.join('/')}: ${message}`);
const errors = (diagnostics: Diagnostic[]) =>
  describeDiagnostics(diagnostics.filter(({ severity }) => Number(severity) === ERROR));

let text: string;
let diagnostics: Diagnostic[];
let document: AsyncAPIDocumentInterface;

beforeAll(async () => {
  // UPDATE_SCHEMAS=1 (schemas/README.md) writes the file first; the checks below then parse what was written.
  if (UPDATE) writeFileSync(FILE, asyncApiFileContent(VERSION));
  text = readFileSync(FILE, 'utf8');
  const parsed = await parser.parse(text);
  diagnostics = parsed.diagnostics;
  if (!parsed.document) throw new Error(`not parsed:\n${describeDiagnostics(diagnostics).join('\n')}`);
  document = parsed.document;
});

describe('schemas/asyncapi.yaml', () => {
  if (!UPDATE) {
    it('is what src/events/asyncapi.ts generates', () => {
      if (text !== asyncApiFileContent(VERSION)) {
        throw new Error(
          `${FILE} differs from src/events/asyncapi.ts. Regenerate it with ` +
            '`UPDATE_SCHEMAS=1 npx jest test/unit/schemas --selectProjects unit`, then commit both.',
        );
      }
    });
  }

  it('is valid AsyncAPI 3.0.0: no error, no warning', () => {
    expect(document.version()).toBe('3.0.0');
    expect(document.info().version()).toBe(VERSION);
    // Left: the information that 3.1.0 exists (3.0.0 is what most tools read today).
    const notices = diagnostics.filter(({ severity }) => Number(severity) <= WARNING);
    expect(describeDiagnostics(notices)).toEqual([]);
  });

  it('has one channel per topic, named by its config key, addressed by the default topic name', () => {
    const channels = document.channels().all();
    expect(channels.map((channel) => [channel.id(), channel.address()])).toEqual(
      STREAMS.map((stream) => [TOPIC_KEYS[stream], DEFAULT_TOPICS[stream]]),
    );
  });

  it('the bridge sends on every channel', () => {
    const operations = document.operations().all();
    expect(operations.map((operation) => [operation.action(), operation.channels().all()[0]?.id()])).toEqual(
      STREAMS.map((stream) => ['send', TOPIC_KEYS[stream]]),
    );
  });

  it.each(STREAMS)("%s: the message's payload is the Avro schema registered for the topic", (stream) => {
    const [message, ...others] = document.channels().get(TOPIC_KEYS[stream])!.messages().all();
    expect(others).toEqual([]);
    const payload = message!.payload()!;
    expect(payload.schemaFormat()).toBe(AVRO_SCHEMA_FORMAT);
    expect(payload.json<Record<string, unknown>>()[ORIGINAL_PAYLOAD]).toEqual(SCHEMAS[stream]);
    // The Avro parser read it: its JSON Schema view has the record's fields.
    expect(Object.keys(payload.properties() ?? {})).toEqual(SCHEMAS[stream].fields.map(({ name }) => name));
  });

  it.each(STREAMS)('%s: the headers, the key and the registry framing of the records', (stream) => {
    const message = document.channels().get(TOPIC_KEYS[stream])!.messages().all()[0]!;
    const headers = message.headers()!;
    const { eventId, service, category, payloadType, format, reasonCode, traceparent } = RECORD_HEADERS;
    if (stream === 'dead-letter') {
      expect(Object.keys(headers.properties()!)).toEqual([eventId, service, format, reasonCode, traceparent]);
      expect(headers.required()).toEqual([eventId, service, format, reasonCode]);
    } else {
      expect(Object.keys(headers.properties()!)).toEqual([
        eventId,
        service,
        category,
        payloadType,
        format,
        REPLAY_HEADERS.replay,
        REPLAY_HEADERS.mappingVersion,
        traceparent,
      ]);
      expect(headers.required()).toEqual([eventId, service, category, format]);
      expect(headers.properties()![category]!.const()).toBe(stream);
    }
    const kafka = message.bindings().get('kafka')!.value<Record<string, unknown>>();
    expect(kafka).toMatchObject({
      key: { type: 'string' },
      schemaIdLocation: 'payload',
      schemaIdPayloadEncoding: 'confluent',
      schemaLookupStrategy: 'TopicNameStrategy',
    });
  });

  it('names the schema registry on the Kafka server', () => {
    const [server, ...others] = document.servers().all();
    expect(others).toEqual([]);
    expect(server!.protocol()).toBe('kafka');
    expect(server!.bindings().get('kafka')!.value()).toMatchObject({ schemaRegistryVendor: 'confluent' });
  });
});

it('the validation catches an unknown Kafka binding field and a payload that is no Avro schema', async () => {
  const broken = text
    .replace('schemaIdPayloadEncoding:', 'schemaIdEncoding:')
    .replace('type: record', 'type: recrod');
  const found = errors((await parser.parse(broken)).diagnostics).join('\n');
  expect(found).toMatch(/bindings\/kafka\/schemaIdEncoding: Property "schemaIdEncoding" is not expected/);
  expect(found).toMatch(/components\/schemas\/AsyncResponseEvent\/schema\/type: /);
});
