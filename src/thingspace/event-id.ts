/**
 * The deterministic event id: the same callback re-sent by ThingSpace (up to four attempts, THINGSPACE.md §3)
 * gets the same id, so consumers can drop duplicates; RequestId alone is not unique per message (§3).
 *
 * id = the first 128 bits of SHA-256 over a canonical serialization of: a version tag, account name, canonical
 * service name, root, RequestId, the normalized devices (sorted), the `Data` children, the SMS text and the
 * unknown root children, formatted as an RFC 9562 UUIDv8 (version and variant bits set, 122 bits of hash).
 *
 * A JSON (REST) message is hashed under its own version tag, the same way plus its wire format's extras: each
 * node's JSON type, and the top-level status (a SOAP Data/Status is hashed as the payload it also is). Object
 * members are hashed in key order (the parser sorts them) and whitespace is not in the tree, so neither the
 * sender's key order nor its layout changes the id.
 *
 * Left out, because they change between attempts or are not the message: credentials, CallbackCount and
 * MaxCallbackThreshold (as elements at any depth too: where they sit is unknown, §2), receipt time, ingress node.
 * Element trees are hashed as parsed (local names, attributes sorted by name, texts exactly), not as mapped, so
 * an improved payload mapper does not change the ids of re-sent callbacks across a deployment. Changing anything
 * here changes every id: bump the version tag and treat it as a breaking change of the event contract.
 */
import { hash } from 'node:crypto';
import type { CallbackRoot, MessageNode, WireFormat } from '../message/types';
import type { ServiceName } from './catalogue';
import type { Device } from '../events/types';

const VERSION_TAGS: Readonly<Record<WireFormat, string>> = {
  soap: 'thingspace-bridge/event-id/v1',
  rest: 'thingspace-bridge/event-id/rest/v1',
};

/** Delivery metadata, by lower-cased local name, wherever it appears. */
const DELIVERY_COUNTERS: ReadonlySet<string> = new Set(['callbackcount', 'maxcallbackthreshold']);

/** Everything that makes one callback this callback. */
export interface EventIdentity {
  format: WireFormat;
  accountName: string;
  service: ServiceName;
  root: CallbackRoot;
  requestId: string | undefined;
  devices: readonly Device[];
  payload: readonly MessageNode[];
  smsMessage: string | undefined;
  extra: readonly MessageNode[];
  /** Hashed for REST only (see above). */
  status: string | undefined;
}

/**
 * A prefix-free encoding, so that different inputs can never serialize alike: strings as `s<utf8 bytes>:<text>`,
 * absent values as `-`, lists as `l<count>:` followed by their items. Gathered into one string and hashed in one
 * call: a `Hash.update` per field crossed into C++ hundreds of times per callback.
 */
class CanonicalWriter {
  #text = '';

  string(value: string | undefined): this {
    this.#text += value === undefined ? '-' : `s${Buffer.byteLength(value)}:${value}`;
    return this;
  }

  list<T>(items: readonly T[], write: (item: T) => void): this {
    this.#text += `l${items.length}:`;
    for (const item of items) write(item);
    return this;
  }

  nodes(nodes: readonly MessageNode[]): this {
    const kept = nodes.filter((node) => !DELIVERY_COUNTERS.has(node.name.toLowerCase()));
    return this.list(kept, (node) => {
      const attributes = Object.keys(node.attributes).sort();
      this.string(node.name)
        .list(attributes, (name) => this.string(name).string(node.attributes[name]))
        .string(node.text)
        .nodes(node.children);
      if (node.json !== undefined) this.string(node.json);
    });
  }

  digest(): Buffer {
    return hash('sha256', this.#text, 'buffer');
  }
}

function byKindThenIdentifier(a: Device, b: Device): number {
  return a.kind === b.kind ? compare(a.identifier, b.identifier) : compare(a.kind, b.kind);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function eventIdOf(identity: EventIdentity): string {
  const writer = new CanonicalWriter();
  const devices = [...identity.devices].sort(byKindThenIdentifier);
  writer
    .string(VERSION_TAGS[identity.format])
    .string(identity.accountName)
    .string(identity.service)
    .string(identity.root)
    .string(identity.requestId)
    .list(devices, (device) => writer.string(device.kind).string(device.identifier))
    .nodes(identity.payload)
    .string(identity.smsMessage)
    .nodes(identity.extra);
  if (identity.format === 'rest') writer.string(identity.status);
  return asUuidV8(writer.digest());
}

/** RFC 9562 §5.8: version 8 ("custom"), variant 10; the other 122 bits are the hash's. */
function asUuidV8(digest: Buffer): string {
  const bytes = digest.subarray(0, 16);
  bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x80, 6);
  bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const DEAD_LETTER_TAG = 'thingspace-bridge/dead-letter-id/v1';

/**
 * The id of a dead letter: the same message re-sent gets the same id, like eventIdOf, but from what a message
 * that could not be normalized surely has: the account, the service as the URL named it, and the message with
 * its credentials cut out (CallbackCount stays in: a dead letter's re-sends are told apart by consumers anyway).
 */
export function deadLetterIdOf(accountName: string, service: string, redactedXml: string): string {
  return asUuidV8(
    new CanonicalWriter()
      .string(DEAD_LETTER_TAG)
      .string(accountName)
      .string(service)
      .string(redactedXml)
      .digest(),
  );
}
