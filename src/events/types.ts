/**
 * The event model: the values the Avro schemas in schemas/ describe, in the shape avsc reads and writes.
 * Hand-written, kept in step by tests: every fixture's event (test/unit/events/fixtures.test.ts) and every
 * route's event for every Data child (test/unit/schemas/payload-coverage.test.ts) is validated against its
 * topic's schema, undeclared fields rejected, and round-tripped through Avro; a field added on one side only
 * fails them.
 */
import type { WireFormat } from '../message/types';

/** Namespace of every named Avro type. Its `v1` is the contract's major version: it changes with new topics only. */
export const AVRO_NAMESPACE = 'thingspace.bridge.v1';

/** What a callback is, which decides its topic (ARCHITECTURE.md, the event contract). */
export type Category = 'async-response' | 'external-change' | 'device-originated';

/** A device identifier after normalization (src/thingspace/devices.ts). */
export interface Device {
  kind: string;
  identifier: string;
}

/** Flattened `path -> text` values of an element; see src/thingspace/fields.ts for the path syntaxes (XML and JSON). */
export type FlatFields = Record<string, string>;

/** A payload element whose structure the bridge does not know, kept losslessly. */
export interface GenericElement {
  element: string;
  fields: FlatFields;
  /** The element's source fragment, in `format` (the field's name predates JSON callbacks). */
  xml: string;
  /** Contract v2. */
  format: WireFormat;
}

export interface CarrierInformation {
  carrierName: string | null;
  servicePlan: string | null;
  state: string | null;
}

export interface DeviceInfo {
  accountName: string | null;
  carrierInformation: CarrierInformation | null;
  deviceGroupName: string | null;
  devices: Device[];
}

export interface ExternalProvisioningChange {
  source: string | null;
  change: string | null;
  deviceInfo: DeviceInfo | null;
  other: FlatFields;
}

export interface PromoChange {
  change: string | null;
  changeDate: string | null;
  other: FlatFields;
}

export interface ResumeTrackingComment {
  comment: string;
  /** ISO-8601 local date-time without offset, e.g. `2017-03-15T00:00:00`: the platform names no zone. */
  autoResumeLocalDateTime: string | null;
  other: FlatFields;
}

export interface CarrierServiceResult {
  identifierChanged: Device | null;
  servicePlan: string | null;
  other: FlatFields;
  /** Contract v2: REST changeIdentifierResponse's deviceIds. */
  devices: Device[];
}

export interface Fault {
  faultCode: string | null;
  faultString: string | null;
  other: FlatFields;
}

export interface DeviceSms {
  message: string | null;
}

// Contract v2: the typed REST (JSON) results, THINGSPACE.md §6; schemas.ts documents every field.

export interface ActivateResult {
  devices: Device[];
  state: string | null;
  servicePlan: string | null;
  ipAddress: string | null;
  other: FlatFields;
}

export interface DeactivateResult {
  deactivated: string | null;
  other: FlatFields;
}

export interface SuspendResult {
  maxSuspendDaysAllowed: number | null;
  expectedResumeDate: string | null;
  numDaysSuspendAllowedCurrent12Months: number | null;
  numDaysSuspendedLast12Months: number | null;
  other: FlatFields;
}

export interface RestoreResult {
  restored: string | null;
  other: FlatFields;
}

export interface ServicePlanResult {
  devices: Device[];
  servicePlan: string | null;
  other: FlatFields;
}

export interface PrlInformation {
  prlVersion: string | null;
  other: FlatFields;
}

export interface SmsDeliveryConfirmation {
  confirmation: string | null;
  other: FlatFields;
}

export interface UsageEntry {
  devices: Device[];
  bytesUsed: number | null;
  smsUsed: number | null;
  source: string | null;
  timestamp: string | null;
  servicePlan: string | null;
}

export interface UsageResult {
  usages: UsageEntry[];
  other: FlatFields;
}

export interface NiddMoData {
  accountName: string | null;
  /** Decoded from base64; null when the message had none or it was not valid base64 (then its text is in other). */
  message: Buffer | null;
  devices: Device[];
  other: FlatFields;
}

export interface NiddMtDelivery {
  accountName: string | null;
  acknowledgeTime: string | null;
  firstAttemptDeliveryTime: string | null;
  reason: string | null;
  devices: Device[];
  other: FlatFields;
}

export interface NiddConfigResult {
  accountName: string | null;
  reason: string | null;
  devices: Device[];
  other: FlatFields;
}

/** Every payload record by its Avro name (namespace AVRO_NAMESPACE). */
export interface PayloadRecords {
  ExternalProvisioningChange: ExternalProvisioningChange;
  PromoChange: PromoChange;
  ResumeTrackingComment: ResumeTrackingComment;
  CarrierServiceResult: CarrierServiceResult;
  Fault: Fault;
  DeviceSms: DeviceSms;
  GenericElement: GenericElement;
  ActivateResult: ActivateResult;
  DeactivateResult: DeactivateResult;
  SuspendResult: SuspendResult;
  RestoreResult: RestoreResult;
  ServicePlanResult: ServicePlanResult;
  PrlInformation: PrlInformation;
  SmsDeliveryConfirmation: SmsDeliveryConfirmation;
  UsageResult: UsageResult;
  NiddMoData: NiddMoData;
  NiddMtDelivery: NiddMtDelivery;
  NiddConfigResult: NiddConfigResult;
}

export type PayloadName = keyof PayloadRecords;

/**
 * A payload union value as avsc represents a union of several records: an object with one key, the branch's
 * full name, e.g. `{ "thingspace.bridge.v1.PromoChange": {...} }` (also the Avro JSON encoding).
 */
export type Payload = {
  [N in PayloadName]: { [K in `${typeof AVRO_NAMESPACE}.${N}`]: PayloadRecords[N] };
}[PayloadName];

export function payloadOf<N extends PayloadName>(name: N, record: PayloadRecords[N]): Payload {
  // TypeScript widens a computed key to `string`; the key is the branch's full name by construction.
  return { [`${AVRO_NAMESPACE}.${name}`]: record } as unknown as Payload;
}

/** The record name of a payload's branch: what the envelope's `payloadType` says. */
export function payloadNameOf(payload: Payload): PayloadName {
  // A union value has exactly one key, `<namespace>.<name>` (payloadOf).
  return Object.keys(payload)[0]!.slice(AVRO_NAMESPACE.length + 1) as PayloadName;
}

/** The value of the three category topics; `payload` takes the branches of its topic's schema only. */
export interface CallbackEvent {
  eventId: string;
  /** The catalogue's canonical name (src/thingspace/catalogue.ts); a string here so the contract knows no platform. */
  service: string;
  category: Category;
  accountName: string;
  requestId: string | null;
  devices: Device[];
  callbackCount: number | null;
  maxCallbackThreshold: number | null;
  /** Epoch milliseconds (Avro timestamp-millis), a plain number so that avsc needs no logical-type class. */
  receivedAt: number;
  ingressNode: string;
  payload: Payload | null;
  extraPayloads: GenericElement[];
  extraElements: GenericElement[];
  /** Contract v2: the message's outcome as sent (Success, Failed, Pending; NIDD: Delivered, ...), or null. */
  status: string | null;
  /** Contract v2: how the message came. */
  format: WireFormat;
  /** Contract v2: the payload branch's record name (`PromoChange`, `GenericElement`, ...), null with no payload. */
  payloadType: PayloadName | null;
}

/** The value of the dead-letter topic: an authenticated message that could not be normalized. */
export interface DeadLetter {
  eventId: string;
  service: string;
  accountName: string;
  receivedAt: number;
  ingressNode: string;
  reasonCode: string;
  reasonMessage: string;
  /** The message with its credentials' values removed, in `format` (the field's name predates JSON callbacks). */
  redactedXml: string;
  /** Contract v2. */
  format: WireFormat;
}
