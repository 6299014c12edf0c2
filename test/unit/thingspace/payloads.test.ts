import { carrierService } from '../../../src/thingspace/payloads/carrier-service';
import { externalProvisioningChange } from '../../../src/thingspace/payloads/external-provisioning-change';
import { fault } from '../../../src/thingspace/payloads/fault';
import { promoChange } from '../../../src/thingspace/payloads/promo-change';
import {
  parseUsLocalDateTime,
  resumeTrackingComment,
} from '../../../src/thingspace/payloads/resume-tracking-comment';
import { fromData, fromSmsMessage } from '../../../src/thingspace/payloads/select';
import { ElementReader } from '../../../src/thingspace/fields';
import { element, node, parsedCallback } from './builders';

const NS = 'thingspace.bridge.v1';

describe('payload mappers', () => {
  it('ExternalProvisioningChange: typed fields, identifiers normalized, the rest in other', () => {
    const change = node('ExternalProvisioningChange', [
      node('Source', 'Portal'),
      node('Change', 'changeIMEI'),
      node('DeviceInfo', [
        node('AccountName', '0000555123-00001'),
        node('CarrierInformation', [node('CarrierName', 'Carrier'), node('State', 'active')]),
        node('DeviceIdentifiers', [
          node('DeviceIdentifier', [node('Kind', 'IMEI'), node('Identifier', '990000862471854')]),
        ]),
        node('IPAddress', '10.0.0.1'),
      ]),
    ]);
    expect(externalProvisioningChange.map(new ElementReader(change))).toEqual({
      [`${NS}.ExternalProvisioningChange`]: {
        source: 'Portal',
        change: 'changeIMEI',
        deviceInfo: {
          accountName: '0000555123-00001',
          carrierInformation: { carrierName: 'Carrier', servicePlan: null, state: 'active' },
          deviceGroupName: null,
          devices: [{ kind: 'imei', identifier: '990000862471854' }],
        },
        other: { 'DeviceInfo/IPAddress': '10.0.0.1' },
      },
    });
  });

  it('ExternalProvisioningChange: a collection-style CarrierInformation types its first entry, keeps the others', () => {
    const entry = (plan: string) => node('CarrierInformation', [node('ServicePlan', plan)]);
    const change = node('ExternalProvisioningChange', [
      node('DeviceInfo', [node('CarrierInformation', [entry('A'), entry('B')])]),
    ]);
    const record = Object.values(externalProvisioningChange.map(new ElementReader(change)))[0] as {
      deviceInfo: { carrierInformation: unknown };
      other: unknown;
    };
    expect(record.deviceInfo.carrierInformation).toEqual({
      carrierName: null,
      servicePlan: 'A',
      state: null,
    });
    expect(record.other).toEqual({ 'DeviceInfo/CarrierInformation/CarrierInformation[2]/ServicePlan': 'B' });
  });

  it('ExternalProvisioningChange without DeviceInfo', () => {
    const change = node('ExternalProvisioningChange', [node('Change', 'Suspend')]);
    expect(externalProvisioningChange.map(new ElementReader(change))).toEqual({
      [`${NS}.ExternalProvisioningChange`]: { source: null, change: 'Suspend', deviceInfo: null, other: {} },
    });
  });

  it('CarrierService: identifier change and plan', () => {
    const result = node('CarrierService', [
      node('ChangeDeviceIdentifier', [
        node('DeviceIdentifierChanged', [node('Kind', 'MEID'), node('Identifier', 'a10000009296f1')]),
      ]),
      node('ServicePlan', 'Plan B'),
      node('ChangeDeviceCustomFields', [node('CustomField1', 'x')]),
    ]);
    expect(carrierService.map(new ElementReader(result))).toEqual({
      [`${NS}.CarrierServiceResult`]: {
        identifierChanged: { kind: 'meid', identifier: 'A10000009296F1' },
        servicePlan: 'Plan B',
        devices: [],
        other: { 'ChangeDeviceCustomFields/CustomField1': 'x' },
      },
    });
  });

  it('Fault: faultcode and faultstring in any case, the rest in other', () => {
    const failure = node('Fault', [
      node('FaultCode', 'E42'),
      node('faultstring', 'no such device'),
      node('Detail', 'd'),
    ]);
    expect(fault.map(new ElementReader(failure))).toEqual({
      [`${NS}.Fault`]: { faultCode: 'E42', faultString: 'no such device', other: { Detail: 'd' } },
    });
  });

  it('PromoChange', () => {
    const promo = node('PromoChange', [node('Change', 'PROMO-TEST-01'), node('ChangeDate', '2026-03-31')]);
    expect(promoChange.map(new ElementReader(promo))).toEqual({
      [`${NS}.PromoChange`]: { change: 'PROMO-TEST-01', changeDate: '2026-03-31', other: {} },
    });
  });

  it('Comment: the text, and the auto-resume date when it parses', () => {
    const comment = node('Comment', 'Device will be auto resumed on - 3/15/2017 12:00:00 AM', { lang: 'en' });
    expect(resumeTrackingComment.map(new ElementReader(comment))).toEqual({
      [`${NS}.ResumeTrackingComment`]: {
        comment: 'Device will be auto resumed on - 3/15/2017 12:00:00 AM',
        autoResumeLocalDateTime: '2017-03-15T00:00:00',
        other: { '@lang': 'en' },
      },
    });
  });
});

describe('parseUsLocalDateTime', () => {
  it.each([
    ['Device will be auto resumed on - 3/15/2017 12:00:00 AM', '2017-03-15T00:00:00'],
    ['on 12/1/2026 12:30:05 PM', '2026-12-01T12:30:05'],
    ['on 2/29/2024 1:05 pm', '2024-02-29T13:05:00'],
    ['on 07/04/2026 11:59:59PM.', '2026-07-04T23:59:59'],
  ])('%j -> %s', (text, expected) => {
    expect(parseUsLocalDateTime(text)).toBe(expected);
  });

  it.each([
    'Device will be auto resumed soon',
    'on 2/29/2025 1:00 AM', // not a leap year
    'on 13/1/2026 1:00 AM',
    'on 0/1/2026 1:00 AM',
    'on 4/31/2026 1:00 AM',
    'on 3/15/2017 0:00 AM',
    'on 3/15/2017 13:00 PM',
    'on 3/15/2017 12:60 AM',
    'on 3/15/2017', // no time: not invented
    'on 3/15/2017 14:00', // no AM/PM: 24-hour clock is not what the platform sends
  ])('%j -> null', (text) => {
    expect(parseUsLocalDateTime(text)).toBeNull();
  });
});

describe('payload selection', () => {
  const select = fromData([promoChange, fault]);

  it('the first known child is the payload; every other child, known or not, an extra payload', () => {
    const parsed = parsedCallback({
      payload: [
        element('Unknown', 'u'),
        element('PromoChange', [node('Change', 'P1')]),
        element('Fault', 'f'),
      ],
    });
    const selected = select(parsed);
    expect(Object.keys(selected.payload ?? {})).toEqual([`${NS}.PromoChange`]);
    expect(selected.extraPayloads.map((extra) => extra.element)).toEqual(['Unknown', 'Fault']);
    expect(selected.extraPayloads[0]).toEqual({
      element: 'Unknown',
      fields: { '.': 'u' },
      xml: '<Unknown>(test)</Unknown>',
      format: 'soap',
    });
  });

  it('matches payload element names case-insensitively', () => {
    const selected = select(parsedCallback({ payload: [element('promochange', [node('Change', 'P1')])] }));
    expect(Object.keys(selected.payload ?? {})).toEqual([`${NS}.PromoChange`]);
  });

  it('with no known child, the first child is the payload, generic', () => {
    const selected = select(parsedCallback({ payload: [element('Usage', 'u'), element('Summary', 's')] }));
    expect(selected.payload).toEqual({
      [`${NS}.GenericElement`]: {
        element: 'Usage',
        fields: { '.': 'u' },
        xml: '<Usage>(test)</Usage>',
        format: 'soap',
      },
    });
    expect(selected.extraPayloads.map((extra) => extra.element)).toEqual(['Summary']);
  });

  it('an empty Data (or every child nil) has no payload', () => {
    expect(select(parsedCallback({ payload: [] }))).toEqual({ payload: null, extraPayloads: [] });
  });

  it('device SMS: the text is the payload, any Data child an extra', () => {
    const sms = parsedCallback({
      root: 'SmsCallbackRequest',
      smsMessage: 'hello',
      payload: [element('X', 'x')],
    });
    expect(fromSmsMessage(sms)).toEqual({
      payload: { [`${NS}.DeviceSms`]: { message: 'hello' } },
      extraPayloads: [{ element: 'X', fields: { '.': 'x' }, xml: '<X>(test)</X>', format: 'soap' }],
    });
    expect(fromSmsMessage(parsedCallback({ root: 'SmsCallbackRequest' })).payload).toEqual({
      [`${NS}.DeviceSms`]: { message: null },
    });
  });
});
