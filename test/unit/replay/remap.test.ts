/**
 * A replayed body makes the event the ingress made of it, with the eventId and receipt it was received with and
 * the replay headers; another mapping makes another event; what no mapping takes is reported, not thrown.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHIVE_HEADERS, createArchiveEncoder } from '../../../src/events/archive';
import { diffValues } from '../../../src/replay/diff';
import { archivedInput, deadLetterInput, UnreadableRecordError } from '../../../src/replay/inputs';
import { createRemapper } from '../../../src/replay/remap';
import { parseCallback } from '../../../src/soap/parser';
import { MAPPING_VERSION } from '../../../src/thingspace/mapping-version';
import { normalize } from '../../../src/thingspace/normalize';
import { testEncoder } from '../../support/encoder';

const fixture = (name: string) => readFileSync(join(__dirname, '../../fixtures/callbacks', name), 'utf8');
const usage = fixture('device-usage.xml');
const RECEIVED = new Date('2026-12-06T12:00:00.042Z');
const context = { service: 'DeviceUsage', accountName: 'acct', receivedAt: RECEIVED, ingressNode: 'node-1' };

/** The archive record the ingress would have written for this body, read back as a replay input. */
async function archived(body: string, eventId?: string) {
  const parsed = await parseCallback(body);
  const id = eventId ?? normalize(parsed, context).event.eventId;
  const record = createArchiveEncoder('archive')(
    { ...context, format: 'soap', eventId: id, outcome: 'published', body: parsed.redacted },
    'key',
  );
  return archivedInput(record.value, record.headers);
}

const remapper = (mapping = normalize) =>
  createRemapper({
    normalize: mapping,
    normalizeOptions: {},
    encoder: testEncoder(),
    maxRecordBytes: 1_000_000,
  });

describe('remap', () => {
  it('makes the event the ingress made, byte for byte, with the replay headers', async () => {
    const original = testEncoder().encodeEvent(normalize(await parseCallback(usage), context));
    const result = await remapper()(await archived(usage));
    expect(result.ok && result.record.value.equals(original.value)).toBe(true);
    expect(result.ok && result.record.key).toBe(original.key);
    expect(result.ok && result.record.headers).toEqual({
      ...original.headers,
      replay: 'archive',
      'mapping-version': String(MAPPING_VERSION),
    });
  });

  it('keeps the eventId it was received with', async () => {
    const result = await remapper()(await archived(usage, '00000000-0000-8000-8000-000000000001'));
    expect(result.ok && result.record.eventId).toBe('00000000-0000-8000-8000-000000000001');
  });

  it('runs the mapping it is given', async () => {
    const changed = await remapper((parsed, ctx, options) => {
      const event = normalize(parsed, ctx, options);
      return { ...event, event: { ...event.event, requestId: 'changed' } };
    })(await archived(usage));
    const current = await remapper()(await archived(usage));
    expect(changed.ok && current.ok && changed.record.value.equals(current.record.value)).toBe(false);
  });

  it('reports what the mapping cannot take', async () => {
    const sms = await parseCallback(fixture('enhanced-connectivity-device-sms.xml'));
    const input = deadLetterInput({
      eventId: 'dl-1',
      service: 'CarrierService',
      accountName: 'acct',
      receivedAt: RECEIVED.getTime(),
      ingressNode: 'node-1',
      redactedXml: sms.redacted,
      format: 'soap',
    });
    const result = await remapper()(input);
    expect(result.ok).toBe(false);
    expect(!result.ok && (result.reason as { code?: string }).code).toBe('UNEXPECTED_ROOT');
  });
});

describe('replay inputs', () => {
  it('refuse an archive record without its headers, or with a receipt time that is none', async () => {
    const input = await archived(usage);
    const record = createArchiveEncoder('archive')({ ...input, outcome: 'published' }, 'k');
    const without = { ...record.headers };
    delete without[ARCHIVE_HEADERS.accountName];
    expect(() => archivedInput(record.value, without)).toThrow(UnreadableRecordError);
    expect(() =>
      archivedInput(record.value, { ...record.headers, [ARCHIVE_HEADERS.receivedAt]: 'yesterday' }),
    ).toThrow(UnreadableRecordError);
    expect(() => archivedInput(null, record.headers)).toThrow(UnreadableRecordError);
    expect(archivedInput(record.value, record.headers)).toEqual(input);
  });

  it('refuse a dead letter without the contract fields; one before contract v2 is SOAP', () => {
    expect(() => deadLetterInput({ eventId: 'x' })).toThrow(UnreadableRecordError);
    const letter = {
      eventId: 'x',
      service: 'DeviceUsage',
      accountName: 'a',
      receivedAt: 1,
      ingressNode: 'n',
      redactedXml: '<x/>',
    };
    expect(deadLetterInput(letter).format).toBe('soap');
  });
});

describe('diffValues', () => {
  it('lists the leaves that differ, up to the limit', () => {
    const before = { a: 1, b: { c: 'x', d: [1, 2] }, e: Buffer.from('hi') };
    const after = { a: 1, b: { c: 'y', d: [1] }, f: null };
    expect(diffValues(before, after, 3)).toEqual({
      lines: ['b.c: "x" -> "y"', 'b.d[1]: 2 -> (absent)', 'e: "aGk=" -> (absent)'],
      more: 1,
    });
    expect(diffValues(before, before)).toEqual({ lines: [], more: 0 });
  });
});
