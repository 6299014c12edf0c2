/**
 * The encoded record's metadata: headers a consumer can route on without decoding, and receivedAt as the record's
 * timestamp. Events from a SOAP and a REST fixture, and a dead letter.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RECORD_HEADERS, recordBytes } from '../../../src/events/encode';
import { SAMPLE_DEAD_LETTER } from '../../support/fixtures';
import { PARSERS } from '../../../src/ingress/handle-callback';
import { normalize } from '../../../src/thingspace/normalize';
import { testEncoder } from '../../support/encoder';

const fixtures = join(__dirname, '../../fixtures');
const receivedAt = new Date('2026-03-01T10:00:00.123Z');
const context = (service: string) => ({
  service,
  accountName: '0000123456-00001',
  receivedAt,
  ingressNode: 'node-1',
});

describe('encoded record metadata', () => {
  it('heads a SOAP event with its id, service, category, payload type and format', async () => {
    const parsed = await PARSERS.soap(readFileSync(join(fixtures, 'callbacks/promo-change.xml')));
    const keyed = normalize(parsed, context('PromoChange'));
    const record = testEncoder().encodeEvent(keyed);
    expect(record.headers).toEqual({
      'event-id': keyed.event.eventId,
      service: 'PromoChange',
      category: 'external-change',
      'payload-type': 'PromoChange',
      format: 'soap',
    });
    expect(record.timestamp).toBe(receivedAt.getTime());
  });

  it('says rest for a REST event, and leaves payload-type out when the event has no payload', async () => {
    const parsed = await PARSERS.rest(readFileSync(join(fixtures, 'rest/carrier-service-activate.json')));
    const keyed = normalize(parsed, context('CarrierService'));
    const withPayload = testEncoder().encodeEvent(keyed);
    expect(withPayload.headers).toMatchObject({ format: 'rest', category: 'async-response' });
    expect(withPayload.headers?.[RECORD_HEADERS.payloadType]).toBe(keyed.event.payloadType);

    const bare = testEncoder().encodeEvent({
      ...keyed,
      event: { ...keyed.event, payload: null, payloadType: null },
    });
    expect(Object.keys(bare.headers ?? {}).sort()).toEqual(['category', 'event-id', 'format', 'service']);
  });

  it('heads a dead letter with its id, service, format and reason code', () => {
    const letter = { ...SAMPLE_DEAD_LETTER, receivedAt: receivedAt.getTime() };

    const record = testEncoder().encodeDeadLetter(letter);
    expect(record.headers).toEqual({
      'event-id': letter.eventId,
      service: letter.service,
      format: letter.format,
      'reason-code': 'UNEXPECTED_ROOT',
    });
    expect(record.timestamp).toBe(receivedAt.getTime());
  });

  it('counts the headers in a record’s size', () => {
    const bytes = recordBytes({ key: 'ab', value: Buffer.alloc(10), headers: { né: 'x' } });
    expect(bytes).toBe(2 + 10 + 3 + 1);
  });
});
