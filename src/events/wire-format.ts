/**
 * The Confluent wire format of a record value: magic byte 0, the schema id as a big-endian int32, then the Avro
 * binary encoding. Consumers using any Confluent deserializer read our events with the registry alone.
 */
import type { Type } from 'avsc';

const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;

/**
 * Reused for every encoding (encoding is synchronous, so one buffer suffices); grows to the largest event seen,
 * which the HTTP body limit bounds. avsc's own toBuffer works the same way, but without room for our header.
 */
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * Encodes `value` with a prebuilt avsc Type (built once at boot) into a new buffer of exactly the wire size: the
 * Avro bytes go to the scratch buffer first, so the only allocation per call is the result. avsc validates while
 * writing and throws on a value that does not match the type.
 */
export function encodeWireFormat(type: Type, schemaId: number, value: unknown): Buffer {
  let end = type.encode(value, scratch, HEADER_BYTES);
  if (end < 0) {
    // A negative result is the number of bytes missing.
    scratch = Buffer.allocUnsafe(2 * (scratch.length - end));
    end = type.encode(value, scratch, HEADER_BYTES);
  }
  const out = Buffer.allocUnsafe(end);
  out[0] = MAGIC_BYTE;
  out.writeInt32BE(schemaId, 1);
  scratch.copy(out, HEADER_BYTES, HEADER_BYTES, end);
  return out;
}

/** Writes the schema id into an encoded value whose id was not known when it was encoded (a placeholder). */
export function setSchemaId(value: Buffer, schemaId: number): void {
  value.writeInt32BE(schemaId, 1);
}

export interface WireFormatValue {
  schemaId: number;
  /** The Avro binary encoding, a view into the input (no copy). */
  avro: Buffer;
}

/** Splits a wire-format value into schema id and Avro bytes; for tests and tools (the bridge only writes). */
export function decodeWireFormat(buffer: Buffer): WireFormatValue {
  if (buffer.length < HEADER_BYTES || buffer[0] !== MAGIC_BYTE) {
    throw new Error(
      `Not Confluent wire format: expected magic byte ${MAGIC_BYTE} and a 4-byte schema id, got ${buffer.length} bytes starting ${buffer.subarray(0, HEADER_BYTES).toString('hex')}`,
    );
  }
  return { schemaId: buffer.readInt32BE(1), avro: buffer.subarray(HEADER_BYTES) };
}
