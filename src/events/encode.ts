/**
 * The encode step: an event becomes a Kafka record of its topic, its value in Confluent wire format with the
 * schema id resolved at boot, and headers that let a consumer route or drop it without decoding (RECORD_HEADERS).
 * Synchronous and allocation-light: the Avro types and ids are looked up once here.
 */
import type { Type } from 'avsc';
import { encodeWireFormat } from './wire-format';
import { AVRO_TYPES } from './avro';
import type { Stream } from './schemas';
import type { CallbackEvent, Category, DeadLetter } from './types';

/** An event with its category (hence topic) and partition key: what the normalize step gives to encode. */
export interface KeyedEvent {
  category: Category;
  key: string;
  event: CallbackEvent;
}

/** A record ready for delivery; the eventId goes along for a spool and its logs. */
export interface EncodedRecord {
  topic: string;
  key: string;
  value: Buffer;
  eventId: string;
  /** Set when the subject had no schema id yet: the value holds UNRESOLVED_SCHEMA_ID until framed (delivery.ts). */
  schemaSubject?: string;
  /** RECORD_HEADERS on events and dead letters; an archive record's (archive.ts); a replay's added (remap.ts). */
  headers?: Record<string, string>;
  /** The Kafka record's timestamp (CreateTime), epoch ms: when the callback was received. */
  timestamp: number;
}

export interface EventEncoder {
  encodeEvent(keyed: KeyedEvent): EncodedRecord;
  /** Dead letters are keyed by their id: there is no per-device order to keep for what could not be read. */
  encodeDeadLetter(letter: DeadLetter): EncodedRecord;
}

/**
 * The header names of event and dead-letter records: a copy of envelope fields, kebab-case like the archive's
 * (archive.ts). Part of the contract (schemas/asyncapi.yaml, docs/consuming.md): rename none.
 */
export const RECORD_HEADERS = {
  eventId: 'event-id',
  service: 'service',
  /** Events only: the category, as the envelope's. */
  category: 'category',
  /** Events only, and only when the event has a payload: the payload's record name (envelope `payloadType`). */
  payloadType: 'payload-type',
  format: 'format',
  /** Dead letters only: the reason code. */
  reasonCode: 'reason-code',
  /**
   * Only with `tracing.enabled`: the W3C traceparent of the callback's span (src/ingress/tracing.ts), for a
   * consumer to continue the trace.
   */
  traceparent: 'traceparent',
} as const;

function eventHeaders(event: CallbackEvent): Record<string, string> {
  const headers: Record<string, string> = {
    [RECORD_HEADERS.eventId]: event.eventId,
    [RECORD_HEADERS.service]: event.service,
    [RECORD_HEADERS.category]: event.category,
    [RECORD_HEADERS.format]: event.format,
  };
  if (event.payloadType !== null) headers[RECORD_HEADERS.payloadType] = event.payloadType;
  return headers;
}

function deadLetterHeaders(letter: DeadLetter): Record<string, string> {
  return {
    [RECORD_HEADERS.eventId]: letter.eventId,
    [RECORD_HEADERS.service]: letter.service,
    [RECORD_HEADERS.format]: letter.format,
    [RECORD_HEADERS.reasonCode]: letter.reasonCode,
  };
}

/** Key, value and headers: what counts against Kafka's record and batch limits. */
export function recordBytes({
  key,
  value,
  headers,
}: Pick<EncodedRecord, 'key' | 'value' | 'headers'>): number {
  let bytes = Buffer.byteLength(key) + value.length;
  if (headers)
    for (const name in headers) bytes += Buffer.byteLength(name) + Buffer.byteLength(headers[name]!);
  return bytes;
}

/** Confluent's default subject naming (TopicNameStrategy). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/** The placeholder id of a value encoded before its subject's id was known; no registry hands out 0. */
export const UNRESOLVED_SCHEMA_ID = 0;

interface Target {
  topic: string;
  subject: string;
  type: Type;
}

/**
 * @param topics the topic of each stream
 * @param schemaIds schema id by subject, as resolveSchemaIds returned them. Read at each encoding: a node booted
 *   into the spool encodes before the registry answered (the ids are then filled in), its records marked so.
 */
export function createEventEncoder(
  topics: Readonly<Record<Stream, string>>,
  schemaIds: ReadonlyMap<string, number>,
): EventEncoder {
  const target = (stream: Stream): Target => {
    const topic = topics[stream];
    return { topic, subject: valueSubject(topic), type: AVRO_TYPES[stream] };
  };
  const byCategory = {
    'async-response': target('async-response'),
    'external-change': target('external-change'),
    'device-originated': target('device-originated'),
  };
  const deadLetter = target('dead-letter');

  function encode(
    { topic, subject, type }: Target,
    key: string,
    value: CallbackEvent | DeadLetter,
    headers: Record<string, string>,
  ) {
    const schemaId = schemaIds.get(subject);
    const record: EncodedRecord = {
      topic,
      key,
      value: encodeWireFormat(type, schemaId ?? UNRESOLVED_SCHEMA_ID, value),
      eventId: value.eventId,
      headers,
      timestamp: value.receivedAt,
    };
    if (schemaId === undefined) record.schemaSubject = subject;
    return record;
  }

  return {
    encodeEvent: ({ category, key, event }) => encode(byCategory[category], key, event, eventHeaders(event)),
    encodeDeadLetter: (letter) => encode(deadLetter, letter.eventId, letter, deadLetterHeaders(letter)),
  };
}
