import type { ParsedCallback, WireFormat } from '../message/types';
import type { Device, GenericElement } from '../events/types';
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

/**
 * The payload elements THINGSPACE.md §6 names for REST messages: the members of deviceResponse and niddResponse,
 * then the top-level faultResponse, comment and summary (src/message/types.ts, `payload`). Also the guessed names
 * of the plan change result (src/thingspace/payloads/service-plan.ts): typed, so not news when they come.
 */
export const DOCUMENTED_REST_PAYLOADS: readonly string[] = [
  'activateResponse',
  'deactivateResponse',
  'suspendResponse',
  'restoreResponse',
  'changeIdentifierResponse',
  'prlInformationResponse',
  'smsDeliveryResponse',
  'usageResponse',
  'niddMONotificationResponse',
  'niddMTDeliveryResponse',
  'niddConfigResponse',
  'servicePlanResponse',
  'changeServicePlanResponse',
  'faultResponse',
  'comment',
  'summary',
];

const lowerCased = (names: readonly string[]): ReadonlySet<string> =>
  new Set(names.map((name) => name.toLowerCase()));
const DOCUMENTED: Readonly<Record<WireFormat, ReadonlySet<string>>> = {
  soap: lowerCased(DOCUMENTED_DATA_CHILDREN),
  rest: lowerCased(DOCUMENTED_REST_PAYLOADS),
};

/**
 * What a message did that the platform's documentation does not lead us to expect. Never a reason to reject:
 * the event carries the data as it came, and the ingress counts these in a metric, so the set is bounded. For
 * REST, `unknown-data-child` is a payload element §6 does not name, `unknown-root-element` an unknown top-level key.
 * `fields-too-large`: a generic element too large to flatten (src/thingspace/fields.ts), read by its fragment only.
 */
export type Anomaly = DeviceAnomaly | 'unknown-data-child' | 'unknown-root-element' | 'fields-too-large';

/**
 * Distinct anomalies of one message; `devices` are all its normalized devices, payload identifiers included,
 * `generics` all the generic elements of its event.
 */
export function anomaliesOf(
  parsed: ParsedCallback,
  devices: readonly Device[],
  generics: readonly GenericElement[],
): Anomaly[] {
  const found = new Set<Anomaly>();
  for (const device of devices) {
    const anomaly = deviceAnomaly(device);
    if (anomaly) found.add(anomaly);
  }
  const documented = DOCUMENTED[parsed.format];
  if (parsed.payload.some((child) => !documented.has(child.name.toLowerCase()))) {
    found.add('unknown-data-child');
  }
  if (parsed.extra.length > 0) found.add('unknown-root-element');
  if (generics.some(({ fields }) => isEmpty(fields))) found.add('fields-too-large');
  return [...found];
}

/** No element flattens to nothing (src/thingspace/fields.ts), unless it was too large. */
function isEmpty(fields: GenericElement['fields']): boolean {
  for (const _ in fields) return false;
  return true;
}
