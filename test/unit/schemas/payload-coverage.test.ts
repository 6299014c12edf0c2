/**
 * The catalogue decides which payload records a route produces, the schemas which ones a topic accepts: every
 * route, given every documented Data child (and an unknown one), must produce an event its topic's schema takes.
 */
import { AVRO_TYPES } from '../../../src/events/avro';
import { normalize } from '../../../src/thingspace/normalize';
import type { CallbackRoot } from '../../../src/message/types';
import { DOCUMENTED_DATA_CHILDREN } from '../../../src/thingspace/anomalies';
import { SERVICES } from '../../../src/thingspace/catalogue';
import { element, node, parsedCallback } from '../thingspace/builders';
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

describe.each(ROUTES)('%s, %s', (service, root) => {
  it.each(DATA_CHILDREN)('with a %s in Data, the event fits its topic and survives Avro', (child) => {
    const parsed = parsedCallback({
      root,
      smsMessage: root === 'SmsCallbackRequest' ? 'hello' : undefined,
      payload: [element(child, KITCHEN_SINK), element('Status', 'second child')],
      extra: [element('Priority', 'high')],
      callbackCount: 1,
      maxCallbackThreshold: 4,
    });
    const { category, event } = normalize(parsed, {
      service,
      accountName: '0000555123-00001',
      receivedAt: new Date('2026-03-01T10:00:00Z'),
      ingressNode: 'ingress-a',
    });
    const type = AVRO_TYPES[category];
    expect(avroProblems(type, event)).toEqual([]);
    expect(roundTrip(type, event).decoded).toEqual(event);
  });
});
