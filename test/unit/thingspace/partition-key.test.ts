import { DEFAULT_KIND_PRIORITY, partitionKey, preferredDevice } from '../../../src/thingspace/partition-key';
import type { Device } from '../../../src/events/types';

const imei: Device = { kind: 'imei', identifier: '990000862471854' };
const iccid: Device = { kind: 'iccid', identifier: '89148000000000000123' };
const mdn: Device = { kind: 'mdn', identifier: '5555550142' };
const esn: Device = { kind: 'esn', identifier: '8F3A1C2E' };
const serial: Device = { kind: 'serial', identifier: 'S-1' };
const none = { devices: [], payloadDevices: [], requestId: undefined, eventId: 'e' };

describe('partition key', () => {
  it('defaults to stable hardware ids first', () => {
    expect(DEFAULT_KIND_PRIORITY).toEqual([
      'imei',
      'meid',
      'esn',
      'eid',
      'iccid',
      'imsi',
      'mdn',
      'msisdn',
      'min',
    ]);
    expect(partitionKey({ ...none, devices: [mdn, iccid, imei] })).toBe('imei:990000862471854');
    expect(partitionKey({ ...none, devices: [mdn, esn] })).toBe('esn:8F3A1C2E');
    expect(partitionKey({ ...none, devices: [mdn] })).toBe('mdn:5555550142');
  });

  it('follows a configured priority, whatever the document order', () => {
    expect(partitionKey({ ...none, devices: [imei, iccid, mdn] }, ['mdn', 'imei'])).toBe('mdn:5555550142');
    expect(partitionKey({ ...none, devices: [mdn, imei, iccid] }, ['iccid', 'mdn'])).toBe(
      'iccid:89148000000000000123',
    );
  });

  it('falls back to the first device in document order when no listed kind is present', () => {
    expect(partitionKey({ ...none, devices: [serial, mdn] }, ['imei'])).toBe('serial:S-1');
    expect(partitionKey({ ...none, devices: [serial, imei] })).toBe('imei:990000862471854');
  });

  it('takes the first device of the preferred kind when there are several', () => {
    const other = { kind: 'imei', identifier: '990000862471862' };
    expect(preferredDevice([other, imei], DEFAULT_KIND_PRIORITY)).toBe(other);
  });

  it('skips devices that lack a kind or an identifier', () => {
    expect(
      partitionKey({
        ...none,
        devices: [{ kind: 'imei', identifier: '' }, { kind: '', identifier: '1' }, mdn],
      }),
    ).toBe('mdn:5555550142');
  });

  it('without Device, uses the identifiers found in the payload', () => {
    expect(partitionKey({ ...none, payloadDevices: [iccid, imei], requestId: 'r' })).toBe(
      'imei:990000862471854',
    );
  });

  it('prefers Device elements to payload identifiers, even of a higher-priority kind', () => {
    expect(partitionKey({ ...none, devices: [mdn], payloadDevices: [imei] })).toBe('mdn:5555550142');
  });

  it('without any device: the RequestId, then the event id', () => {
    expect(partitionKey({ ...none, requestId: 'f00d' })).toBe('request:f00d');
    expect(partitionKey({ ...none, requestId: '', eventId: 'abc' })).toBe('event:abc');
    expect(partitionKey({ ...none, eventId: 'abc' })).toBe('event:abc');
  });
});
