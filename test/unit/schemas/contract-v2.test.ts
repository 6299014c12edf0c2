/**
 * Contract v2 against the released v1 schemas, both ways (schemas/README.md, "Upgrading to v2"):
 *
 * - a v2 consumer reads every event a v1 bridge wrote (BACKWARD): the hand-written SOAP fixtures' events with
 *   v2's fields taken out, written with the v1 schema, read with the current one;
 * - what a consumer still on v1 gets from each kind of event a v2 bridge writes. Avro's schema resolution maps a
 *   writer's union branch to the reader's branch of the same name; a v1 reader has none for the new typed REST
 *   payloads. Java's Avro (Confluent's deserializer) resolves per message, so only an event carrying such a
 *   branch fails; `readAsV1` below does the same (decode with the writer's schema, then resolve to v1's). avsc's
 *   createResolver resolves the whole schema at once, so an avsc consumer on v1 cannot read those topics at all.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from 'avsc';
import { AVRO_TYPES } from '../../../src/events/avro';
import { DEFAULT_TOPICS } from '../../../src/events/schemas';
import type { Stream } from '../../../src/events/schemas';
import { AVRO_NAMESPACE, payloadOf } from '../../../src/events/types';
import type { CallbackEvent, Category, DeadLetter, GenericElement } from '../../../src/events/types';
import type { ParsedCallback } from '../../../src/message/types';
import { normalize } from '../../../src/thingspace/normalize';
import { toGeneric } from '../../../src/thingspace/payloads/generic';
import { jsonElement, parsedCallback } from '../thingspace/builders';
import type { Json } from '../thingspace/builders';
import { avroProblems } from './avro-check';
import { SAMPLE_DEAD_LETTER } from '../../support/fixtures';

const ROOT = join(__dirname, '..', '..', '..');
const CATEGORIES: Category[] = ['async-response', 'external-change', 'device-originated'];
const STREAMS: Stream[] = [...CATEGORIES, 'dead-letter'];

const V1: Readonly<Record<Stream, Type>> = Object.fromEntries(
  STREAMS.map((stream) => [
    stream,
    Type.forSchema(
      JSON.parse(
        readFileSync(join(ROOT, 'schemas', 'released', `${DEFAULT_TOPICS[stream]}.v1.avsc`), 'utf8'),
      ) as never,
    ),
  ]),
) as Record<Stream, Type>;
const V2 = AVRO_TYPES;

type Plain = Record<string, unknown>;

function without(value: object, ...keys: string[]): Plain {
  const copy: Plain = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
}

/** The fields v2 added, taken out by hand (not by v1's schema, which would make the tests below circular). */
function withoutV2Fields(event: CallbackEvent): Plain {
  const generic = (element: GenericElement): Plain => without(element, 'format');
  const payload = (value: CallbackEvent['payload']): unknown => {
    if (value === null) return null;
    const [[branch, record]] = Object.entries(value) as [[string, GenericElement | Plain]];
    if (branch.endsWith('.GenericElement')) return { [branch]: generic(record as GenericElement) };
    if (branch.endsWith('.CarrierServiceResult')) return { [branch]: without(record, 'devices') };
    return value;
  };
  return {
    ...without(event, 'status', 'format', 'payloadType'),
    payload: payload(event.payload),
    extraPayloads: event.extraPayloads.map(generic),
    extraElements: event.extraElements.map(generic),
  };
}

/** A consumer on v1 that resolves per message (Java Avro): decode with the writer's schema, resolve to v1's. */
function readAsV1(category: Category, event: CallbackEvent): unknown {
  const written = V2[category].fromBuffer(V2[category].toBuffer(event)) as unknown;
  return V1[category].clone(written);
}

const CALLBACKS = join(ROOT, 'test', 'fixtures', 'callbacks');
const SOAP_EVENTS: [name: string, category: Category, event: CallbackEvent][] = readdirSync(CALLBACKS)
  .filter((file) => file.endsWith('.expected.json'))
  .sort()
  .map((file) => {
    const expected = JSON.parse(readFileSync(join(CALLBACKS, file), 'utf8')) as {
      category: Category;
      event: Omit<CallbackEvent, 'receivedAt' | 'ingressNode'>;
    };
    const event = { ...expected.event, receivedAt: 1_772_359_200_123, ingressNode: 'ingress-a' };
    return [file.replace('.expected.json', ''), expected.category, event];
  });

describe('v2 reads what v1 wrote (BACKWARD)', () => {
  it.each(SOAP_EVENTS)(
    '%s: written with v1, read with v2: status null, format soap, payloadType null',
    (_name, category, event) => {
      const v1Event = withoutV2Fields(event);
      expect(avroProblems(V1[category], v1Event)).toEqual([]); // a complete v1 value, nothing of v2 left
      const bytes = V1[category].toBuffer(v1Event);
      const read = V2[category].fromBuffer(bytes, V2[category].createResolver(V1[category])) as CallbackEvent;
      expect(read).toEqual({ ...event, status: null, payloadType: null });
      expect(read.format).toBe('soap');
    },
  );

  it('a v1 dead letter reads as soap', () => {
    // As v1 wrote it: no format.
    const letter: Partial<DeadLetter> = { ...SAMPLE_DEAD_LETTER, redactedXml: '<s:Envelope/>' };
    delete letter.format;

    const bytes = V1['dead-letter'].toBuffer(letter);
    const resolver = V2['dead-letter'].createResolver(V1['dead-letter']);
    expect(V2['dead-letter'].fromBuffer(bytes, resolver)).toEqual({ ...letter, format: 'soap' });
  });
});

const CONTEXT = { accountName: '0000555123-00001', receivedAt: new Date(0), ingressNode: 'ingress-a' };
const ids: Json = [{ id: '990000862471854', kind: 'IMEI' }];

/** A REST message of `service`, normalized. */
function restEvent(
  service: string,
  message: Partial<ParsedCallback>,
): { category: Category; event: CallbackEvent } {
  const { category, event } = normalize(parsedCallback({ format: 'rest', status: 'Success', ...message }), {
    ...CONTEXT,
    service,
  });
  return { category, event };
}
/** A REST message of `service` whose payload is `name: value`, normalized. */
const rest = (service: string, name: string, value: Json) =>
  restEvent(service, { payload: [jsonElement(name, value)] });

/** One REST event per payload branch a v2 topic has. */
const REST_EVENTS: [label: string, make: () => { category: Category; event: CallbackEvent }][] = [
  ['generic (DeviceService)', () => rest('DeviceService', 'uploadResponse', { id: 1 })],
  // No route makes a generic device-originated payload today, but the branch is there: a REST device SMS with one.
  [
    'generic (device-originated)',
    () => {
      const { category, event } = restEvent('EnhancedConnectivityService', { root: 'SmsCallbackRequest' });
      const payload = payloadOf('GenericElement', toGeneric(jsonElement('smsMessage', { text: 'hi' })));
      return { category, event: { ...event, payload, payloadType: 'GenericElement' } };
    },
  ],
  [
    'Fault (faultResponse)',
    () => rest('CarrierService', 'faultResponse', { faultcode: 'E', faultstring: 's' }),
  ],
  ['Fault (external change)', () => rest('AlertService', 'faultResponse', { faultcode: 'E' })],
  [
    'CarrierServiceResult (changeIdentifierResponse)',
    () => rest('CarrierService', 'changeIdentifierResponse', { deviceIds: ids }),
  ],
  [
    'ResumeTrackingComment (comment)',
    () => rest('ResumeTrackingNotification', 'comment', 'auto resumed on 4/2/2026 1:00 PM'),
  ],
  ['PromoChange', () => rest('PromoChanges', 'promoChange', { change: 'PROMO-1' })],
  [
    'ExternalProvisioningChange',
    () => rest('ExternalProvisioningChanges', 'externalProvisioningChange', { change: 'Activate' }),
  ],
  [
    'DeviceSms (smsMessage)',
    () => restEvent('EnhancedConnectivityService', { root: 'SmsCallbackRequest', smsMessage: 'hi' }),
  ],
  ['ActivateResult', () => rest('CarrierService', 'activateResponse', { deviceIds: ids, state: 'active' })],
  ['DeactivateResult', () => rest('CarrierService', 'deactivateResponse', { deactivated: true })],
  ['SuspendResult', () => rest('CarrierService', 'suspendResponse', { maxSuspendDaysAllowed: 90 })],
  ['RestoreResult', () => rest('CarrierService', 'restoreResponse', { restored: true })],
  ['ServicePlanResult', () => rest('CarrierService', 'servicePlanResponse', { servicePlan: 'P' })],
  ['PrlInformation', () => rest('DevicePRLInformation', 'prlInformationResponse', { prlVersion: '1' })],
  [
    'SmsDeliveryConfirmation',
    () => rest('SMSDeliveryConfirmation', 'smsDeliveryResponse', { confirmation: 'x' }),
  ],
  ['UsageResult', () => rest('DeviceUsage', 'usageResponse', [{ bytesUsed: 1 }])],
  ['NiddMtDelivery', () => rest('NiddService', 'niddMTDeliveryResponse', { reason: 'r' })],
  ['NiddConfigResult', () => rest('NiddService', 'niddConfigResponse', { accountName: 'A' })],
  ['NiddMoData', () => rest('NiddService', 'niddMONotificationResponse', { message: 'aGk=' })],
];

/** The record names of a topic's payload union, without null. */
function branchesOf(type: Type): string[] {
  const payload = (type as unknown as { field(name: string): { type: { types: Type[] } } }).field('payload');
  return payload.type.types.flatMap((branch) =>
    branch.name ? [branch.name.slice(AVRO_NAMESPACE.length + 1)] : [],
  );
}

describe('what a consumer still on v1 gets from a v2 event', () => {
  it.each(SOAP_EVENTS)('SOAP %s: reads, the v2 fields ignored', (_name, category, event) => {
    expect(readAsV1(category, event)).toEqual(withoutV2Fields(event));
  });

  describe.each(REST_EVENTS)('REST, payload %s', (_label, make) => {
    const { category, event } = make();
    const branch = event.payloadType!;

    if (branchesOf(V1[category]).includes(branch)) {
      it(`a v1 branch (${branch}): reads, the v2 fields ignored`, () => {
        expect(readAsV1(category, event)).toEqual(withoutV2Fields(event));
      });
    } else {
      it(`a branch added in v2 (${branch}): fails to decode`, () => {
        expect(() => readAsV1(category, event)).toThrow(/invalid/);
      });
    }
  });

  it('the cases above cover every payload branch of every v2 topic', () => {
    const covered = new Set(
      [
        ...SOAP_EVENTS.map(([, category, event]) => ({ category, event })),
        ...REST_EVENTS.map(([, make]) => make()),
      ].map(({ category, event }) => `${category} ${event.payloadType}`),
    );
    const branches = CATEGORIES.flatMap((category) =>
      branchesOf(V2[category]).map((name) => `${category} ${name}`),
    );
    expect(branches.filter((branch) => !covered.has(branch))).toEqual([]);
  });

  it.each([
    ['async-response', true],
    ['device-originated', true],
    ['external-change', false],
    ['dead-letter', false],
  ] as const)(
    "%s: avsc's createResolver, which resolves the whole schema up front, fails for a v1 reader: %s",
    (stream, fails) => {
      const resolve = () => V1[stream].createResolver(V2[stream]);
      if (fails) expect(resolve).toThrow(/cannot read/);
      else expect(resolve).not.toThrow();
    },
  );
});
