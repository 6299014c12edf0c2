import type { ParsedCallback } from '../message/types';
import type { Device } from '../events/types';
import { deviceAnomaly } from './devices';
import type { DeviceAnomaly } from './devices';

/** The children THINGSPACE.md §2 lists for `Data`, in its order; any other (a nested `Data` included) is news. */
export const DOCUMENTED_DATA_CHILDREN: readonly string[] = [
  'CarrierService',
  'ExternalProvisioningChange',
  'PromoChange',
  'Usage',
  'SMSDelivery',
  'PRLInformation',
  'DeviceSuspendStatus',
  'Fault',
  'Comment',
  'Summary',
  'Status',
];
const DOCUMENTED: ReadonlySet<string> = new Set(DOCUMENTED_DATA_CHILDREN.map((name) => name.toLowerCase()));

/**
 * What a message did that the platform's documentation does not lead us to expect. Never a reason to reject:
 * the event carries the data as it came, and the ingress counts these in a metric, so the set is bounded.
 */
export type Anomaly = DeviceAnomaly | 'unknown-data-child' | 'unknown-root-element';

/** Distinct anomalies of one message; `devices` are all its normalized devices, payload identifiers included. */
export function anomaliesOf(parsed: ParsedCallback, devices: readonly Device[]): Anomaly[] {
  const found = new Set<Anomaly>();
  for (const device of devices) {
    const anomaly = deviceAnomaly(device);
    if (anomaly) found.add(anomaly);
  }
  if (parsed.payload.some((child) => !DOCUMENTED.has(child.name.toLowerCase()))) {
    found.add('unknown-data-child');
  }
  if (parsed.extra.length > 0) found.add('unknown-root-element');
  return [...found];
}
