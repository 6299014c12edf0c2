/**
 * A parsed callback, whatever its wire format: what the SOAP parser (src/soap/parser.ts) and the JSON parser
 * (src/json/parser.ts) hand on, and all the normalize step reads. Nothing downstream reads the raw request again.
 */
import type { Secret } from '../util/secret';

/** How the message came: SOAP 1.1 XML (the legacy UWS API) or JSON (the REST API), THINGSPACE.md §2 and §6. */
export type WireFormat = 'soap' | 'rest';

/**
 * The two kinds of message, named after their SOAP roots (THINGSPACE.md §2): an ordinary callback, and an SMS
 * sent by a device. A JSON message is a device SMS when it has a top-level `smsMessage`.
 */
export type CallbackRoot = 'CallbackRequest' | 'SmsCallbackRequest';

/** A device identifier as it came; only surrounding whitespace is trimmed. The normalizer does the rest. */
export interface RawDevice {
  kind: string;
  identifier: string;
}

/** A JSON value's type; set on every node of a JSON message, never on an XML one. */
export type JsonType = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';

/**
 * One element of a message, kept losslessly, XML and JSON alike so that one set of readers serves both.
 *
 * XML: local name (namespaces are not significant here, THINGSPACE.md §2), attributes by local name (namespace
 * declarations and xsi:nil left out), the element's own text (entities decoded; whitespace-only text between
 * child elements dropped) and its children in order.
 *
 * JSON: an object member is a node named by its key. An object's children are its members in key order
 * (UTF-16 code units), so the tree, unlike the source, does not depend on how the sender ordered the keys; an
 * array's children are its items in order, each named `''`. A scalar's text is a string's value, a number as it
 * was written, `true`/`false`, or `''` for null; containers have text `''`. No attributes.
 */
export interface MessageNode {
  name: string;
  attributes: Readonly<Record<string, string>>;
  text: string;
  children: readonly MessageNode[];
  json?: JsonType;
}

/** A payload (or unknown) element of the message, with its source fragment exactly as it came. */
export interface PayloadNode extends MessageNode {
  /** XML: the bytes between its tags, inclusive. JSON: the member's value as written. */
  raw: string;
}

export interface ParsedCallback {
  format: WireFormat;
  root: CallbackRoot;
  /** Empty when missing or empty (the platform sends empty credentials when none were registered). */
  username: string;
  password: Secret;
  /** Ordinary callbacks only; not unique per message (THINGSPACE.md §3). */
  requestId?: string;
  /** The message's device identifiers in order (SOAP `Device`, JSON `deviceIds`): none, one or several. */
  devices: readonly RawDevice[];
  /**
   * What the message is about, in order. SOAP: the non-nil children of `Data` (a nested `Data/Data` appears as
   * a child named `Data`). JSON: the members of `deviceResponse` and `niddResponse`, then `faultResponse`,
   * `comment` and `summary`.
   */
  payload: readonly PayloadNode[];
  /** A device SMS's text as sent. */
  smsMessage?: string;
  /** How many times this message was sent, and will be at most (SOAP: wherever they appear, §2). */
  callbackCount?: number;
  maxCallbackThreshold?: number;
  /**
   * The message's outcome as sent (Success, Failed, Pending; NIDD: Delivered, Queued, DeliveryFailed), trimmed.
   * SOAP: the text of `Data/Status`, which also stays in `payload`. JSON: the top-level `status`.
   */
  status?: string;
  /** Members of the root that are none of the above, kept so nothing is lost. */
  extra: readonly PayloadNode[];
  /** The whole message with the credentials' values removed, in its own format: what a dead letter may carry. */
  redacted: string;
}
