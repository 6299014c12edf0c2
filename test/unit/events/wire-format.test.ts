import { Type } from 'avsc';
import { decodeWireFormat, encodeWireFormat } from '../../../src/events/wire-format';

const type = Type.forSchema({
  type: 'record',
  name: 'WireTest',
  namespace: 'thingspace.bridge.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'count', type: 'int' },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
});

describe('Confluent wire format', () => {
  it('is magic byte 0, the schema id as big-endian int32, then the Avro binary encoding', () => {
    const value = { id: 'mdn:5550000001', count: 7, note: 'hi' };
    const encoded = encodeWireFormat(type, 0x01020304, value);
    expect(encoded[0]).toBe(0);
    expect([...encoded.subarray(1, 5)]).toEqual([1, 2, 3, 4]);
    expect(encoded.subarray(5).equals(type.toBuffer(value))).toBe(true);
    expect(encoded).toHaveLength(5 + type.toBuffer(value).length);
  });

  it('returns an independent buffer per call (the scratch buffer is not shared with callers)', () => {
    const a = encodeWireFormat(type, 1, { id: 'a', count: 1, note: null });
    const b = encodeWireFormat(type, 1, { id: 'bbbbbbbb', count: 2, note: null });
    expect(type.fromBuffer(decodeWireFormat(a).avro)).toEqual({ id: 'a', count: 1, note: null });
    expect(type.fromBuffer(decodeWireFormat(b).avro)).toEqual({ id: 'bbbbbbbb', count: 2, note: null });
  });

  it('encodes values larger than the scratch buffer, and smaller ones after that', () => {
    const big = { id: 'x'.repeat(300_000), count: -1, note: 'y'.repeat(70_000) };
    const encoded = encodeWireFormat(type, 42, big);
    expect(encoded.subarray(5).equals(type.toBuffer(big))).toBe(true);
    expect(decodeWireFormat(encodeWireFormat(type, 42, { id: 's', count: 0, note: null })).schemaId).toBe(42);
  });

  it('decodes to the schema id and a view of the Avro bytes', () => {
    const value = { id: 'iccid:8914800000000000001', count: 2_147_483_647, note: null };
    const { schemaId, avro } = decodeWireFormat(encodeWireFormat(type, 2_147_483_647, value));
    expect(schemaId).toBe(2_147_483_647);
    expect(type.fromBuffer(avro)).toEqual(value);
  });

  it('rejects a value that does not match the type, a schema id outside int32', () => {
    expect(() => encodeWireFormat(type, 1, { id: 'a', count: 1.5, note: null })).toThrow(/invalid/i);
    expect(() => encodeWireFormat(type, 1, { count: 1 })).toThrow(/invalid/i);
    expect(() => encodeWireFormat(type, 2 ** 31, { id: 'a', count: 1, note: null })).toThrow(/out of range/);
  });

  it('refuses to decode what is not wire format', () => {
    expect(() => decodeWireFormat(Buffer.from([1, 0, 0, 0, 1, 2]))).toThrow(/magic byte/);
    expect(() => decodeWireFormat(Buffer.from([0, 0, 0]))).toThrow(/got 3 bytes/);
  });
});
