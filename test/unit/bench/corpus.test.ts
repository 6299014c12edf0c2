/**
 * The benchmark corpus (bench/callbacks): one realistic callback per SOAP service of the catalogue (the corpus
 * is rendered by the simulator's templates, SOAP only), about 2 KB each.
 * Each renders (fresh credentials, RequestId, devices) within the size band, parses, and normalizes as its
 * service and category without any anomaly, so a load run measures ordinary traffic.
 */
import { join } from 'node:path';
import { normalize } from '../../../src/thingspace/normalize';
import { loadTemplates, renderCallback } from '../../../src/simulator/templates';
import type { CallbackTemplate } from '../../../src/simulator/templates';
import type { MessageValues } from '../../../src/simulator/values';
import { parseCallback } from '../../../src/soap/parser';
import { SOAP_SERVICES, findService } from '../../../src/thingspace/catalogue';
import { Secret } from '../../../src/util/secret';

const DIR = join(__dirname, '..', '..', '..', 'bench', 'callbacks');
const MIN_BYTES = 1_700;
const MAX_BYTES = 2_400;
const templates = loadTemplates(DIR);

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
  const xml = renderCallback(template, values(serial));
  const parsed = await parseCallback(xml);
  const normalized = normalize(parsed, {
    service: template.service,
    accountName: '0000555123-00001',
    receivedAt: new Date(0),
    ingressNode: 'bench-corpus-test',
  });
  return { xml, parsed, normalized };
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

it('has every SOAP service of the catalogue exactly once, device SMS with its own root', () => {
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

it(`renders messages of ${MIN_BYTES}-${MAX_BYTES} bytes, about 2 KB on average`, () => {
  const sizes = templates.map((template) => bytes(renderCallback(template, values(7))));
  for (const size of [...sizes, ...templates.map((template) => bytes(template.source))]) {
    expect(size).toBeGreaterThanOrEqual(MIN_BYTES);
    expect(size).toBeLessThanOrEqual(MAX_BYTES);
  }
  const mean = sizes.reduce((sum, size) => sum + size, 0) / sizes.length;
  expect(mean).toBeGreaterThanOrEqual(1_800);
  expect(mean).toBeLessThanOrEqual(2_200);
});

describe.each(templates.map((template) => [template.name, template] as const))('%s', (_name, template) => {
  it('parses and normalizes as its service and category, without anomalies', async () => {
    const { parsed, normalized } = await read(template);
    const category = findService(template.service)?.routes[parsed.root]?.category;
    expect(category).toBeDefined();
    expect(normalized.anomalies).toEqual([]);
    expect(normalized.category).toBe(category);
    expect(normalized.event.service).toBe(template.service);
    expect(normalized.event.category).toBe(category);
    expect(parsed.extra).toEqual([]);
  });

  it('is another device for another serial', async () => {
    const first = (await read(template, 1)).normalized;
    const second = (await read(template, 2)).normalized;
    expect(second.key).not.toBe(first.key);
    expect(second.event.eventId).not.toBe(first.event.eventId);
  });
});
