import { formatRecord, matches, serviceFilter } from '../../../src/cli/tail-records';
import type { TailedRecord } from '../../../src/cli/tail-records';

const at = Date.parse('2026-12-07T03:04:05.678Z');

function record(value: Record<string, unknown> | null): TailedRecord {
  return {
    topic: 'thingspace.async-responses',
    partition: 1,
    offset: '42',
    key: 'mdn:5550000001',
    timestamp: at,
    value,
  };
}

const event = record({
  eventId: 'e-1',
  service: 'CarrierService',
  accountName: '0000123456-00001',
  status: 'Success',
  devices: [
    { kind: 'mdn', identifier: '5550000001' },
    { kind: 'imei', identifier: '990000862471854' },
  ],
});

describe('tail filters', () => {
  it('an empty filter passes every record, events or not', () => {
    expect(matches({}, event)).toBe(true);
    expect(matches({}, record(null))).toBe(true);
  });

  it('--device matches any device by identifier or kind:identifier, in any case', () => {
    expect(matches({ devices: ['5550000001'] }, event)).toBe(true);
    expect(matches({ devices: ['IMEI:990000862471854'] }, event)).toBe(true);
    expect(matches({ devices: ['nope', 'mdn:5550000001'] }, event)).toBe(true);
    expect(matches({ devices: ['mdn:990000862471854'] }, event)).toBe(false);
    expect(matches({ devices: ['5550000009'] }, event)).toBe(false);
  });

  it('--service, --account exactly; --status in any case; all must hold', () => {
    expect(matches({ services: ['CarrierService'], accounts: ['0000123456-00001'] }, event)).toBe(true);
    expect(matches({ services: ['PromoChange'] }, event)).toBe(false);
    expect(matches({ accounts: ['0000123456-00002'] }, event)).toBe(false);
    expect(matches({ statuses: ['success'] }, event)).toBe(true);
    expect(matches({ statuses: ['Failed'] }, event)).toBe(false);
    expect(matches({ services: ['CarrierService'], statuses: ['Failed'] }, event)).toBe(false);
  });

  it('a value without the field passes no filter on it', () => {
    expect(matches({ statuses: ['Success'] }, record({ eventId: 'e', service: 'X', status: null }))).toBe(
      false,
    );
    expect(matches({ devices: ['5550000001'] }, record(null))).toBe(false);
    expect(matches({ accounts: ['a'] }, record(null))).toBe(false);
  });

  it('--service takes the catalogue names in any case and alias, and refuses unknown ones', () => {
    expect(serviceFilter(['carrierservice'])).toEqual({ services: ['CarrierService'] });
    expect(serviceFilter(['CarrierService', 'NoSuchService'])).toEqual({ unknown: 'NoSuchService' });
  });
});

describe('tail output', () => {
  it('json: one object per line, with the record time', () => {
    const line = formatRecord(event, 'json');
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toMatchObject({
      topic: event.topic,
      offset: '42',
      timestamp: at,
      value: { eventId: 'e-1' },
    });
  });

  it('pretty: one line of what an operator looks for', () => {
    expect(formatRecord(event, 'pretty')).toBe(
      '2026-12-07T03:04:05.678Z  thingspace.async-responses/1@42  CarrierService  account=0000123456-00001  ' +
        'status=Success  devices=mdn:5550000001,imei:990000862471854  eventId=e-1',
    );
    expect(formatRecord(record({ other: 1 }), 'pretty')).toBe(
      '2026-12-07T03:04:05.678Z  thingspace.async-responses/1@42  key=mdn:5550000001  {"other":1}',
    );
  });
});
