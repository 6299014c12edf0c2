/**
 * The benchmark corpora: bench/callbacks, one realistic SOAP callback per SOAP service of the catalogue, about
 * 2 KB each; bench/callbacks-rest, REST (JSON) callbacks of the shapes THINGSPACE.md §6 describes, smaller as
 * real JSON callbacks are. Each renders (fresh credentials, RequestId, devices) within its size band, parses,
 * and normalizes as its service, with a typed payload where the shape is one the bridge types, and without any
 * anomaly, so a load run measures ordinary traffic.
 */
import { join } from 'node:path';
import { PARSERS } from '../../../src/ingress/handle-callback';
import { normalize } from '../../../src/thingspace/normalize';
import { loadTemplates, renderCallback } from '../../../src/simulator/templates';
import type { CallbackTemplate } from '../../../src/simulator/templates';
import type { MessageValues } from '../../../src/simulator/values';
import { SOAP_SERVICES, findService } from '../../../src/thingspace/catalogue';
import { Secret } from '../../../src/util/secret';

const BENCH = join(__dirname, '..', '..', '..', 'bench');

/** Each corpus with the size band of its rendered messages and of their mean. */
const CORPORA = [
  { format: 'soap', dir: 'callbacks', bytes: [1_700, 2_400], mean: [1_800, 2_200] },
  { format: 'rest', dir: 'callbacks-rest', bytes: [400, 1_200], mean: [500, 800] },
] as const;

function values(serial: number): MessageValues {
  return {
    username: 'bench-user',
    password: new Secret('bench-password-not-secret'),
    requestId: '11111111-2222-4333-8444-555555555555',
    serial,
    callbackCount: 1,
  };
}

async function read(template: CallbackTemplate, serial = 7) {
  const parsed = await PARSERS[template.format](renderCallback(template, values(serial)));
  const normalized = normalize(parsed, {
    service: template.service,
    accountName: '0000555123-00001',
    receivedAt: new Date(0),
    ingressNode: 'bench-corpus-test',
  });
  return { parsed, normalized };
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

it('the SOAP corpus has every SOAP service of the catalogue exactly once, device SMS with its own root', () => {
  const templates = loadTemplates(join(BENCH, 'callbacks'));
  expect(templates.map((template) => template.service).sort()).toEqual(
    SOAP_SERVICES.map(({ name }) => name).sort(),
  );
  for (const template of templates) {
    expect([template.service, template.root]).toEqual([
      template.service,
      template.service === 'EnhancedConnectivityService' ? 'SmsCallbackRequest' : 'CallbackRequest',
    ]);
  }
});

describe.each(CORPORA)('bench/$dir', ({ format, dir, bytes: [min, max], mean: [meanMin, meanMax] }) => {
  const templates = loadTemplates(join(BENCH, dir));

  it(`holds ${format} templates rendering to ${min}-${max} bytes, ${meanMin}-${meanMax} on average`, () => {
    expect(new Set(templates.map((template) => template.format))).toEqual(new Set([format]));
    const sizes = templates.map((template) => bytes(renderCallback(template, values(7))));
    for (const size of sizes) {
      expect(size).toBeGreaterThanOrEqual(min);
      expect(size).toBeLessThanOrEqual(max);
    }
    const average = sizes.reduce((sum, size) => sum + size, 0) / sizes.length;
    expect(average).toBeGreaterThanOrEqual(meanMin);
    expect(average).toBeLessThanOrEqual(meanMax);
  });

  describe.each(templates.map((template) => [template.name, template] as const))('%s', (_name, template) => {
    it('parses and normalizes as its service, without anomalies or unknown members', async () => {
      const { parsed, normalized } = await read(template);
      expect(findService(template.service)?.routes[parsed.root]).toBeDefined();
      expect(normalized.anomalies).toEqual([]);
      expect(normalized.event.service).toBe(template.service);
      expect(normalized.event.category).toBe(normalized.category);
      expect(normalized.event.format).toBe(format);
      expect(parsed.extra).toEqual([]);
    });

    it('is another device for another serial', async () => {
      const first = (await read(template, 1)).normalized;
      const second = (await read(template, 2)).normalized;
      expect(second.key).not.toBe(first.key);
      expect(second.event.eventId).not.toBe(first.event.eventId);
    });
  });
});

it('the REST corpus has a typed payload in every message', async () => {
  const types = await Promise.all(
    loadTemplates(join(BENCH, 'callbacks-rest')).map(async (template) => [
      template.name,
      (await read(template)).normalized.event.payloadType,
    ]),
  );
  expect(types.filter(([, type]) => type === 'GenericElement' || type === null)).toEqual([]);
});
