/**
 * The AsyncAPI 3 document of the bridge's topics, schemas/asyncapi.yaml: generated from this folder's
 * contract (SCHEMAS and DEFAULT_TOPICS, as the .avsc files are; RECORD_HEADERS; REPLAY_HEADERS), committed,
 * and held to it byte for byte by test/unit/schemas/asyncapi.test.ts, which rewrites it with
 * UPDATE_SCHEMAS=1 and validates it with the AsyncAPI parser (schemas/README.md).
 *
 * The application the document describes is the bridge, so its operations `send` (AsyncAPI 3.0.0, Operation
 * Object: the action is what the described application does; a consumer's own document would `receive`).
 */
import { Document } from 'yaml';
import { REPLAY_HEADERS } from './archive';
import type { ReplaySource } from './archive';
import { RECORD_HEADERS } from './encode';
import { DEFAULT_TOPICS, SCHEMAS } from './schemas';
import type { Stream } from './schemas';
import type { Category } from './types';

/** The media type of the payloads: Avro schemas in JSON, as the registry holds them (.avsc). */
export const AVRO_SCHEMA_FORMAT = 'application/vnd.apache.avro+json;version=1.9.0';
/** The Kafka bindings version AsyncAPI 3.0.0 documents use (server schemaRegistryUrl, message schemaId*). */
const KAFKA_BINDING_VERSION = '0.5.0';
const LICENSE = { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' };

interface StreamDoc {
  /** The channel's id: the stream's `kafka.topics` key (TOPIC_KEYS in src/config/topics.ts; tested). */
  channel: string;
  /** What the topic holds. */
  summary: string;
}

const STREAM_DOCS: Readonly<Record<Stream, StreamDoc>> = {
  'async-response': {
    channel: 'asyncResponses',
    summary: 'Results of earlier API requests: CarrierService, DeviceUsage, SMS delivery, NIDD, ...',
  },
  'external-change': {
    channel: 'externalChanges',
    summary: 'Changes made outside the API: provisioning in a portal, promo expiry, auto-resume, alerts.',
  },
  'device-originated': {
    channel: 'deviceOriginated',
    summary: 'Messages sent by devices: SMS and NIDD data.',
  },
  'dead-letter': {
    channel: 'deadLetter',
    summary: 'Authenticated callbacks that could not be normalized into an event, with the reason.',
  },
};

const STREAMS = Object.keys(STREAM_DOCS) as Stream[];

const DESCRIPTION = `Events published by thingspace-bridge: Verizon ThingSpace callbacks (SOAP and REST),
normalized into Avro records, one topic per category, plus a dead-letter topic. The bridge is the
application described here: it sends; consumers receive on the same channels.

- **At least once.** A callback can reach Kafka more than once (ThingSpace re-sends, a spool replays after
  an outage). Deduplicate by \`eventId\`: it is derived from the callback, so every copy has the same one.
  A record with a \`${REPLAY_HEADERS.replay}\` header is a correction published by
  \`thingspace-bridge replay\`, not a copy: let it through.
- **Ordered per device.** The record key is the device (\`kind:identifier\`): one device, one partition, so
  a consumer sees each device's events in the order the bridge accepted them. The record timestamp
  (CreateTime) is the event's \`receivedAt\`.
- **Values** are in Confluent wire format: magic byte 0, the schema id (4 bytes, big-endian), Avro binary.
  The writer's schema is in the schema registry under subject \`<topic>-value\`, self-contained (no
  references); the payloads below are those schemas. Headers (UTF-8 strings) copy envelope fields, so a
  consumer can route or drop a record without decoding it.
- **Compatibility BACKWARD.** Every new schema reads all data written with the older ones: fields are added
  with defaults, payload branches at the end of the union. That is not FORWARD: a consumer on an older
  schema can fail on a new payload branch, so **consumers upgrade first**, then the bridge.

Topic names are the defaults (the operator sets them: \`kafka.topics.*\`); the server is a placeholder.`;

/** A Kafka header as an AsyncAPI (JSON Schema) property: headers are UTF-8 strings. */
const header = (description: string, more: Record<string, unknown> = {}) => ({
  type: 'string',
  description,
  ...more,
});

/** Only with `tracing.enabled`, on events and dead letters alike. */
const TRACEPARENT_HEADER = header(
  "The W3C Trace Context traceparent of the callback's span, present only when the bridge traces (config `tracing.enabled`): a consumer continues the callback's trace from it.",
  { pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$' },
);

const FORMAT_HEADER = header(
  'How the callback came: soap (XML) or rest (JSON). Read it as a string: another format may come.',
  { examples: ['soap', 'rest'] },
);

function eventHeaders(category: Category) {
  const replaySources: readonly ReplaySource[] = ['archive', 'dead-letter'];
  return {
    type: 'object',
    description:
      `Copies of envelope fields. \`${RECORD_HEADERS.payloadType}\` is absent when the event has no payload; ` +
      `\`${REPLAY_HEADERS.replay}\` and \`${REPLAY_HEADERS.mappingVersion}\` are only on events re-published ` +
      'by `thingspace-bridge replay`.',
    required: [
      RECORD_HEADERS.eventId,
      RECORD_HEADERS.service,
      RECORD_HEADERS.category,
      RECORD_HEADERS.format,
    ],
    properties: {
      [RECORD_HEADERS.eventId]: header('The eventId (a UUID): deduplicate on it.', { format: 'uuid' }),
      [RECORD_HEADERS.service]: header('The canonical callback service name, e.g. CarrierService.'),
      [RECORD_HEADERS.category]: header("The event's category: always this topic's.", { const: category }),
      [RECORD_HEADERS.payloadType]: header(
        "The payload's record name, as the envelope's payloadType: e.g. PromoChange, GenericElement.",
      ),
      [RECORD_HEADERS.format]: FORMAT_HEADER,
      [REPLAY_HEADERS.replay]: header(
        'Where a replayed body came from. The record corrects the event with its eventId: keep it.',
        { enum: replaySources },
      ),
      [REPLAY_HEADERS.mappingVersion]: header(
        'The mapping version (a decimal integer) that made a replayed event: keep the highest.',
        { pattern: '^[0-9]+$' },
      ),
      [RECORD_HEADERS.traceparent]: TRACEPARENT_HEADER,
    },
  };
}

const DEAD_LETTER_HEADERS = {
  type: 'object',
  description: 'Copies of dead-letter fields.',
  required: [
    RECORD_HEADERS.eventId,
    RECORD_HEADERS.service,
    RECORD_HEADERS.format,
    RECORD_HEADERS.reasonCode,
  ],
  properties: {
    [RECORD_HEADERS.eventId]: header("The dead letter's eventId (a UUID).", { format: 'uuid' }),
    [RECORD_HEADERS.service]: header('The callback service name as the request URL spelled it.'),
    [RECORD_HEADERS.format]: FORMAT_HEADER,
    [RECORD_HEADERS.reasonCode]: header(
      "The stable code of the error that stopped normalization (the README's error table), e.g. UNEXPECTED_ROOT.",
    ),
    [RECORD_HEADERS.traceparent]: TRACEPARENT_HEADER,
  },
};

/** The record key: a plain UTF-8 string, not Avro (the registry holds value schemas only). */
const EVENT_KEY = {
  type: 'string',
  description:
    'The partition key, UTF-8: the device as `kind:identifier` (kind lower-case; which device when there are ' +
    'several: config `normalize.kindPriority`); without a device, `request:<RequestId>`; without a RequestId ' +
    'either, `event:<eventId>`.',
  examples: ['iccid:89148000000800000001', 'request:1d6e2a3f-8b4c-4d5e-9f60-7a8b9c0d1e2f'],
};

const DEAD_LETTER_KEY = {
  type: 'string',
  description: "The dead letter's eventId, UTF-8: what could not be read has no device order to keep.",
};

/** The document as plain data, in the order it is printed. */
function asyncApi(version: string) {
  const ref = (path: string) => ({ $ref: `#/${path}` });
  const recordName = (stream: Stream) => SCHEMAS[stream].name;
  const byStream = <T>(entry: (stream: Stream) => [string, T]) => Object.fromEntries(STREAMS.map(entry));
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'ThingSpace bridge events',
      version,
      description: DESCRIPTION,
      license: LICENSE,
    },
    defaultContentType: 'application/octet-stream',
    servers: {
      kafka: {
        host: 'localhost:9092',
        protocol: 'kafka',
        description:
          "A placeholder: the brokers are the operator's (the bridge's `kafka.brokers`), and so is the schema " +
          'registry (`schemaRegistry.url`), any Confluent-compatible one.',
        bindings: {
          kafka: {
            schemaRegistryUrl: 'http://localhost:8081',
            schemaRegistryVendor: 'confluent',
            bindingVersion: KAFKA_BINDING_VERSION,
          },
        },
      },
    },
    channels: byStream((stream) => {
      const { channel, summary } = STREAM_DOCS[stream];
      const topic = DEFAULT_TOPICS[stream];
      return [
        channel,
        {
          address: topic,
          description: `${summary} The default topic name: config \`kafka.topics.${channel}\` sets it.`,
          messages: { [recordName(stream)]: ref(`components/messages/${recordName(stream)}`) },
          bindings: { kafka: { topic, bindingVersion: KAFKA_BINDING_VERSION } },
        },
      ];
    }),
    operations: byStream((stream) => {
      const { channel, summary } = STREAM_DOCS[stream];
      return [
        `send${channel[0]!.toUpperCase()}${channel.slice(1)}`,
        {
          action: 'send',
          channel: ref(`channels/${channel}`),
          summary,
          messages: [ref(`channels/${channel}/messages/${recordName(stream)}`)],
        },
      ];
    }),
    components: {
      // Once per topic: the schema registered under `<topic>-value`, self-contained.
      schemas: byStream((stream) => [
        recordName(stream),
        { schemaFormat: AVRO_SCHEMA_FORMAT, schema: SCHEMAS[stream] },
      ]),
      messages: byStream((stream) => [
        recordName(stream),
        {
          name: recordName(stream),
          summary: STREAM_DOCS[stream].summary,
          contentType: 'application/octet-stream',
          headers: stream === 'dead-letter' ? DEAD_LETTER_HEADERS : eventHeaders(stream),
          payload: ref(`components/schemas/${recordName(stream)}`),
          bindings: {
            kafka: {
              key: stream === 'dead-letter' ? DEAD_LETTER_KEY : EVENT_KEY,
              schemaIdLocation: 'payload',
              schemaIdPayloadEncoding: 'confluent',
              // Confluent's default subject naming, `<topic>-value` (valueSubject in ./encode).
              schemaLookupStrategy: 'TopicNameStrategy',
              bindingVersion: KAFKA_BINDING_VERSION,
            },
          },
        },
      ]),
    },
  };
}

/**
 * What schemas/asyncapi.yaml must hold, byte for byte.
 * @param version the package's version (package.json), the document's info.version
 */
export function asyncApiFileContent(version: string): string {
  // Shared parts (Device, the format header, ...) printed in full each time: no YAML anchors and aliases.
  const document = new Document(asyncApi(version), { aliasDuplicateObjects: false });
  document.commentBefore = [
    ' Generated from src/events/ (asyncapi.ts, schemas.ts): do not edit. Rewrite it with',
    ' UPDATE_SCHEMAS=1 npx jest test/unit/schemas --selectProjects unit (schemas/README.md).',
    ' The application described is the bridge, so its operations send: in AsyncAPI 3 an operation is what the',
    ' described application does. Consumers receive on these channels.',
  ].join('\n');
  return document.toString({ lineWidth: 0, blockQuote: 'literal', singleQuote: true });
}
