/**
 * JSON (REST) callback templates, the twin of the SOAP ones in ./templates.ts: a fixture is parsed once (our own
 * file, small and trusted, so JSON.parse is fine here) and a message is that value with the changing places
 * filled in, serialized compactly in the fixture's key order.
 *
 *   username, password (top level)        the registration's credentials
 *   requestId (top level)                 a fresh one per message, when the fixture has one
 *   every `id` beside a `kind`, any depth  varied like the SOAP identifiers (varyIdentifier)
 *   callbackCount (top level)             the attempt number; maxCallbackThreshold 4 added when absent
 */
import type { CallbackRoot } from '../message/types';
import { MAX_ATTEMPTS, varyIdentifier, type MessageValues } from './values';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface JsonTemplateBody {
  root: CallbackRoot;
  /** A device SMS (top-level smsMessage) or NIDD data sent by a device (niddMONotificationResponse, §6). */
  fromDevice: boolean;
  value: { [key: string]: Json };
}

/** Reads a fixture; throws when it is not a JSON object. */
export function compileJsonBody(name: string, source: string): JsonTemplateBody {
  const value = JSON.parse(source) as Json;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`template ${name}: not a JSON object`);
  }
  const sms = typeof value.smsMessage === 'string';
  const nidd = value.niddResponse;
  const niddFromDevice =
    nidd !== null && typeof nidd === 'object' && !Array.isArray(nidd) && 'niddMONotificationResponse' in nidd;
  return { root: sms ? 'SmsCallbackRequest' : 'CallbackRequest', fromDevice: sms || niddFromDevice, value };
}

export function renderJson({ value }: JsonTemplateBody, values: MessageValues): string {
  const message: { [key: string]: Json } = {
    ...value,
    username: values.username,
    password: values.password.reveal(),
    callbackCount: values.callbackCount,
    maxCallbackThreshold: value.maxCallbackThreshold ?? MAX_ATTEMPTS,
  };
  if (typeof value.requestId === 'string') message.requestId = values.requestId;
  return JSON.stringify(withIdentifiers(message, values.serial));
}

/** A copy with every device identifier (`id` beside a `kind`) varied by the serial. */
function withIdentifiers(value: Json, serial: number): Json {
  if (Array.isArray(value)) return value.map((item) => withIdentifiers(item, serial));
  if (value === null || typeof value !== 'object') return value;
  const copy: { [key: string]: Json } = {};
  for (const [key, member] of Object.entries(value)) copy[key] = withIdentifiers(member, serial);
  if (typeof copy.id === 'string' && typeof copy.kind === 'string') copy.id = varyIdentifier(copy.id, serial);
  return copy;
}
