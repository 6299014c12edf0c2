/**
 * The encode step: an event becomes a Kafka record of its topic, its value in Confluent wire format with the
 * schema id resolved at boot. Synchronous and allocation-light: the Avro types and ids are looked up once here.
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
  /** Only where the value alone does not say it all: an archive record (archive.ts), a replayed event. */
  headers?: Record<string, string>;
  /** The Kafka record's timestamp (CreateTime), epoch ms: when the callback was received. */
  timestamp: number;
}

export interface EventEncoder {
  encodeEvent(keyed: KeyedEvent): EncodedRecord;
  /** Dead letters are keyed by their id: there is no per-device order to keep for what could not be read. */
  encodeDeadLetter(letter: DeadLetter): EncodedRecord;
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

  function encode({ topic, subject, type }: Target, key: string, value: CallbackEvent | DeadLetter) {
    const schemaId = schemaIds.get(subject);
    const record: EncodedRecord = {
      topic,
      key,
      value: encodeWireFormat(type, schemaId ?? UNRESOLVED_SCHEMA_ID, value),
      eventId: value.eventId,
      timestamp: value.receivedAt,
    };
    if (schemaId === undefined) record.schemaSubject = subject;
    return record;
  }

  return {
    encodeEvent: ({ category, key, event }) => encode(byCategory[category], key, event),
    encodeDeadLetter: (letter) => encode(deadLetter, letter.eventId, letter),
  };
}
