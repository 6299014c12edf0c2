import type { CallbackEvent, DeadLetter } from '../events/types';
import { decodeWireFormat, type WireFormatValue } from '../events/wire-format';
import { ConsumerError } from './errors';
import type { WriterSchemas } from './writer-schemas';

/** A decoded record value: an event of a category topic, or a dead letter, as the current contract has them. */
export type DecodedRecord =
  | { kind: 'event'; schemaId: number; event: CallbackEvent }
  | { kind: 'dead-letter'; schemaId: number; deadLetter: DeadLetter };

/**
 * Decodes a record value (Confluent wire format) written with any released version of the contract or the
 * current one. The first record of a schema id fetches and resolves its writer schema; later ones reuse it.
 * Throws a ConsumerError with a catalogue code (src/errors.ts, scope `consumer`).
 */
export async function decodeEvent(
  value: Buffer | null | undefined,
  schemas: WriterSchemas,
): Promise<DecodedRecord> {
  const { schemaId, avro } = splitWireFormat(value);
  const reader = await schemas.readerOf(schemaId);
  const decoded = reader.read(avro);
  return reader.stream === 'dead-letter'
    ? { kind: 'dead-letter', schemaId, deadLetter: decoded as DeadLetter }
    : { kind: 'event', schemaId, event: decoded as CallbackEvent };
}

function splitWireFormat(value: Buffer | null | undefined): WireFormatValue {
  if (value === null || value === undefined) {
    throw new ConsumerError('CONSUMER_NOT_WIRE_FORMAT', 'the record has no value (a tombstone)');
  }
  try {
    return decodeWireFormat(value);
  } catch (err) {
    throw new ConsumerError('CONSUMER_NOT_WIRE_FORMAT', (err as Error).message, { cause: err });
  }
}
