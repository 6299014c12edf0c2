/**
 * Realistic callbacks for the simulator, made from the project's hand-written fixtures (test/fixtures/callbacks:
 * every service, both roots, the quirks of THINGSPACE.md §2). A fixture is read once with saxes, which finds
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
import type { CallbackRoot } from '../message/types';
import { findSoapService } from '../thingspace/catalogue';
import type { ServiceName } from '../thingspace/catalogue';
import type { Secret } from '../util/secret';

/** The fixtures, next to the sources in a checkout (src/simulator and dist/simulator alike). */
export const DEFAULT_TEMPLATE_DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'callbacks');

/** The delivery attempts the platform makes: the first and three more (§3). */
export const MAX_ATTEMPTS = 4;

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

export interface CallbackTemplate {
  /** The fixture's file name without `.xml`. */
  name: string;
  service: ServiceName;
  root: CallbackRoot;
  readonly source: string;
  readonly slots: readonly Slot[];
}

/** What one message gets: the registration's credentials, its RequestId, its serial, its attempt. */
export interface MessageValues {
  username: string;
  password: Secret;
  requestId: string;
  /** Varies the device identifiers: different serials, different devices. */
  serial: number;
  /** 1 for the first attempt. */
  callbackCount: number;
}

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
  return { name, service, root, source, slots: kept };
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

/**
 * The identifier with its last 4 characters replaced by the serial, in its own alphabet (decimal, or hex in the
 * identifier's letter case), so it keeps its length and kind: an MDN stays 10 digits, a 9-digit one stays an
 * anomaly. Shorter or other identifiers stay as they are.
 */
export function varyIdentifier(text: string, serial: number): string {
  const value = text.trim();
  if (value.length < 4) return text;
  const head = value.slice(0, -4);
  let tail: string;
  if (/^\d+$/.test(value)) tail = String(serial % 10_000).padStart(4, '0');
  else if (/^[0-9a-f]+$/i.test(value)) {
    tail = (serial % 0x10000).toString(16).padStart(4, '0');
    if (/[A-F]/.test(value)) tail = tail.toUpperCase();
  } else return text;
  return text.replace(value, head + tail);
}

/**
 * Every fixture in `dir`: `<name>.xml` beside `<name>.expected.json`, whose `context.service` names the service
 * (as the URL spelled it, any alias).
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
    .filter((file) => file.endsWith('.xml'))
    .sort()
    .map((file) => {
      const name = file.slice(0, -'.xml'.length);
      const expected = JSON.parse(readFileSync(join(dir, `${name}.expected.json`), 'utf8')) as {
        context?: { service?: string };
      };
      // SOAP only: the simulator sends XML, so a REST-only service has no template.
      const service = findSoapService(expected.context?.service ?? '')?.name;
      if (service === undefined)
        throw new Error(`template ${name}: its expected.json names no SOAP callback service`);
      return compileTemplate(name, service, readFileSync(join(dir, file), 'utf8'));
    });
}
