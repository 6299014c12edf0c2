/**
 * The simulator's callbacks, made from the hand-written fixtures: each template renders into a message the
 * bridge's own parser and normalizer read as the fixture's service and category, carrying the credentials,
 * RequestId and CallbackCount given, other devices for other serials, and otherwise the fixture unchanged.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalize } from '../../../src/thingspace/normalize';
import { compileTemplate, loadTemplates, renderCallback } from '../../../src/simulator';
import type { CallbackTemplate, MessageValues } from '../../../src/simulator';
import { varyIdentifier } from '../../../src/simulator/values';
import { parseCallback } from '../../../src/soap/parser';
import type { MessageNode } from '../../../src/message/types';
import { SOAP_SERVICES } from '../../../src/thingspace/catalogue';
import { Secret } from '../../../src/util/secret';

const templates = loadTemplates();
const ACCOUNT = '0000555123-00001';

function values(overrides: Partial<MessageValues> = {}): MessageValues {
  return {
    username: 'sim-user',
    password: new Secret('sim <&> pw'),
    requestId: '11111111-2222-4333-8444-555555555555',
    serial: 7,
    callbackCount: 1,
    ...overrides,
  };
}

async function read(template: CallbackTemplate, overrides: Partial<MessageValues> = {}) {
  const parsed = await parseCallback(renderCallback(template, values(overrides)));
  const normalized = normalize(parsed, {
    service: template.service,
    accountName: ACCOUNT,
    receivedAt: new Date(0),
    ingressNode: 'test',
  });
  return { parsed, normalized };
}

/** The trees with every Identifier's text blanked: what must stay as the fixture had it. */
function withoutIdentifiers(nodes: readonly MessageNode[]): unknown {
  return nodes.map((node) => ({
    name: node.name,
    attributes: { ...node.attributes },
    text: node.name === 'Identifier' ? '*' : node.text,
    children: withoutIdentifiers(node.children),
  }));
}

// The simulator sends SOAP only (REST simulation is a later issue): every service with a SOAP flavour.
it('every SOAP service of the catalogue has a template, and both roots are among them', () => {
  expect(new Set(templates.map((template) => template.service))).toEqual(
    new Set(SOAP_SERVICES.map(({ name }) => name)),
  );
  expect(new Set(templates.map((template) => template.root))).toEqual(
    new Set(['CallbackRequest', 'SmsCallbackRequest']),
  );
});

describe.each(templates.map((template) => [template.name, template] as const))('%s', (_name, template) => {
  it('carries the credentials, RequestId and CallbackCount given', async () => {
    const { parsed } = await read(template, { callbackCount: 3 });
    expect(parsed.username).toBe('sim-user');
    expect(parsed.password.reveal()).toBe('sim <&> pw');
    expect(parsed.callbackCount).toBe(3);
    expect(parsed.maxCallbackThreshold).toBe(4);
    expect(parsed.requestId).toBe(
      template.root === 'CallbackRequest' ? '11111111-2222-4333-8444-555555555555' : undefined,
    );
  });

  it('is read as its service, and keeps everything but identifiers as the fixture has it', async () => {
    const original = await parseCallback(template.source);
    const { parsed, normalized } = await read(template);
    expect(normalized.event.service).toBe(template.service);
    expect(withoutIdentifiers(parsed.payload)).toEqual(withoutIdentifiers(original.payload));
    expect(parsed.smsMessage).toBe(original.smsMessage);
    expect(parsed.devices.map((device) => [device.kind, device.identifier.length])).toEqual(
      original.devices.map((device) => [device.kind, device.identifier.length]),
    );
  });

  it('another serial is another message; another attempt is the same message', async () => {
    const first = (await read(template, { serial: 1 })).normalized.event.eventId;
    const second = (await read(template, { serial: 2 })).normalized.event.eventId;
    const retried = (await read(template, { serial: 1, callbackCount: 4 })).normalized.event.eventId;
    expect(second).not.toBe(first);
    expect(retried).toBe(first);
  });
});

describe('varyIdentifier', () => {
  it.each([
    ['5555550114', 7, '5555550007'],
    ['5555550114', 12_345, '5555552345'],
    ['8f3a1c2e', 255, '8f3a00ff'],
    ['A1000000000F01', 255, 'A10000000000FF'],
    ['  89148000000000000112 ', 1, '  89148000000000000001 '],
    ['123', 9, '123'],
    ['not-an-id', 9, 'not-an-id'],
  ])('%s with serial %i -> %s', (identifier, serial, varied) => {
    expect(varyIdentifier(identifier, serial)).toBe(varied);
  });
});

describe('compileTemplate / loadTemplates', () => {
  it('refuses a document that is no callback', () => {
    expect(() =>
      compileTemplate('x', 'CarrierService', '<Envelope><Body><Other/></Body></Envelope>'),
    ).toThrow(/not a CallbackRequest or SmsCallbackRequest/);
  });

  it('adds CallbackCount where the fixture has none, and fills it where it has one', () => {
    const bare = compileTemplate(
      'bare',
      'CarrierService',
      '<s:Envelope xmlns:s="x"><s:Body><CallbackRequest xmlns="v2"><Username/><Password/><RequestId>r</RequestId></CallbackRequest></s:Body></s:Envelope>',
    );
    expect(renderCallback(bare, values({ callbackCount: 2 }))).toBe(
      '<s:Envelope xmlns:s="x"><s:Body><CallbackRequest xmlns="v2"><Username>sim-user</Username>' +
        '<Password>sim &lt;&amp;&gt; pw</Password><RequestId>11111111-2222-4333-8444-555555555555</RequestId>' +
        '<CallbackCount>2</CallbackCount><MaxCallbackThreshold>4</MaxCallbackThreshold></CallbackRequest>' +
        '</s:Body></s:Envelope>',
    );
    const counted = templates.find((template) => template.source.includes('<CallbackCount>'))!;
    const rendered = renderCallback(counted, values({ callbackCount: 3 }));
    expect(rendered.match(/<CallbackCount>/g)).toHaveLength(1);
    expect(rendered).toContain('<CallbackCount>3</CallbackCount>');
  });

  it('says where the templates were looked for when there are none', () => {
    expect(() => loadTemplates('/nonexistent/fixtures')).toThrow(
      /no callback templates at \/nonexistent\/fixtures \(ENOENT\)/,
    );
  });

  it('needs the service of each template from its expected.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'templates-'));
    try {
      writeFileSync(join(dir, 'a.xml'), templates[0]!.source);
      writeFileSync(join(dir, 'a.expected.json'), JSON.stringify({ context: { service: 'NiddService' } }));
      expect(() => loadTemplates(dir)).toThrow(
        /template a: its expected.json names no callback service sent as soap/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
