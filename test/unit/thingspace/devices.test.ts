import { deviceAnomaly, normalizeDevice } from '../../../src/thingspace/devices';

const DOCUMENTED_KINDS = ['esn', 'meid', 'imei', 'iccid', 'mdn', 'min', 'msisdn', 'imsi', 'eid'];

describe('device normalization', () => {
  it.each([
    // kind as sent, identifier as sent, normalized kind, normalized identifier
    ['esn', '12345678901', 'esn', '12345678901'],
    ['ESN', '8f3a1c2e', 'esn', '8F3A1C2E'],
    ['Esn', ' 8F3A1C2E ', 'esn', '8F3A1C2E'],
    ['meid', 'a10000009296f1', 'meid', 'A10000009296F1'],
    ['imei', '990000862471854', 'imei', '990000862471854'],
    ['IMEI', '9900008624718501', 'imei', '9900008624718501'],
    ['iccId', '89148000000000000123', 'iccid', '89148000000000000123'],
    ['Mdn', '5555550142', 'mdn', '5555550142'],
    ['mdn', '\t5555550142\n', 'mdn', '5555550142'],
    ['MIN', '5555550143', 'min', '5555550143'],
    ['msisdn', '15555550144', 'msisdn', '15555550144'],
    ['imsi', '311480000000123', 'imsi', '311480000000123'],
    ['EID', '89049032000000000000000000000123', 'eid', '89049032000000000000000000000123'],
  ])('%s %j -> %s %j, no anomaly', (kind, identifier, normalizedKind, normalizedIdentifier) => {
    const device = normalizeDevice({ kind, identifier });
    expect(device).toEqual({ kind: normalizedKind, identifier: normalizedIdentifier });
    expect(deviceAnomaly(device)).toBeUndefined();
  });

  it.each([
    // An identifier that does not fit its kind is kept exactly as it came (trimmed), never "cleaned".
    ['mdn', '555-555-0142', '555-555-0142'],
    ['mdn', '555555014', '555555014'],
    ['mdn', '555 555 0142', '555 555 0142'],
    ['esn', '8f3a1c2', '8f3a1c2'],
    ['esn', '8f3a1c2e9', '8f3a1c2e9'],
    ['esn', '1234567890', '1234567890'],
    ['meid', 'a10000009296f', 'a10000009296f'],
    ['imei', '99000086247185012', '99000086247185012'],
    ['iccid', '8914800000000000012f', '8914800000000000012f'],
    ['eid', '8904903200000000000000000000012', '8904903200000000000000000000012'],
    ['imsi', '31148', '31148'],
    ['mdn', '', ''],
  ])('%s %j does not fit: kept as %j, anomaly reported', (kind, identifier, kept) => {
    const device = normalizeDevice({ kind, identifier });
    expect(device).toEqual({ kind, identifier: kept });
    expect(deviceAnomaly(device)).toBe(`identifier-not-fitting-kind:${kind}`);
  });

  it('never drops a character: only surrounding whitespace goes and case may change', () => {
    for (const identifier of ['  ab-cd ef  ', '5555550142x', 'x8f3a1c2e', '\u00a05555550142']) {
      for (const kind of [...DOCUMENTED_KINDS, 'serial']) {
        const normalized = normalizeDevice({ kind, identifier }).identifier;
        expect(normalized.toUpperCase()).toBe(identifier.trim().toUpperCase());
      }
    }
  });

  it('an ESN is decimal (11 digits) or 8 hex digits, and the two are different devices', () => {
    expect(normalizeDevice({ kind: 'esn', identifier: '12345678901' }).identifier).toBe('12345678901');
    expect(normalizeDevice({ kind: 'esn', identifier: '12345678' }).identifier).toBe('12345678');
    expect(deviceAnomaly({ kind: 'esn', identifier: '12345678' })).toBeUndefined();
  });

  it.each(['serial', 'constructor', '__proto__', 'toString'])(
    'an unknown kind (%s) keeps its identifier as it came, anomaly unknown-device-kind',
    (kind) => {
      const device = normalizeDevice({ kind: kind.toUpperCase(), identifier: ' abc-12 ' });
      expect(device).toEqual({ kind: kind.toLowerCase(), identifier: 'abc-12' });
      expect(deviceAnomaly(device)).toBe('unknown-device-kind');
    },
  );
});
