/**
 * The REST (JSON) payload mappers, on trees shaped as the JSON parser builds them (builders.ts, jsonNode): typed
 * fields where THINGSPACE.md §6 names them, everything else in `other`, nothing lost.
 */
import { ElementReader } from '../../../src/thingspace/fields';
import { normalize } from '../../../src/thingspace/normalize';
import { activate } from '../../../src/thingspace/payloads/activate';
import { carrierService } from '../../../src/thingspace/payloads/carrier-service';
import { deactivate } from '../../../src/thingspace/payloads/deactivate';
import { fault } from '../../../src/thingspace/payloads/fault';
import type { ElementMapper } from '../../../src/thingspace/payloads/mapper';
import { niddConfig } from '../../../src/thingspace/payloads/nidd-config';
import { niddMoData } from '../../../src/thingspace/payloads/nidd-mo-data';
import { niddMtDelivery } from '../../../src/thingspace/payloads/nidd-mt-delivery';
import { prlInformation } from '../../../src/thingspace/payloads/prl-information';
import { restore } from '../../../src/thingspace/payloads/restore';
import { resumeTrackingComment } from '../../../src/thingspace/payloads/resume-tracking-comment';
import { fromData } from '../../../src/thingspace/payloads/select';
import { servicePlan } from '../../../src/thingspace/payloads/service-plan';
import { smsDelivery } from '../../../src/thingspace/payloads/sms-delivery';
import { suspend } from '../../../src/thingspace/payloads/suspend';
import { usage } from '../../../src/thingspace/payloads/usage';
import { base64Bytes, int32, safeLong } from '../../../src/thingspace/payloads/values';
import { jsonElement, jsonNode, parsedCallback } from './builders';
import type { Json } from './builders';

const NS = 'thingspace.bridge.v1';

/** The one record a mapper makes of `value` under `name`, by its branch name. */
function mapped(mapper: ElementMapper, name: string, value: Json): [string, unknown] {
  const [[branch, record]] = Object.entries(mapper.map(new ElementReader(jsonNode(name, value)))) as [
    [string, unknown],
  ];
  return [branch.slice(NS.length + 1), record];
}

const ids = (...pairs: [kind: string, id: string][]): Json => pairs.map(([kind, id]) => ({ id, kind }));

describe('REST payload mappers', () => {
  it('activateResponse: the new MDN and MSISDN from its deviceIds, normalized; the rest in other', () => {
    const value = {
      deviceIds: ids(['Mdn', ' 5550100123 '], ['MSISDN', '15550100123'], ['iccid', '89148000000000000123']),
      state: 'active',
      servicePlan: 'M2M-PLAN-1',
      ipAddress: '198.51.100.23',
      featureCodes: ['FC1', 'FC2'],
      deviceCredential: null,
    };
    expect(mapped(activate, 'activateResponse', value)).toEqual([
      'ActivateResult',
      {
        devices: [
          { kind: 'mdn', identifier: '5550100123' },
          { kind: 'msisdn', identifier: '15550100123' },
          { kind: 'iccid', identifier: '89148000000000000123' },
        ],
        state: 'active',
        servicePlan: 'M2M-PLAN-1',
        ipAddress: '198.51.100.23',
        other: { deviceCredential: '', 'featureCodes[0]': 'FC1', 'featureCodes[1]': 'FC2' },
      },
    ]);
  });

  it('deactivateResponse, restoreResponse: their value as text, whatever its JSON type', () => {
    expect(mapped(deactivate, 'deactivateResponse', { deactivated: true })).toEqual([
      'DeactivateResult',
      { deactivated: 'true', other: {} },
    ]);
    expect(mapped(restore, 'restoreResponse', { restored: 'yes', note: 'n' })).toEqual([
      'RestoreResult',
      { restored: 'yes', other: { note: 'n' } },
    ]);
  });

  it('suspendResponse: counters as ints from numbers or digit strings; one that is not an int stays in other', () => {
    const value = {
      maxSuspendDaysAllowed: 90,
      expectedResumeDate: '2026-06-01',
      numDaysSuspendAllowedCurrent12Months: '75',
      numDaysSuspendedLast12Months: 'fifteen',
    };
    expect(mapped(suspend, 'suspendResponse', value)).toEqual([
      'SuspendResult',
      {
        maxSuspendDaysAllowed: 90,
        expectedResumeDate: '2026-06-01',
        numDaysSuspendAllowedCurrent12Months: 75,
        numDaysSuspendedLast12Months: null,
        other: { numDaysSuspendedLast12Months: 'fifteen' },
      },
    ]);
  });

  it('suspendResponse: JSON null and absent counters are null, and nothing is left over', () => {
    expect(mapped(suspend, 'suspendResponse', { maxSuspendDaysAllowed: null })).toEqual([
      'SuspendResult',
      {
        maxSuspendDaysAllowed: null,
        expectedResumeDate: null,
        numDaysSuspendAllowedCurrent12Months: null,
        numDaysSuspendedLast12Months: null,
        other: {},
      },
    ]);
  });

  it.each(['servicePlanResponse', 'changeServicePlanResponse'])(
    '%s (the guessed names of the plan change result): plan and devices',
    (name) => {
      const value = { deviceIds: ids(['IMEI', '990000862471854']), servicePlan: 'M2M-PLAN-2' };
      expect(mapped(servicePlan, name, value)).toEqual([
        'ServicePlanResult',
        { devices: [{ kind: 'imei', identifier: '990000862471854' }], servicePlan: 'M2M-PLAN-2', other: {} },
      ]);
    },
  );

  it('changeIdentifierResponse: the existing CarrierServiceResult, its deviceIds as devices', () => {
    const value = { deviceIds: ids(['meid', 'a10000009296f1']), servicePlan: 'M2M-PLAN-1', extra: 1 };
    expect(mapped(carrierService, 'changeIdentifierResponse', value)).toEqual([
      'CarrierServiceResult',
      {
        identifierChanged: null,
        servicePlan: 'M2M-PLAN-1',
        devices: [{ kind: 'meid', identifier: 'A10000009296F1' }],
        other: { extra: '1' },
      },
    ]);
  });

  it('prlInformationResponse and smsDeliveryResponse', () => {
    expect(mapped(prlInformation, 'prlInformationResponse', { prlVersion: '51234' })).toEqual([
      'PrlInformation',
      { prlVersion: '51234', other: {} },
    ]);
    expect(mapped(smsDelivery, 'smsDeliveryResponse', { confirmation: 'Delivered' })).toEqual([
      'SmsDeliveryConfirmation',
      { confirmation: 'Delivered', other: {} },
    ]);
  });

  it('usageResponse: one entry per item, longs where they parse, the rest in other by path from the list', () => {
    const value: Json = [
      {
        deviceIds: ids(['imei', '990000862471854']),
        bytesUsed: 4096,
        smsUsed: 2,
        source: 'Raw Usage',
        timestamp: '2026-02-01T00:00:00Z',
        servicePlan: 'M2M-PLAN-1',
        extendedAttributes: [{ key: 'MoSms', value: '1' }],
      },
      { bytesUsed: 'lots', smsUsed: '9007199254740993' },
    ];
    expect(mapped(usage, 'usageResponse', value)).toEqual([
      'UsageResult',
      {
        usages: [
          {
            devices: [{ kind: 'imei', identifier: '990000862471854' }],
            bytesUsed: 4096,
            smsUsed: 2,
            source: 'Raw Usage',
            timestamp: '2026-02-01T00:00:00Z',
            servicePlan: 'M2M-PLAN-1',
          },
          { devices: [], bytesUsed: null, smsUsed: null, source: null, timestamp: null, servicePlan: null },
        ],
        other: {
          '[0].extendedAttributes[0].key': 'MoSms',
          '[0].extendedAttributes[0].value': '1',
          '[1].bytesUsed': 'lots',
          '[1].smsUsed': '9007199254740993',
        },
      },
    ]);
  });

  it('usageResponse that is not a list: no entries, all of it in other', () => {
    expect(mapped(usage, 'usageResponse', { bytesUsed: 1 })).toEqual([
      'UsageResult',
      { usages: [], other: { bytesUsed: '1' } },
    ]);
  });

  it('niddMONotificationResponse: the message decoded to bytes', () => {
    const value = {
      accountName: '0000555123-00001',
      message: Buffer.from('hello, device').toString('base64'),
      deviceIds: ids(['IMEI', '990000862471854'], ['ICCID', '89148000000000000123']),
    };
    expect(mapped(niddMoData, 'niddMONotificationResponse', value)).toEqual([
      'NiddMoData',
      {
        accountName: '0000555123-00001',
        message: Buffer.from('hello, device'),
        devices: [
          { kind: 'imei', identifier: '990000862471854' },
          { kind: 'iccid', identifier: '89148000000000000123' },
        ],
        other: {},
      },
    ]);
  });

  it('niddMONotificationResponse: a message that is not base64 is null, its text kept in other', () => {
    const [, record] = mapped(niddMoData, 'niddMONotificationResponse', { message: 'not base64!' });
    expect(record).toMatchObject({ message: null, other: { message: 'not base64!' } });
  });

  it('niddMTDeliveryResponse and niddConfigResponse', () => {
    const delivery = {
      accountName: '0000555123-00001',
      acknowledgeTime: '2026-03-01T10:00:01Z',
      firstAttemptDeliveryTime: '2026-03-01T10:00:00Z',
      reason: 'Buffered, device not reachable',
      deviceIds: ids(['IMEI', '990000862471854']),
    };
    expect(mapped(niddMtDelivery, 'niddMTDeliveryResponse', delivery)).toEqual([
      'NiddMtDelivery',
      {
        accountName: '0000555123-00001',
        acknowledgeTime: '2026-03-01T10:00:01Z',
        firstAttemptDeliveryTime: '2026-03-01T10:00:00Z',
        reason: 'Buffered, device not reachable',
        devices: [{ kind: 'imei', identifier: '990000862471854' }],
        other: {},
      },
    ]);
    expect(mapped(niddConfig, 'niddConfigResponse', { accountName: 'A', status: 'ConfigCreated' })).toEqual([
      'NiddConfigResult',
      { accountName: 'A', reason: null, devices: [], other: { status: 'ConfigCreated' } },
    ]);
  });

  it('faultResponse: the existing Fault, faultactor and detail in other', () => {
    const value = {
      faultcode: 'UnifiedWebService.REQUEST_FAILED.DeviceAlreadyActive',
      faultstring: 'Device is already active.',
      faultactor: 'unit',
      detail: { code: 7 },
    };
    expect(mapped(fault, 'faultResponse', value)).toEqual([
      'Fault',
      {
        faultCode: 'UnifiedWebService.REQUEST_FAILED.DeviceAlreadyActive',
        faultString: 'Device is already active.',
        other: { 'detail.code': '7', faultactor: 'unit' },
      },
    ]);
  });

  it('comment: like its SOAP twin, the text and its date', () => {
    expect(
      mapped(resumeTrackingComment, 'comment', 'Device will be auto resumed on - 4/2/2026 1:30:00 PM'),
    ).toEqual([
      'ResumeTrackingComment',
      {
        comment: 'Device will be auto resumed on - 4/2/2026 1:30:00 PM',
        autoResumeLocalDateTime: '2026-04-02T13:30:00',
        other: {},
      },
    ]);
  });
});

describe('JSON device identifiers: kind and id, in JSON objects only', () => {
  it('reads {kind, id} in JSON, never Kind and Id in XML', () => {
    const json = new ElementReader(jsonNode('x', { deviceIds: ids(['Imei', '990000862471854']) }));
    expect(json.devices()).toEqual([{ kind: 'Imei', identifier: '990000862471854' }]);
    const xml = {
      name: 'X',
      attributes: {},
      text: '',
      children: [
        { name: 'Kind', attributes: {}, text: 'imei', children: [] },
        { name: 'Id', attributes: {}, text: '1', children: [] },
      ],
    };
    expect(new ElementReader(xml).devices()).toEqual([]);
  });
});

describe('values: texts typed fields take', () => {
  it.each([
    ['0', 0],
    ['-3', -3],
    ['+7', 7],
    ['2147483647', 2147483647],
    ['2147483648', null],
    ['3.0', null],
    ['3e0', null],
    ['', null],
    [' 3', null],
  ])('int32(%j) -> %j', (text, value) => {
    expect(int32(text)).toBe(value);
  });

  it.each([
    ['9007199254740991', 9007199254740991],
    ['9007199254740992', null],
    ['12.5', null],
  ])('safeLong(%j) -> %j', (text, value) => {
    expect(safeLong(text)).toBe(value);
  });

  it.each([
    ['', ''],
    ['aGk=', '6869'],
    ['aGVsbG8=', '68656c6c6f'],
    ['/+8=', 'ffef'],
  ])('base64Bytes(%j) -> %s', (text, hex) => {
    expect(base64Bytes(text)?.toString('hex')).toBe(hex);
  });

  it.each(['aGk', 'aGk=\n', 'aG k=', 'aGk-', '_-8=', 'aGl=', 'QR=='])('base64Bytes(%j) -> null', (text) => {
    expect(base64Bytes(text)).toBeNull();
  });
});

describe('payload selection for REST', () => {
  it('NiddService: device data is device-originated, the other NIDD results stay async responses', () => {
    const context = {
      service: 'NiddService',
      accountName: '0000555123-00001',
      receivedAt: new Date(0),
      ingressNode: 'n',
    };
    const mo = normalize(
      parsedCallback({
        format: 'rest',
        payload: [jsonElement('niddMONotificationResponse', { message: 'aGk=' })],
      }),
      context,
    );
    expect([mo.category, mo.event.category, mo.event.payloadType]).toEqual([
      'device-originated',
      'device-originated',
      'NiddMoData',
    ]);
    const mt = normalize(
      parsedCallback({ format: 'rest', payload: [jsonElement('niddMTDeliveryResponse', { reason: 'r' })] }),
      context,
    );
    expect([mt.category, mt.event.category, mt.event.payloadType]).toEqual([
      'async-response',
      'async-response',
      'NiddMtDelivery',
    ]);
  });

  it('no two mappers of a route read one name', () => {
    expect(() => fromData([fault, { ...fault, elements: ['FAULTRESPONSE'] }])).toThrow(
      'two payload mappers read FAULTRESPONSE',
    );
  });
});
