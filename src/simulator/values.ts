/** What every message of the simulator varies, whatever its format: ./templates.ts and ./json-template.ts. */
import type { Secret } from '../util/secret';

/** The delivery attempts the platform makes: the first and three more (§3). */
export const MAX_ATTEMPTS = 4;

/** What one message gets: the registration's credentials, its RequestId, its serial, its attempt. */
export interface MessageValues {
  username: string;
  password: Secret;
  requestId: string;
  /** Varies the device identifiers: different serials, different devices. */
  serial: number;
  /** 1 for the first attempt. */
  callbackCount: number;
}

/**
 * The identifier with its last 4 characters replaced by the serial, in its own alphabet (decimal, or hex in the
 * identifier's letter case), so it keeps its length and kind: an MDN stays 10 digits, a 9-digit one stays an
 * anomaly. Shorter or other identifiers stay as they are.
 */
export function varyIdentifier(text: string, serial: number): string {
  const value = text.trim();
  if (value.length < 4) return text;
  const head = value.slice(0, -4);
  let tail: string;
  if (/^\d+$/.test(value)) tail = String(serial % 10_000).padStart(4, '0');
  else if (/^[0-9a-f]+$/i.test(value)) {
    tail = (serial % 0x10000).toString(16).padStart(4, '0');
    if (/[A-F]/.test(value)) tail = tail.toUpperCase();
  } else return text;
  return text.replace(value, head + tail);
}
