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
  /** Only where the value alone does not say it all: an archive record (archive.ts), a replayed event. */
  headers?: Record<string, string>;
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

interface Target {
  topic: string;
  type: Type;
  schemaId: number;
}

/**
 * @param topics the topic of each stream
 * @param schemaIds schema id by subject, as resolveSchemaIds returned them; every topic's subject must be there
 */
export function createEventEncoder(
  topics: Readonly<Record<Stream, string>>,
  schemaIds: ReadonlyMap<string, number>,
): EventEncoder {
  const target = (stream: Stream): Target => {
    const topic = topics[stream];
    const schemaId = schemaIds.get(valueSubject(topic));
    if (schemaId === undefined) throw new Error(`no schema id for subject ${valueSubject(topic)}`);
    return { topic, type: AVRO_TYPES[stream], schemaId };
  };
  const byCategory = {
    'async-response': target('async-response'),
    'external-change': target('external-change'),
    'device-originated': target('device-originated'),
  };
  const deadLetter = target('dead-letter');

  return {
    encodeEvent({ category, key, event }) {
      const { topic, type, schemaId } = byCategory[category];
      return { topic, key, value: encodeWireFormat(type, schemaId, event), eventId: event.eventId };
    },
    encodeDeadLetter(letter) {
      return {
        topic: deadLetter.topic,
        key: letter.eventId,
        value: encodeWireFormat(deadLetter.type, deadLetter.schemaId, letter),
        eventId: letter.eventId,
      };
    },
  };
}
