/**
 * The Avro schemas of the four topics, composed from shared parts: the one source of truth for schemas/*.avsc.
 * Those files are this module's output, committed because they are the public contract (read by consumers and
 * code generators, diffed in review; the registry gets SCHEMAS, which they add up to); test/unit/schemas/ fails
 * when they differ from it, and writes them when run with UPDATE_SCHEMAS=1 (see schemas/README.md).
 *
 * A named type is defined where it first appears and referenced by name after that, as Avro requires: `Device`
 * in the envelope's `devices`, `GenericElement` in `payload`, after v1's typed branches (see TOPIC_PAYLOADS).
 * The files split that out again: the types several topics share each get a file of their own (schemaFiles).
 */
import type { Category } from './types';
import { AVRO_NAMESPACE } from './types';
import type { PayloadName } from './types';

/** The Avro schema shapes we use, with `doc` required on records and fields so none can be forgotten. */
export type AvroType =
  | string
  | readonly AvroType[]
  | AvroRecord
  | { type: 'array'; items: AvroType }
  | { type: 'map'; values: AvroType }
  | { type: 'string' | 'long'; logicalType: string };

export interface AvroField {
  name: string;
  doc: string;
  type: AvroType;
  default?: unknown;
}

export interface AvroRecord {
  type: 'record';
  name: string;
  namespace?: string;
  doc: string;
  fields: AvroField[];
}

/** A category topic or the dead-letter topic. */
export type Stream = Category | 'dead-letter';

/** Default topic names (configurable); the schema files are named after them, subject `<topic>-value`. */
export const DEFAULT_TOPICS: Readonly<Record<Stream, string>> = {
  'async-response': 'thingspace.async-responses',
  'external-change': 'thingspace.external-changes',
  'device-originated': 'thingspace.device-originated',
  'dead-letter': 'thingspace.dead-letter',
};

const nullable = (type: AvroType): AvroType => ['null', type];
const optionalString = (name: string, doc: string): AvroField => ({
  name,
  doc,
  type: nullable('string'),
  default: null,
});
const stringMap: AvroType = { type: 'map', values: 'string' };
const optional = (name: string, type: string, doc: string): AvroField => ({
  name,
  doc,
  type: nullable(type),
  default: null,
});
const devicesField = (doc: string): AvroField => ({
  name: 'devices',
  doc,
  type: { type: 'array', items: 'Device' },
  default: [],
});
const DEVICE_IDS_DOC =
  "The deviceIds of the element, normalized like the envelope's devices; empty when it has none.";
/** Contract v2: how the message came. A string, not an enum, so a third format would not break old readers. */
const formatField = (doc: string): AvroField => ({ name: 'format', doc, type: 'string', default: 'soap' });
const otherField: AvroField = {
  name: 'other',
  doc:
    'Everything under the element that no field above holds, flattened like GenericElement.fields (paths ' +
    'relative to the element, texts exactly as sent), so the typed record loses nothing. The typed fields ' +
    'above hold their texts trimmed.',
  type: stringMap,
  default: {},
};

const DEVICE: AvroRecord = {
  type: 'record',
  name: 'Device',
  doc:
    'A device identifier, normalized: kind lower-cased; identifier trimmed and upper-cased when it then fits ' +
    'its kind, otherwise exactly as sent. No character is ever dropped.',
  fields: [
    {
      name: 'kind',
      doc: 'esn, meid, imei, iccid, mdn, min, msisdn, imsi or eid; any other kind the platform sends, lower-cased.',
      type: 'string',
    },
    {
      name: 'identifier',
      doc: 'ESN (11 decimal digits or 8 hex digits), MEID (14 hex), IMEI, ICCID, MDN (10 digits), ...',
      type: 'string',
    },
  ],
};

const GENERIC_ELEMENT: AvroRecord = {
  type: 'record',
  name: 'GenericElement',
  doc: 'An element whose structure the bridge does not know, kept losslessly.',
  fields: [
    {
      name: 'element',
      doc: 'Local name of the element (namespaces carry no meaning in ThingSpace messages).',
      type: 'string',
    },
    {
      name: 'fields',
      doc:
        "Every text and attribute under the element by path relative to it. XML: '.' its own text, 'a/b' a " +
        "descendant's text, 'a/@x' an attribute, 'a[2]' the second of several siblings named a (indexes from " +
        "1, only where a name repeats); leaf elements appear even when empty. JSON: 'a.b' a member's value, " +
        "'a[0]' an array item (indexes from 0), '.' the value itself when it is not a container; numbers as " +
        "written, true/false, null as ''; empty objects and arrays appear as ''. Texts exactly as sent.",
      type: stringMap,
    },
    {
      name: 'xml',
      doc:
        'The element exactly as received, in the format `format` names (the name predates JSON): XML from ' +
        'start tag to end tag, or the JSON value of the member. Never holds credentials.',
      type: 'string',
    },
    formatField('What `xml` holds: soap (an XML fragment) or rest (a JSON value). Contract v2.'),
  ],
};

type TypedPayloadName = Exclude<PayloadName, 'GenericElement'>;

/** Every payload record but GenericElement, by the name the event model (./types) uses for it. */
const PAYLOAD_RECORDS: Readonly<Record<TypedPayloadName, AvroRecord>> = {
  ExternalProvisioningChange: {
    type: 'record',
    name: 'ExternalProvisioningChange',
    doc: 'A provisioning change made outside the API, e.g. in a Verizon portal (ExternalProvisioningChanges).',
    fields: [
      optionalString('source', 'The tool used to make the change.'),
      optionalString(
        'change',
        'What was done, as sent: Activate, Suspend, Restore, Deactivate, ChangeEsn, changeIMEI, ' +
          '"Device Detection", ... The platform is inconsistent about case: compare case-insensitively.',
      ),
      {
        name: 'deviceInfo',
        doc: 'The device after the change; null when the message has no DeviceInfo.',
        type: nullable({
          type: 'record',
          name: 'DeviceInfo',
          doc: 'The device after an external change.',
          fields: [
            optionalString('accountName', 'The billing account of the device.'),
            {
              name: 'carrierInformation',
              doc: 'Carrier, plan and state; null when absent.',
              type: nullable({
                type: 'record',
                name: 'CarrierInformation',
                doc: 'Carrier information of a device.',
                fields: [
                  optionalString('carrierName', 'The carrier.'),
                  optionalString('servicePlan', 'The service plan.'),
                  optionalString('state', 'The device state after the change.'),
                ],
              }),
              default: null,
            },
            optionalString('deviceGroupName', 'The device group.'),
            {
              name: 'devices',
              doc:
                'Device identifiers found in DeviceInfo (elements holding Kind and Identifier), normalized. ' +
                'Activations carry no Device element, so these may be the only identifiers of the message.',
              type: { type: 'array', items: 'Device' },
              default: [],
            },
          ],
        }),
        default: null,
      },
      otherField,
    ],
  },
  PromoChange: {
    type: 'record',
    name: 'PromoChange',
    doc: 'A promotional code was removed from the line of service (PromoChange).',
    fields: [
      optionalString('change', 'The promotional code that was removed.'),
      optionalString('changeDate', 'When it was removed, as sent (the format is undocumented).'),
      otherField,
    ],
  },
  ResumeTrackingComment: {
    type: 'record',
    name: 'ResumeTrackingComment',
    doc: 'A suspended device will auto-resume in 7 days (ResumeTrackingNotification).',
    fields: [
      {
        name: 'comment',
        doc: 'The text as sent, e.g. "Device will be auto resumed on - 3/15/2017 12:00:00 AM".',
        type: 'string',
      },
      optionalString(
        'autoResumeLocalDateTime',
        'The date and time in the comment as an ISO-8601 local date-time without offset ' +
          '(2017-03-15T00:00:00): the platform names no time zone. Null when the comment holds no valid one.',
      ),
      otherField,
    ],
  },
  CarrierServiceResult: {
    type: 'record',
    name: 'CarrierServiceResult',
    doc:
      'Result of a device change requested through the API (CarrierService): identifier, plan, custom fields, ' +
      'state changes. Only the identifier and plan changes have a documented structure.',
    fields: [
      {
        name: 'identifierChanged',
        doc: 'ChangeDeviceIdentifier/DeviceIdentifierChanged: the new identifier, normalized; null when absent.',
        type: nullable('Device'),
        default: null,
      },
      optionalString(
        'servicePlan',
        'ServicePlan (SOAP) or servicePlan (REST changeIdentifierResponse): the plan after ' +
          'ChangeDeviceServicePlan, or the plan of the device whose identifier changed.',
      ),
      otherField,
      devicesField(
        "Contract v2. REST changeIdentifierResponse's deviceIds, normalized: the device's identifiers as the " +
          'message lists them (which of them changed, it does not say, so identifierChanged stays null for ' +
          'REST). Empty for SOAP.',
      ),
    ],
  },
  Fault: {
    type: 'record',
    name: 'Fault',
    doc: 'The request behind this callback failed. The structure is undocumented; see `other`.',
    fields: [
      optionalString('faultCode', 'The faultcode child, when present (SOAP 1.1 naming, any case).'),
      optionalString('faultString', 'The faultstring child, when present (SOAP 1.1 naming, any case).'),
      otherField,
    ],
  },
  DeviceSms: {
    type: 'record',
    name: 'DeviceSms',
    doc: 'An SMS sent by a device (EnhancedConnectivityService, SmsCallbackRequest).',
    fields: [optionalString('message', 'The SmsMessage text as sent; null when the message had none.')],
  },
  // Contract v2: REST (JSON) results, THINGSPACE.md §6. Field names are the REST API's.
  ActivateResult: {
    type: 'record',
    name: 'ActivateResult',
    doc: 'Contract v2. REST activateResponse: a device was activated (CarrierService, NiddService).',
    fields: [
      devicesField(
        "The activated device's deviceIds, normalized: they carry the MDN and MSISDN the activation assigned.",
      ),
      optionalString('state', 'The device state after the activation, as sent (e.g. active).'),
      optionalString('servicePlan', 'The service plan of the activated device.'),
      optionalString('ipAddress', 'The IP address assigned to the device, as sent.'),
      otherField,
    ],
  },
  DeactivateResult: {
    type: 'record',
    name: 'DeactivateResult',
    doc: 'Contract v2. REST deactivateResponse: a device was deactivated (CarrierService, NiddService).',
    fields: [
      optionalString(
        'deactivated',
        'The deactivated value as sent. Its type is undocumented (a guess: true/false); kept as text.',
      ),
      otherField,
    ],
  },
  SuspendResult: {
    type: 'record',
    name: 'SuspendResult',
    doc:
      'Contract v2. REST suspendResponse: a device was suspended, with its suspension allowance ' +
      '(CarrierService, NiddService, DeviceSuspensionStatus).',
    fields: [
      optional(
        'maxSuspendDaysAllowed',
        'int',
        'How many days the device may stay suspended at most. Null when absent or not an integer (its text ' +
          'then stays in other).',
      ),
      optionalString(
        'expectedResumeDate',
        'When the device is expected to resume, as sent (format undocumented).',
      ),
      optional(
        'numDaysSuspendAllowedCurrent12Months',
        'int',
        'How many more days the device may be suspended in the current 12 months. Null when absent or not ' +
          'an integer (its text then stays in other).',
      ),
      optional(
        'numDaysSuspendedLast12Months',
        'int',
        'How many days the device was suspended in the last 12 months. Null when absent or not an integer ' +
          '(its text then stays in other).',
      ),
      otherField,
    ],
  },
  RestoreResult: {
    type: 'record',
    name: 'RestoreResult',
    doc: 'Contract v2. REST restoreResponse: a suspended device was restored (CarrierService, NiddService).',
    fields: [
      optionalString(
        'restored',
        'The restored value as sent. Its type is undocumented (a guess: true/false); kept as text.',
      ),
      otherField,
    ],
  },
  ServicePlanResult: {
    type: 'record',
    name: 'ServicePlanResult',
    doc:
      "Contract v2. The REST result of a service plan change (CarrierService, NiddService). The element's " +
      'name is a guess (servicePlanResponse or changeServicePlanResponse): no published source names it.',
    fields: [
      devicesField(DEVICE_IDS_DOC),
      optionalString('servicePlan', 'The service plan after the change.'),
      otherField,
    ],
  },
  PrlInformation: {
    type: 'record',
    name: 'PrlInformation',
    doc: "Contract v2. REST prlInformationResponse: a device's PRL (DevicePRLInformation).",
    fields: [optionalString('prlVersion', 'The PRL version of the device, as sent.'), otherField],
  },
  SmsDeliveryConfirmation: {
    type: 'record',
    name: 'SmsDeliveryConfirmation',
    doc:
      'Contract v2. REST smsDeliveryResponse: an SMS sent with the API reached the device, or expired ' +
      'after 5 days (SMSDeliveryConfirmation).',
    fields: [
      optionalString(
        'confirmation',
        'The confirmation as sent. Its values are undocumented (a guess: a delivered or expired text).',
      ),
      otherField,
    ],
  },
  UsageResult: {
    type: 'record',
    name: 'UsageResult',
    doc: 'Contract v2. REST usageResponse: device usage asked for with the aggregate usage API (DeviceUsage).',
    fields: [
      {
        name: 'usages',
        doc: 'One entry per item of the usageResponse list, in order.',
        type: {
          type: 'array',
          items: {
            type: 'record',
            name: 'UsageEntry',
            doc:
              "One item of a usage list. Field names are those of Verizon's API SDK usage models; which of " +
              'them the callback carries is a guess. What an item holds besides is in the UsageResult other.',
            fields: [
              devicesField(DEVICE_IDS_DOC),
              optional(
                'bytesUsed',
                'long',
                'Bytes sent and received. Null when absent or not an integer (its text then stays in other).',
              ),
              optional(
                'smsUsed',
                'long',
                'SMS messages sent and received. Null when absent or not an integer (its text then stays in ' +
                  'other).',
              ),
              optionalString('source', 'Where the figures come from, as sent (e.g. Raw Usage).'),
              optionalString('timestamp', 'The date or time the entry covers, as sent.'),
              optionalString('servicePlan', 'The service plan the usage was made under.'),
            ],
          },
        },
        default: [],
      },
      {
        ...otherField,
        doc:
          'Everything under usageResponse that no field above holds, flattened like GenericElement.fields ' +
          "with paths relative to it ('[0].extendedAttributes[0].key'), texts exactly as sent.",
      },
    ],
  },
  NiddMoData: {
    type: 'record',
    name: 'NiddMoData',
    doc: 'Contract v2. REST niddMONotificationResponse: data a NB-IoT device sent (NiddService).',
    fields: [
      optionalString('accountName', 'The billing account of the device, as sent (leading zeros kept).'),
      optional(
        'message',
        'bytes',
        'The data, decoded from the base64 text the message carries. Null when absent or not valid ' +
          '(padded, standard alphabet) base64: its text then stays in other.',
      ),
      devicesField(DEVICE_IDS_DOC),
      otherField,
    ],
  },
  NiddMtDelivery: {
    type: 'record',
    name: 'NiddMtDelivery',
    doc:
      'Contract v2. REST niddMTDeliveryResponse: what became of data sent to a NB-IoT device (NiddService); ' +
      'the envelope status says Delivered, Queued or DeliveryFailed.',
    fields: [
      optionalString('accountName', 'The billing account of the device, as sent (leading zeros kept).'),
      optionalString('acknowledgeTime', 'When the network acknowledged the delivery, as sent (RFC 3339).'),
      optionalString(
        'firstAttemptDeliveryTime',
        'When delivery was first attempted, as the device became reachable, as sent (RFC 3339).',
      ),
      optionalString('reason', 'Why the data was not (yet) delivered, as sent.'),
      devicesField(DEVICE_IDS_DOC),
      otherField,
    ],
  },
  NiddConfigResult: {
    type: 'record',
    name: 'NiddConfigResult',
    doc:
      'Contract v2. REST niddConfigResponse: the result of configuring a NB-IoT line for NIDD (NiddService). ' +
      'Its fields besides the device ids are a guess from consuming code: the rest is in other.',
    fields: [
      optionalString('accountName', 'The billing account of the device, as sent (leading zeros kept).'),
      optionalString('reason', 'Why the configuration did not succeed, as sent.'),
      devicesField(DEVICE_IDS_DOC),
      otherField,
    ],
  },
};

/**
 * The typed payloads each category's topic can carry: v1's branches, then GenericElement, then the branches
 * added since, in the order they were added. New branches go at the end (schemas/README.md).
 */
const TOPIC_PAYLOADS: Readonly<
  Record<Category, { v1: readonly TypedPayloadName[]; since: readonly TypedPayloadName[] }>
> = {
  'async-response': {
    v1: ['CarrierServiceResult', 'Fault'],
    since: [
      'ActivateResult',
      'DeactivateResult',
      'SuspendResult',
      'RestoreResult',
      'ServicePlanResult',
      'PrlInformation',
      'SmsDeliveryConfirmation',
      'UsageResult',
      'NiddMtDelivery',
      'NiddConfigResult',
    ],
  },
  'external-change': {
    v1: ['ExternalProvisioningChange', 'PromoChange', 'ResumeTrackingComment', 'Fault'],
    since: [],
  },
  'device-originated': { v1: ['DeviceSms'], since: ['NiddMoData'] },
};

const TOPIC_RECORDS: Readonly<Record<Category, { name: string; doc: string }>> = {
  'async-response': {
    name: 'AsyncResponseEvent',
    doc: 'A ThingSpace callback answering an earlier API request (activation, plan change, usage, PRL, ...).',
  },
  'external-change': {
    name: 'ExternalChangeEvent',
    doc: 'A ThingSpace callback reporting a change made outside the API (portal, promo expiry, auto-resume).',
  },
  'device-originated': {
    name: 'DeviceOriginatedEvent',
    doc: 'A ThingSpace callback carrying an SMS sent by a device.',
  },
};

/** Fields the dead letters share with the events. */
const RECEIPT_FIELDS = {
  accountName: {
    name: 'accountName',
    doc: 'The ThingSpace account whose credentials the message carried (leading zeros kept).',
    type: 'string',
  },
  receivedAt: {
    name: 'receivedAt',
    doc: 'When the ingress node received the request.',
    type: { type: 'long', logicalType: 'timestamp-millis' },
  },
  ingressNode: {
    name: 'ingressNode',
    doc: 'The ingress node that received the request (host or pod name).',
    type: 'string',
  },
} satisfies Record<string, AvroField>;

function eventSchema(category: Category): AvroRecord {
  const { v1, since } = TOPIC_PAYLOADS[category];
  const records = (names: readonly TypedPayloadName[]) => names.map((name) => PAYLOAD_RECORDS[name]);
  return {
    type: 'record',
    name: TOPIC_RECORDS[category].name,
    namespace: AVRO_NAMESPACE,
    doc: TOPIC_RECORDS[category].doc,
    fields: [
      {
        name: 'eventId',
        doc:
          'Deterministic: the same callback re-sent by ThingSpace gets the same id; drop duplicates on it. ' +
          'A UUIDv8 (RFC 9562) of SHA-256 over account, service, root, RequestId, normalized devices and ' +
          'payload content; CallbackCount, MaxCallbackThreshold, credentials and receipt time are left out.',
        type: { type: 'string', logicalType: 'uuid' },
      },
      {
        name: 'service',
        doc: 'Canonical callback service name (e.g. ExternalProvisioningChanges), however the URL spelled it.',
        type: 'string',
      },
      {
        name: 'category',
        doc: `async-response, external-change or device-originated; always ${category} on this topic.`,
        type: 'string',
      },
      RECEIPT_FIELDS.accountName,
      {
        name: 'requestId',
        doc:
          'The RequestId of the callback: not unique per message (a request over N devices yields N ' +
          'callbacks). Null when absent, as for device SMS.',
        type: nullable('string'),
        default: null,
      },
      {
        name: 'devices',
        doc:
          'The Device elements of the message in document order: none (e.g. activations), one, or several ' +
          '(device SMS: an ESN and an MDN of the same device).',
        type: { type: 'array', items: DEVICE },
      },
      {
        name: 'callbackCount',
        doc: 'How many times ThingSpace has sent this message, when it says; null otherwise.',
        type: nullable('int'),
        default: null,
      },
      {
        name: 'maxCallbackThreshold',
        doc: 'How many times ThingSpace will send this message at most, when it says; null otherwise.',
        type: nullable('int'),
        default: null,
      },
      RECEIPT_FIELDS.receivedAt,
      RECEIPT_FIELDS.ingressNode,
      {
        name: 'payload',
        doc:
          'The payload the service is about: a typed record when its structure is known, GenericElement ' +
          'otherwise; null when the message has none.',
        type: ['null', ...records(v1), GENERIC_ELEMENT, ...records(since)],
        default: null,
      },
      {
        name: 'extraPayloads',
        doc: 'Every other child of Data, in document order, losslessly (unknown children are never dropped).',
        type: { type: 'array', items: 'GenericElement' },
        default: [],
      },
      {
        name: 'extraElements',
        doc: 'Children of the message root the bridge does not know, in document order, losslessly.',
        type: { type: 'array', items: 'GenericElement' },
        default: [],
      },
      {
        name: 'status',
        doc:
          'Contract v2. The outcome the message states, as sent: Success, Failed, Pending; NIDD: Delivered, ' +
          'Queued, DeliveryFailed. SOAP: the text of Data/Status (which also stays in extraPayloads); REST: ' +
          'the top-level status. Null when the message states none (and in events written before v2).',
        type: nullable('string'),
        default: null,
      },
      formatField(
        'Contract v2. How the message came: soap (the legacy UWS API, XML) or rest (the REST API, JSON). ' +
          'Events written before v2 read as soap, the only format then.',
      ),
      {
        name: 'payloadType',
        doc:
          "Contract v2. The name of the payload's record (e.g. PromoChange, GenericElement), null when there " +
          'is no payload, and in events written before v2. For engines that cannot look inside a union ' +
          '(Flink SQL, ksqlDB): filter on it, then read the branch.',
        type: nullable('string'),
        default: null,
      },
    ],
  };
}

function deadLetterSchema(): AvroRecord {
  return {
    type: 'record',
    name: 'DeadLetter',
    namespace: AVRO_NAMESPACE,
    doc: 'An authenticated ThingSpace callback that could not be normalized into an event.',
    fields: [
      {
        name: 'eventId',
        doc: 'Identifies this dead letter (a UUID).',
        type: { type: 'string', logicalType: 'uuid' },
      },
      { name: 'service', doc: 'The callback service name as the request URL spelled it.', type: 'string' },
      RECEIPT_FIELDS.accountName,
      RECEIPT_FIELDS.receivedAt,
      RECEIPT_FIELDS.ingressNode,
      {
        name: 'reasonCode',
        doc:
          'Stable code of the error that stopped normalization, from the README error table (where: ' +
          'dead-letter), e.g. UNEXPECTED_ROOT, EVENT_TOO_LARGE, NORMALIZE_FAILED.',
        type: 'string',
      },
      { name: 'reasonMessage', doc: 'Human-readable description of that error.', type: 'string' },
      {
        name: 'redactedXml',
        doc:
          'The whole message as received, in the format `format` names (the name predates JSON), with the ' +
          "credentials' values removed: SOAP, the Username and Password elements emptied; REST, the username " +
          'and password strings emptied.',
        type: 'string',
      },
      formatField(
        'Contract v2. What redactedXml holds: soap (XML) or rest (JSON). Dead letters written before v2 ' +
          'read as soap.',
      ),
    ],
  };
}

/** The value schema of every topic, built once. */
export const SCHEMAS: Readonly<Record<Stream, AvroRecord>> = {
  'async-response': eventSchema('async-response'),
  'external-change': eventSchema('external-change'),
  'device-originated': eventSchema('device-originated'),
  'dead-letter': deadLetterSchema(),
};

/** Prettier's printWidth (.prettierrc.json): `prettier --check .` checks .avsc files as JSON too. */
const PRINT_WIDTH = 110;
/** An array of plain values laid out one per line by JSON.stringify, with what precedes it on its line. */
const PLAIN_ARRAY = /^(.*)\[\n((?: *(?:"(?:[^"\\]|\\.)*"|[-\w.+]+),?\n)+) *\]/gm;

/**
 * A schema as an .avsc file holds it, byte for byte: JSON.stringify's layout, with arrays of plain values
 * (unions like ["null", "string"]) on one line where they fit, which is Prettier's layout too.
 */
function avscContent(schema: AvroType): string {
  const json = JSON.stringify(schema, null, 2).replace(PLAIN_ARRAY, (whole, head: string, items: string) => {
    const values = items.split('\n').map((item) => item.trim().replace(/,$/, ''));
    const line = `${head}[${values.filter((value) => value !== '').join(', ')}]`;
    return line.length <= PRINT_WIDTH ? line : whole;
  });
  return `${json}\n`;
}

/** Array.isArray does not narrow a readonly array type. */
const isUnion = (type: AvroType): type is readonly AvroType[] => Array.isArray(type);
const isRecord = (type: AvroType): type is AvroRecord =>
  typeof type === 'object' && !isUnion(type) && type.type === 'record';
/** Avro's namespace rules: a dotted name is full, otherwise the record's own namespace or the enclosing one. */
const fullNameOf = (record: AvroRecord, enclosing: string): string =>
  record.name.includes('.') ? record.name : `${record.namespace ?? enclosing}.${record.name}`;
const namespaceOf = (fullName: string): string => fullName.slice(0, fullName.lastIndexOf('.'));

/**
 * A copy of a type in which every record named in `shared` is replaced by its full name, a reference to
 * its own file; the type itself stays a definition when `keepRoot` is set (a shared type's own file).
 */
function referencing(
  type: AvroType,
  shared: ReadonlySet<string>,
  enclosing: string,
  keepRoot = false,
): AvroType {
  if (typeof type === 'string') return type;
  if (isUnion(type)) return type.map((branch) => referencing(branch, shared, enclosing));
  if (isRecord(type)) {
    const fullName = fullNameOf(type, enclosing);
    if (!keepRoot && shared.has(fullName)) return fullName;
    const namespace = namespaceOf(fullName);
    const fields = type.fields.map((field) => ({
      ...field,
      type: referencing(field.type, shared, namespace),
    }));
    return { ...type, fields };
  }
  if ('items' in type) return { ...type, items: referencing(type.items, shared, enclosing) };
  if ('values' in type) return { ...type, values: referencing(type.values, shared, enclosing) };
  return type;
}

/** Every record a type defines, by full name, nested ones before the record around them. */
function definitions(type: AvroType, enclosing: string): [string, AvroRecord][] {
  if (typeof type === 'string') return [];
  if (isUnion(type)) return type.flatMap((branch) => definitions(branch, enclosing));
  if (isRecord(type)) {
    const fullName = fullNameOf(type, enclosing);
    const nested = type.fields.flatMap((field) => definitions(field.type, namespaceOf(fullName)));
    return [...nested, [fullName, type]];
  }
  if ('items' in type) return definitions(type.items, enclosing);
  if ('values' in type) return definitions(type.values, enclosing);
  return [];
}

/** A file of schemas/ and what it must hold. */
export interface SchemaFile {
  readonly file: string;
  readonly content: string;
}

/**
 * The generated files of schemas/, in the order a parser must read them: first every named type that more
 * than one topic uses, in its own file named after its full name (`thingspace.bridge.v1.Device.avsc`, how
 * fastavro's load_schema and Avro's tooling find a named type), each after the types it references; then
 * one file per topic that references those types by full name instead of defining them, so Avro's Java code
 * generator can compile the whole folder (schemas/README.md). The registered schemas stay SCHEMAS: self-
 * contained, without schema references; parsed together, the files give back exactly those.
 */
export function schemaFiles(): SchemaFile[] {
  const streams = Object.keys(DEFAULT_TOPICS) as Stream[];
  const defined = streams.map((stream) => new Map(definitions(SCHEMAS[stream], AVRO_NAMESPACE)));
  const order = [...new Set(defined.flatMap((names) => [...names.keys()]))];
  const shared = new Set(order.filter((name) => defined.filter((names) => names.has(name)).length > 1));
  const sharedFiles = [...shared].map((fullName): SchemaFile => {
    const [content, ...others] = defined.flatMap((names) => {
      const record = names.get(fullName);
      if (!record) return [];
      const { type, name, doc, fields } = referencing(
        record,
        shared,
        namespaceOf(fullName),
        true,
      ) as AvroRecord;
      return [avscContent({ type, name, namespace: namespaceOf(fullName), doc, fields })];
    });
    if (content === undefined || others.some((other) => other !== content)) {
      throw new Error(`the topics define ${fullName} differently`);
    }
    return { file: `${fullName}.avsc`, content };
  });
  const topicFiles = streams.map((stream) => ({
    file: `${DEFAULT_TOPICS[stream]}.avsc`,
    content: avscContent(referencing(SCHEMAS[stream], shared, AVRO_NAMESPACE, true)),
  }));
  return [...sharedFiles, ...topicFiles];
}
