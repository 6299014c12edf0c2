import { normalize } from '../../../src/thingspace/normalize';
import type { NormalizeContext } from '../../../src/thingspace/normalize';
import type { ParsedCallback } from '../../../src/message/types';
import { Secret } from '../../../src/util/secret';
import { device, element, node, parsedCallback } from './builders';

const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const context: NormalizeContext = {
  service: 'PromoChange',
  accountName: '0000555123-00001',
  receivedAt: new Date('2026-03-01T10:00:00Z'),
  ingressNode: 'ingress-a',
};

const base = (overrides: Partial<ParsedCallback> = {}): ParsedCallback =>
  parsedCallback({
    devices: [device('Mdn', '5555550142')],
    payload: [element('PromoChange', [node('Change', 'PROMO-TEST-01'), node('ChangeDate', '3/31/2026')])],
    ...overrides,
  });

const idOf = (parsed: ParsedCallback, ctx: Partial<NormalizeContext> = {}): string =>
  normalize(parsed, { ...context, ...ctx }).event.eventId;

describe('eventId', () => {
  const id = idOf(base());

  it('is a UUIDv8 (RFC 9562) made of the hash', () => {
    expect(id).toMatch(UUID_V8);
  });

  it('is the same for the same message, normalized twice', () => {
    expect(idOf(base())).toBe(id);
  });

  it('ignores what changes between re-sends: CallbackCount, MaxCallbackThreshold, credentials, receipt', () => {
    expect(idOf(base({ callbackCount: 3, maxCallbackThreshold: 4 }))).toBe(id);
    expect(idOf(base({ username: 'other', password: new Secret('other') }))).toBe(id);
    expect(idOf(base({ redacted: '<other/>' }))).toBe(id);
    expect(idOf(base(), { receivedAt: new Date(0), ingressNode: 'ingress-b' })).toBe(id);
  });

  it('ignores CallbackCount and MaxCallbackThreshold elements anywhere in the payload (their place is unknown)', () => {
    const withCount = (count: string): ParsedCallback =>
      base({
        payload: [
          element('PromoChange', [
            node('Change', 'PROMO-TEST-01'),
            node('ChangeDate', '3/31/2026'),
            node('Meta', [node('CallbackCount', count), node('maxcallbackthreshold', '4')]),
          ]),
        ],
      });
    expect(idOf(withCount('1'))).toBe(idOf(withCount('2')));
  });

  it('does not depend on how the URL spells the service, or on device normalization', () => {
    expect(idOf(base(), { service: 'promochanges' })).toBe(id);
    expect(idOf(base({ devices: [device('MDN', ' 5555550142 ')] }))).toBe(id);
  });

  it('does not depend on the order of devices or attributes', () => {
    const two = [device('esn', '8F3A1C2E'), device('mdn', '5555550142')];
    expect(idOf(base({ devices: two }))).toBe(idOf(base({ devices: [...two].reverse() })));
    const attrs = (attributes: Record<string, string>) =>
      base({ payload: [element('PromoChange', '', attributes)] });
    expect(idOf(attrs({ a: '1', b: '2' }))).toBe(idOf(attrs({ b: '2', a: '1' })));
  });

  it('differs for two devices of one RequestId', () => {
    expect(idOf(base({ devices: [device('mdn', '5555550143')] }))).not.toBe(id);
  });

  it.each<[string, () => string]>([
    ['account', () => idOf(base(), { accountName: '0000555123-00002' })],
    ['service', () => idOf(base(), { service: 'ResumeTrackingNotification' })],
    ['RequestId', () => idOf(base({ requestId: '0a0a0a0a-1111-4222-8333-444455556667' }))],
    ['no RequestId', () => idOf(base({ requestId: undefined }))],
    [
      'payload text',
      () => idOf(base({ payload: [element('PromoChange', [node('Change', 'PROMO-TEST-02')])] })),
    ],
    ['payload attribute', () => idOf(base({ payload: [element('PromoChange', '', { a: '1' })] }))],
    ['no payload', () => idOf(base({ payload: [] }))],
    ['unknown root child', () => idOf(base({ extra: [element('Priority', 'high')] }))],
  ])('differs when the %s differs', (_, other) => {
    expect(other()).not.toBe(id);
  });

  it('tells the root apart, and the SMS text', () => {
    const sms = (text: string) =>
      idOf(parsedCallback({ root: 'SmsCallbackRequest', requestId: undefined, smsMessage: text }), {
        service: 'EnhancedConnectivityService',
      });
    const result = idOf(parsedCallback({ requestId: undefined }), { service: 'EnhancedConnectivityService' });
    expect(sms('a')).not.toBe(sms('b'));
    expect(sms('')).not.toBe(result);
  });

  it('cannot be fooled by moving text between neighbouring strings', () => {
    const a = base({ payload: [element('P', [node('A', 'xy'), node('B', 'z')])] });
    const b = base({ payload: [element('P', [node('A', 'x'), node('B', 'yz')])] });
    expect(idOf(a)).not.toBe(idOf(b));
  });
});
