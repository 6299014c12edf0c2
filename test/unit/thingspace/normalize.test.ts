import { normalize } from '../../../src/thingspace/normalize';
import type { NormalizeContext } from '../../../src/thingspace/normalize';
import { UnexpectedRootError, UnknownServiceError } from '../../../src/thingspace/errors';
import { device, element, node, parsedCallback, PASSWORD } from './builders';

const context: NormalizeContext = {
  service: 'DeviceUsage',
  accountName: '0000555123-00001',
  receivedAt: new Date('2026-03-01T10:00:00.123Z'),
  ingressNode: 'ingress-a',
};

describe('normalize', () => {
  it('builds the envelope from the message and the context', () => {
    const { category, key, event, anomalies } = normalize(
      parsedCallback({ callbackCount: 2, maxCallbackThreshold: 4, payload: [element('Usage', 'u')] }),
      context,
    );
    expect(category).toBe('async-response');
    expect(key).toBe('mdn:5555550100');
    expect(anomalies).toEqual([]);
    expect(event).toMatchObject({
      service: 'DeviceUsage',
      category: 'async-response',
      accountName: '0000555123-00001',
      requestId: '0a0a0a0a-1111-4222-8333-444455556666',
      devices: [{ kind: 'mdn', identifier: '5555550100' }],
      callbackCount: 2,
      maxCallbackThreshold: 4,
      receivedAt: Date.parse('2026-03-01T10:00:00.123Z'),
      ingressNode: 'ingress-a',
      extraPayloads: [],
      extraElements: [],
    });
  });

  it('uses the canonical service name whatever the URL said', () => {
    expect(normalize(parsedCallback(), { ...context, service: 'deviceusage' }).event.service).toBe(
      'DeviceUsage',
    );
  });

  it('absent values become null, not undefined (Avro has no undefined)', () => {
    const { event } = normalize(parsedCallback({ requestId: undefined }), context);
    expect(event).toMatchObject({
      requestId: null,
      callbackCount: null,
      maxCallbackThreshold: null,
      payload: null,
    });
  });

  it('keys by the payload identifiers when the message has no Device', () => {
    const payload = [
      element('ExternalProvisioningChange', [
        node('DeviceInfo', [node('Id', [node('Kind', 'ICCID'), node('Identifier', '89148000000000000123')])]),
      ]),
    ];
    const normalized = normalize(parsedCallback({ devices: [], payload }), {
      ...context,
      service: 'ExternalProvisioningChanges',
    });
    expect(normalized.event.devices).toEqual([]);
    expect(normalized.key).toBe('iccid:89148000000000000123');
  });

  it('passes the kind priority on', () => {
    const parsed = parsedCallback({
      devices: [device('imei', '990000862471854'), device('mdn', '5555550100')],
    });
    expect(normalize(parsed, context).key).toBe('imei:990000862471854');
    expect(normalize(parsed, context, { kindPriority: ['mdn'] }).key).toBe('mdn:5555550100');
  });

  it('keeps unknown root children in extraElements', () => {
    const { event, anomalies } = normalize(parsedCallback({ extra: [element('Priority', 'high')] }), context);
    expect(event.extraElements).toEqual([
      { element: 'Priority', fields: { '.': 'high' }, xml: '<Priority>(test)</Priority>', format: 'soap' },
    ]);
    expect(anomalies).toEqual(['unknown-root-element']);
  });

  it('reports each kind of anomaly once, from Device and payload identifiers alike', () => {
    const { anomalies, event } = normalize(
      parsedCallback({
        devices: [device('mdn', '555-555-0100'), device('mdn', '555'), device('serial', 'S-1')],
        payload: [
          element('Usage', [node('Id', [node('Kind', 'esn'), node('Identifier', '8F3A1C2')])]),
          element('Data', [node('Usage', 'nested')]),
          element('NewThing', 'new'),
        ],
      }),
      context,
    );
    expect(anomalies).toEqual([
      'identifier-not-fitting-kind:mdn',
      'unknown-device-kind',
      'identifier-not-fitting-kind:esn',
      'unknown-data-child',
    ]);
    expect(event.devices).toEqual([
      { kind: 'mdn', identifier: '555-555-0100' },
      { kind: 'mdn', identifier: '555' },
      { kind: 'serial', identifier: 'S-1' },
    ]);
  });

  it('never puts credentials in the event', () => {
    const { event } = normalize(parsedCallback({ payload: [element('Usage', 'u')] }), context);
    const json = JSON.stringify(event);
    expect(json).not.toContain(PASSWORD);
    expect(json).not.toContain('unit-user');
  });

  it('rejects an unknown service and a root the service never sends with typed errors', () => {
    expect(() => normalize(parsedCallback(), { ...context, service: 'NetworkEventService' })).toThrow(
      UnknownServiceError,
    );
    expect(() => normalize(parsedCallback({ root: 'SmsCallbackRequest' }), context)).toThrow(
      UnexpectedRootError,
    );
  });
});
