/**
 * The spool's record framing: [u32 length][u32 crc32 of the payload][payload], big-endian. The payload holds one
 * encoded record (topic, key, headers, eventId, schema subject while unframed, timestamp, value) and the time it was appended. The checksum is what tells a
 * torn or corrupt tail (a crash mid-write) from a record, so the scan on open can cut the log there.
 */
import { crc32 } from 'node:zlib';

export interface SpoolRecord {
  topic: string;
  key: string;
  /** The encoded value (Confluent wire format), exactly as it would have gone to Kafka. */
  value: Buffer;
  headers?: Record<string, string>;
  /** For logs only: the event's id, so a record can be followed from request to replay. */
  eventId?: string;
  /** The value's schema id is a placeholder, to be set from this subject's id before it goes to Kafka. */
  schemaSubject?: string;
  /** The Kafka timestamp the record is to have (epoch ms), kept through the spool. */
  timestamp?: number;
}

export interface DecodedRecord extends SpoolRecord {
  /** Date.now() when it was appended. */
  appendedAt: number;
}

export const FRAME_HEADER_BYTES = 8;
const VERSION = 1;
/** version (1) + appendedAt (8) + meta length (4). */
const PAYLOAD_PREFIX = 13;
/** Far beyond any record the bridge encodes (bodies are capped at a few MiB): a larger length is corruption. */
export const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

export function encodeFrame(record: SpoolRecord, appendedAt: number): Buffer {
  const meta = Buffer.from(
    JSON.stringify({
      t: record.topic,
      k: record.key,
      ...(record.headers ? { h: record.headers } : {}),
      ...(record.eventId !== undefined ? { e: record.eventId } : {}),
      ...(record.schemaSubject !== undefined ? { s: record.schemaSubject } : {}),
      ...(record.timestamp !== undefined ? { c: record.timestamp } : {}),
    }),
  );
  const payloadBytes = PAYLOAD_PREFIX + meta.length + record.value.length;
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadBytes);
  frame.writeUInt32BE(payloadBytes, 0);
  let at = FRAME_HEADER_BYTES;
  frame.writeUInt8(VERSION, at);
  frame.writeDoubleBE(appendedAt, at + 1);
  frame.writeUInt32BE(meta.length, at + 9);
  at += PAYLOAD_PREFIX;
  meta.copy(frame, at);
  record.value.copy(frame, at + meta.length);
  frame.writeUInt32BE(crc32(frame.subarray(FRAME_HEADER_BYTES)), 4);
  return frame;
}

export type FrameResult =
  | { ok: true; record: DecodedRecord; bytes: number }
  /** Not enough bytes for the frame its header announces: the rest must be read, or it is a torn tail. */
  | { ok: false; reason: 'incomplete'; needed: number }
  | { ok: false; reason: 'corrupt'; detail: string };

/** Decodes the frame at `offset` of `buf`. Never throws. */
export function decodeFrame(buf: Buffer, offset = 0): FrameResult {
  const available = buf.length - offset;
  if (available < FRAME_HEADER_BYTES) return { ok: false, reason: 'incomplete', needed: FRAME_HEADER_BYTES };
  const length = buf.readUInt32BE(offset);
  if (length < PAYLOAD_PREFIX || length > MAX_PAYLOAD_BYTES) {
    return { ok: false, reason: 'corrupt', detail: `impossible length ${length}` };
  }
  const bytes = FRAME_HEADER_BYTES + length;
  if (available < bytes) return { ok: false, reason: 'incomplete', needed: bytes };
  const payload = buf.subarray(offset + FRAME_HEADER_BYTES, offset + bytes);
  if (crc32(payload) !== buf.readUInt32BE(offset + 4)) {
    return { ok: false, reason: 'corrupt', detail: 'checksum mismatch' };
  }
  if (payload.readUInt8(0) !== VERSION) {
    return { ok: false, reason: 'corrupt', detail: `unknown version ${payload.readUInt8(0)}` };
  }
  const appendedAt = payload.readDoubleBE(1);
  const metaLength = payload.readUInt32BE(9);
  if (PAYLOAD_PREFIX + metaLength > length) return { ok: false, reason: 'corrupt', detail: 'meta overruns' };
  try {
    const meta = JSON.parse(payload.toString('utf8', PAYLOAD_PREFIX, PAYLOAD_PREFIX + metaLength)) as {
      t: string;
      k: string;
      h?: Record<string, string>;
      e?: string;
      s?: string;
      c?: number;
    };
    // A copy: the read buffer is reused for the next chunk and must not be pinned by a queued record.
    const value = Buffer.from(payload.subarray(PAYLOAD_PREFIX + metaLength));
    return {
      ok: true,
      bytes,
      record: {
        topic: meta.t,
        key: meta.k,
        value,
        ...(meta.h ? { headers: meta.h } : {}),
        ...(meta.e !== undefined ? { eventId: meta.e } : {}),
        ...(meta.s !== undefined ? { schemaSubject: meta.s } : {}),
        ...(meta.c !== undefined ? { timestamp: meta.c } : {}),
        appendedAt,
      },
    };
  } catch {
    return { ok: false, reason: 'corrupt', detail: 'unreadable meta' };
  }
}
