import type { RawDevice } from '../message/types';
import type { Device } from '../events/types';

/**
 * The identifier kinds ThingSpace names (THINGSPACE.md §2), lower-cased, in the default order of preference for
 * the partition key: stable hardware ids first, numbers that can be reassigned last.
 */
export const DEVICE_KINDS = ['imei', 'meid', 'esn', 'eid', 'iccid', 'imsi', 'mdn', 'msisdn', 'min'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/**
 * What an identifier of each kind looks like, tested against the upper-cased identifier. THINGSPACE.md §2 gives
 * ESN (decimal; yet a published device-SMS example carries 8 hex digits), MEID (hex), IMEI (up to 16 digits),
 * ICCID (up to 20 digits) and MDN (10 digits); the others come from their standards. A Record so that every kind
 * must have one; looked up through a Map, so that a kind such as "constructor" finds nothing.
 */
const FORMAT_OF: Readonly<Record<DeviceKind, RegExp>> = {
  esn: /^(?:\d{11}|[0-9A-F]{8})$/,
  meid: /^[0-9A-F]{14}$/,
  imei: /^\d{1,16}$/,
  iccid: /^\d{1,20}$/,
  mdn: /^\d{10}$/,
  min: /^\d{10}$/, // TIA/EIA-95: 10 digits
  msisdn: /^\d{1,15}$/, // ITU-T E.164: at most 15 digits
  imsi: /^\d{6,15}$/, // 3GPP TS 23.003: MCC + MNC + MSIN, at most 15 digits
  eid: /^\d{32}$/, // GSMA SGP.29: 32 digits
};
const FORMATS: ReadonlyMap<string, RegExp> = new Map(Object.entries(FORMAT_OF));

/** Anomaly codes are metric labels: a bounded set, never the identifier or an arbitrary kind. */
export type DeviceAnomaly = 'unknown-device-kind' | `identifier-not-fitting-kind:${string}`;

/**
 * Kind lower-cased (real messages say `Mdn`, `iccId`: THINGSPACE.md §2). The identifier is trimmed, and
 * upper-cased when the result fits its kind (hex ESN and MEID come in either case); one that does not fit, or
 * whose kind is unknown, stays exactly as it came. No character is ever dropped: the identifier is the device's
 * name downstream, and a "cleaned" one could name another device.
 */
export function normalizeDevice(raw: RawDevice): Device {
  const kind = raw.kind.trim().toLowerCase();
  const identifier = raw.identifier.trim();
  const upper = identifier.toUpperCase();
  return { kind, identifier: FORMATS.get(kind)?.test(upper) ? upper : identifier };
}

/** Why a normalized device looks wrong for its kind, if it does: counted by the ingress, never rejected. */
export function deviceAnomaly(device: Device): DeviceAnomaly | undefined {
  const format = FORMATS.get(device.kind);
  if (!format) return 'unknown-device-kind';
  return format.test(device.identifier) ? undefined : `identifier-not-fitting-kind:${device.kind}`;
}
