/**
 * Realistic callbacks for the simulator, made from the project's hand-written fixtures (test/fixtures/callbacks:
 * every service, both roots, the quirks of THINGSPACE.md §2). A fixture is SOAP (`<name>.xml`) or JSON
 * (`<name>.json`, rendered by ./json-template.ts). A SOAP fixture is read once with saxes, which finds
 * the places that change from one message to the next; a message is the fixture's text with those places
 * filled in, everything else (namespaces, nil lists, casing, payloads) kept byte for byte.
 *
 *   Username, Password (children of the root)   the registration's credentials
 *   RequestId (child of the root)                a fresh one per message
 *   every Identifier, at any depth               varied in its last 4 characters, same length and alphabet, so
 *                                                each message is another device (and another eventId, §3)
 *   CallbackCount (anywhere)                     the attempt number; added at the end of the root when absent,
 *                                                with MaxCallbackThreshold 4 (where the platform puts them is
 *                                                unknown, §2; the bridge reads them anywhere)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SaxesParser } from 'saxes';
import { escapeXml, isNil, localName } from '../soap/xml';
import type { CallbackRoot, WireFormat } from '../message/types';
import { findService } from '../thingspace/catalogue';
import type { ServiceName } from '../thingspace/catalogue';
import { compileJsonBody, renderJson, type JsonTemplateBody } from './json-template';
import { MAX_ATTEMPTS, varyIdentifier, type MessageValues } from './values';

/** The fixtures, next to the sources in a checkout (src/simulator and dist/simulator alike). */
export const DEFAULT_TEMPLATE_DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'callbacks');
/** The JSON fixtures the simulator sends to REST registrations. */
export const DEFAULT_REST_TEMPLATE_DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'rest');

type SlotKind = 'username' | 'password' | 'requestId' | 'identifier' | 'callbackCount' | 'rootEnd';

/** A stretch of the source replaced when rendering: an element (from its `<` to after its end) or a point. */
interface Slot {
  kind: SlotKind;
  start: number;
  end: number;
  /** The element's open tag, to keep its attributes and namespace declarations. */
  openTag: string;
  qname: string;
  /** The text it had, for identifiers. */
  text: string;
}

interface TemplateCommon {
  /** The fixture's file name without its extension. */
  name: string;
  service: ServiceName;
  root: CallbackRoot;
  /**
   * Sent by a device (device SMS, NIDD data from a device): queued when undelivered, not re-sent, until the
   * account calls StartSmsCallback or startCallbacks (§3; NIDD data as device SMS, issue 14).
   */
  fromDevice: boolean;
  readonly source: string;
}

export type CallbackTemplate =
  | (TemplateCommon & { format: 'soap'; readonly slots: readonly Slot[] })
  | (TemplateCommon & { format: 'rest'; readonly body: JsonTemplateBody });

/** The Content-Type a template's messages travel with. */
export const CONTENT_TYPES: Readonly<Record<WireFormat, string>> = {
  soap: 'text/xml; charset=utf-8',
  rest: 'application/json',
};

/** Finds the slots of one fixture; throws when it is not a callback of either root. */
export function compileTemplate(name: string, service: ServiceName, source: string): CallbackTemplate {
  const sax = new SaxesParser();
  const open: { qname: string; start: number; openEnd: number; nil: boolean }[] = [];
  const slots: Slot[] = [];
  let root: CallbackRoot | undefined;
  let text = '';
  let sawCallbackCount = false;

  sax.on('opentag', (tag) => {
    const openEnd = sax.position;
    open.push({
      qname: tag.name,
      start: source.lastIndexOf('<', openEnd - 1),
      openEnd,
      nil: isNil(tag.attributes),
    });
    text = '';
    const name = localName(tag.name);
    if (open.length === 3 && (name === 'CallbackRequest' || name === 'SmsCallbackRequest')) root = name;
  });
  sax.on('text', (chunk) => (text += chunk));
  sax.on('closetag', () => {
    const element = open.pop()!;
    const end = sax.position;
    const name = localName(element.qname);
    const kind = slotKind(name, open.length + 1, sawCallbackCount);
    if (open.length === 2 && root !== undefined) {
      const at = source.lastIndexOf('</', end - 1);
      slots.push({ kind: 'rootEnd', start: at, end: at, openTag: '', qname: '', text: '' });
    }
    if (kind === undefined || element.nil) return;
    sawCallbackCount ||= kind === 'callbackCount';
    const tag = source.slice(element.start, element.openEnd);
    slots.push({
      kind,
      start: element.start,
      end,
      openTag: tag.endsWith('/>') ? `${tag.slice(0, -2)}>` : tag,
      qname: element.qname,
      text,
    });
  });
  sax.write(source).close();
  if (root === undefined) throw new Error(`template ${name}: not a CallbackRequest or SmsCallbackRequest`);
  // The end of the root is where a missing CallbackCount goes; once present, it has its own slot.
  const kept = slots.filter((slot) => slot.kind !== 'rootEnd' || !sawCallbackCount);
  kept.sort((a, b) => a.start - b.start);
  return {
    name,
    service,
    root,
    fromDevice: root === 'SmsCallbackRequest',
    source,
    format: 'soap',
    slots: kept,
  };
}

/** A JSON fixture as a template; throws when it is not a JSON object. */
export function compileJsonTemplate(name: string, service: ServiceName, source: string): CallbackTemplate {
  const body = compileJsonBody(name, source);
  return { name, service, root: body.root, fromDevice: body.fromDevice, source, format: 'rest', body };
}

/** `depth` is the element's own: Envelope 1, Body 2, the root 3, its children 4. */
function slotKind(name: string, depth: number, sawCallbackCount: boolean): SlotKind | undefined {
  if (depth === 4 && name === 'Username') return 'username';
  if (depth === 4 && name === 'Password') return 'password';
  if (depth === 4 && name === 'RequestId') return 'requestId';
  if (name === 'Identifier') return 'identifier';
  // The parser reads the first CallbackCount wherever it sits; only that one counts.
  if (name === 'CallbackCount' && !sawCallbackCount) return 'callbackCount';
  return undefined;
}

/** One message from a template. */
export function renderCallback(template: CallbackTemplate, values: MessageValues): string {
  if (template.format === 'rest') return renderJson(template.body, values);
  let out = '';
  let from = 0;
  for (const slot of template.slots) {
    out += template.source.slice(from, slot.start) + fill(slot, values);
    from = slot.end;
  }
  return out + template.source.slice(from);
}

function fill(slot: Slot, values: MessageValues): string {
  const element = (text: string) => `${slot.openTag}${escapeXml(text)}</${slot.qname}>`;
  switch (slot.kind) {
    case 'username':
      return element(values.username);
    case 'password':
      return element(values.password.reveal());
    case 'requestId':
      return element(values.requestId);
    case 'identifier':
      return element(varyIdentifier(slot.text, values.serial));
    case 'callbackCount':
      return element(String(values.callbackCount));
    case 'rootEnd':
      return (
        `<CallbackCount>${values.callbackCount}</CallbackCount>` +
        `<MaxCallbackThreshold>${MAX_ATTEMPTS}</MaxCallbackThreshold>`
      );
  }
}

const EXPECTED = '.expected.json';
const COMPILERS = {
  '.xml': compileTemplate,
  '.json': compileJsonTemplate,
} as const satisfies Record<string, (name: string, service: ServiceName, source: string) => CallbackTemplate>;

const FORMATS: Readonly<Record<keyof typeof COMPILERS, WireFormat>> = { '.xml': 'soap', '.json': 'rest' };

function extensionOf(file: string): keyof typeof COMPILERS | undefined {
  if (file.endsWith(EXPECTED)) return undefined;
  return file.endsWith('.xml') ? '.xml' : file.endsWith('.json') ? '.json' : undefined;
}

/**
 * Every fixture in `dir`: `<name>.xml` or `<name>.json` beside `<name>.expected.json`, whose `context.service`
 * names the service (as the URL spelled it, any alias).
 */
export function loadTemplates(dir: string = DEFAULT_TEMPLATE_DIR): CallbackTemplate[] {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch (err) {
    throw new Error(
      `no callback templates at ${dir} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}): the simulator ` +
        'sends the fixtures of test/fixtures/callbacks, found in a checkout of the project',
      { cause: err },
    );
  }
  return files
    .filter((file) => extensionOf(file) !== undefined)
    .sort()
    .map((file) => {
      const extension = extensionOf(file)!;
      const name = file.slice(0, -extension.length);
      const expected = JSON.parse(readFileSync(join(dir, `${name}${EXPECTED}`), 'utf8')) as {
        context?: { service?: string };
      };
      // A template's format must be one its service is sent in: no SOAP template of a REST-only service.
      const format = FORMATS[extension];
      const service = findService(expected.context?.service ?? '');
      if (service === undefined || !service.formats.includes(format))
        throw new Error(`template ${name}: its expected.json names no callback service sent as ${format}`);
      return COMPILERS[extension](name, service.name, readFileSync(join(dir, file), 'utf8'));
    });
}
