/**
 * avsc Types of the four topic schemas, compiled once at module load: encoding an event pays nothing for
 * schema handling. Default avsc options on purpose: unions of several records are wrapped (`{ "<full name>":
 * value }`, as in src/events/types.ts), timestamp-millis stays a plain number of milliseconds.
 */
import { Type } from 'avsc';
import { SCHEMAS } from './schemas';
import type { Stream } from './schemas';

type AvscSchema = Parameters<typeof Type.forSchema>[0];

function compile(stream: Stream): Type {
  // avsc's typings are incomplete (see the note atop its index.d.ts); avsc itself validates the schema here.
  return Type.forSchema(SCHEMAS[stream] as unknown as AvscSchema);
}

export const AVRO_TYPES: Readonly<Record<Stream, Type>> = {
  'async-response': compile('async-response'),
  'external-change': compile('external-change'),
  'device-originated': compile('device-originated'),
  'dead-letter': compile('dead-letter'),
};
