/**
 * Readers of the typed REST fields whose text must parse: each returns null for a text it cannot take, and
 * ElementReader.parsed then leaves that text in `other`, so nothing is lost.
 */
import type { Device } from '../../events/types';
import { normalizeDevice } from '../devices';
import type { ElementReader } from '../fields';

const INTEGER = /^[-+]?\d+$/;
const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);

/** An Avro int: decimal digits within 32 bits. JSON numbers arrive as written (`3`, `3.0`, `3e0`): only `3` is one. */
export function int32(text: string): number | null {
  if (!INTEGER.test(text)) return null;
  const value = Number(text);
  return value >= INT32_MIN && value <= INT32_MAX ? value : null;
}

/** An Avro long as avsc holds it: a JS number, so only what is exact in one (up to 2^53 - 1). */
export function safeLong(text: string): number | null {
  if (!INTEGER.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * RFC 4648 base64, standard alphabet, padded: Buffer.from(text, 'base64') alone would skip what it cannot read
 * and hand back bytes the device never sent. The round trip also refuses non-zero unused bits (`QR==`).
 */
export function base64Bytes(text: string): Buffer | null {
  if (!BASE64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

/** The element's own `deviceIds` list, normalized; empty without one. */
export function deviceIdsOf(element: ElementReader): Device[] {
  return element.child('deviceIds')?.devices().map(normalizeDevice) ?? [];
}
