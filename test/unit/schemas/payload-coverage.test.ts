/**
 * The catalogue decides which payload records a route produces, the schemas which ones a topic accepts: every
 * route, given every documented Data child (and an unknown one), must produce an event its topic's schema takes;
 * so must every route given every REST payload element (§6, the guessed ones, an unknown one) as JSON.
 */
import { AVRO_TYPES } from '../../../src/events/avro';
import { normalize } from '../../../src/thingspace/normalize';
import type { CallbackRoot } from '../../../src/message/types';
import { DOCUMENTED_DATA_CHILDREN, DOCUMENTED_REST_PAYLOADS } from '../../../src/thingspace/anomalies';
import { SERVICES } from '../../../src/thingspace/catalogue';
import { element, jsonElement, node, parsedCallback } from '../thingspace/builders';
import type { Json } from '../thingspace/builders';
import { avroProblems, roundTrip } from './avro-check';

// Every child THINGSPACE.md §2 documents, and one it doesn't.
const DATA_CHILDREN = [...DOCUMENTED_DATA_CHILDREN, 'SomethingNew'];

/** Every child any mapper reads, so each typed field gets a value. */
const KITCHEN_SINK = [
  node('Source', 'Portal'),
  node('Change', 'Activate'),
  node('ChangeDate', '3/31/2026'),
  node('DeviceInfo', [
    node('AccountName', '0000555123-00001'),
    node('CarrierInformation', [node('CarrierName', 'C'), node('ServicePlan', 'P'), node('State', 'active')]),
    node('DeviceGroupName', 'G'),
    node('Id', [node('Kind', 'imei'), node('Identifier', '990000862471854')]),
  ]),
  node('ChangeDeviceIdentifier', [
    node('DeviceIdentifierChanged', [node('Kind', 'meid'), node('Identifier', 'A10000009296F1')]),
  ]),
  node('ServicePlan', 'P2'),
  node('faultcode', 'E1'),
  node('faultstring', 'failed'),
  node('Extra', 'x', { a: '1' }),
];

const ROUTES: [string, CallbackRoot][] = SERVICES.flatMap((entry) =>
  (Object.keys(entry.routes) as CallbackRoot[]).map((root): [string, CallbackRoot] => [entry.name, root]),
);

// Every REST element §6 names (and the guessed names of the plan change result), and one nobody names.
const REST_PAYLOADS = [...DOCUMENTED_REST_PAYLOADS, 'somethingNewResponse'];

/** Every member any REST mapper reads, so each typed field gets a value. */
const JSON_KITCHEN_SINK: Json = {
  deviceIds: [
    { id: '5550100123', kind: 'MDN' },
    { id: '990000862471854', kind: 'imei' },
  ],
  state: 'active',
  servicePlan: 'P',
  ipAddress: '198.51.100.7',
  deactivated: true,
  restored: true,
  maxSuspendDaysAllowed: 90,
  expectedResumeDate: '2026-06-01',
  numDaysSuspendAllowedCurrent12Months: '75',
  numDaysSuspendedLast12Months: 15,
  prlVersion: '51234',
  confirmation: 'Delivered',
  bytesUsed: 4096,
  smsUsed: 2,
  source: 'Raw Usage',
  timestamp: '2026-02-01T00:00:00Z',
  accountName: '0000555123-00001',
  message: 'aGk=',
  acknowledgeTime: '2026-03-01T10:00:01Z',
  firstAttemptDeliveryTime: '2026-03-01T10:00:00Z',
  reason: 'r',
  faultcode: 'E1',
  faultstring: 'failed',
  extra: { nested: [1, null, 'x'] },
};

function expectFitsItsTopic(service: string, parsed: ReturnType<typeof parsedCallback>): void {
  const { category, event } = normalize(parsed, {
    service,
    accountName: '0000555123-00001',
    receivedAt: new Date('2026-03-01T10:00:00Z'),
    ingressNode: 'ingress-a',
  });
  const type = AVRO_TYPES[category];
  expect(avroProblems(type, event)).toEqual([]);
  expect(roundTrip(type, event).decoded).toEqual(event);
}

describe.each(ROUTES)('%s, %s', (service, root) => {
  const sms = root === 'SmsCallbackRequest' ? 'hello' : undefined;

  it.each(DATA_CHILDREN)('with a %s in Data, the event fits its topic and survives Avro', (child) => {
    expectFitsItsTopic(
      service,
      parsedCallback({
        root,
        smsMessage: sms,
        payload: [element(child, KITCHEN_SINK), element('Status', 'second child')],
        extra: [element('Priority', 'high')],
        callbackCount: 1,
        maxCallbackThreshold: 4,
      }),
    );
  });

  it.each(REST_PAYLOADS)('with a REST %s, the event fits its topic and survives Avro', (name) => {
    const value = name === 'usageResponse' ? [JSON_KITCHEN_SINK, JSON_KITCHEN_SINK] : JSON_KITCHEN_SINK;
    expectFitsItsTopic(
      service,
      parsedCallback({
        format: 'rest',
        root,
        smsMessage: sms,
        payload: [jsonElement(name, value), jsonElement('summary', 'second element')],
        extra: [jsonElement('priority', 'high')],
        status: 'Success',
        callbackCount: 1,
        maxCallbackThreshold: 4,
      }),
    );
  });
});
