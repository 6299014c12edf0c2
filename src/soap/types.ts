import type { Secret } from '../util/secret';

/** The two message roots ThingSpace sends (THINGSPACE.md §2). */
export type CallbackRoot = 'CallbackRequest' | 'SmsCallbackRequest';

/** A `Device` element as it came; only surrounding whitespace is trimmed. The normalizer does the rest. */
export interface RawDevice {
  kind: string;
  identifier: string;
}

/**
 * One payload element, kept losslessly: local name (namespaces are not significant in these messages,
 * THINGSPACE.md §2), attributes by local name (namespace declarations and xsi:nil left out), the element's own
 * text (entities decoded; whitespace-only text between child elements dropped) and its children in order.
 */
export interface XmlNode {
  name: string;
  attributes: Readonly<Record<string, string>>;
  text: string;
  children: readonly XmlNode[];
}

/** A direct child of `Data` with its XML fragment exactly as it came (the bytes between its tags, inclusive). */
export interface PayloadElement extends XmlNode {
  xml: string;
}

/** What the streaming parser hands on. Nothing downstream reads the raw request again. */
export interface ParsedCallback {
  root: CallbackRoot;
  /** Empty when the element is missing or empty (the platform sends empty elements when none were registered). */
  username: string;
  password: Secret;
  /** CallbackRequest only; not unique per message (THINGSPACE.md §3). */
  requestId?: string;
  /** The root's `Device` elements in document order: none, one, or several (SMS: an ESN and an MDN). */
  devices: readonly RawDevice[];
  /** Non-nil children of `Data`, in document order. A nested `Data/Data` appears as a child named `Data`. */
  payload: readonly PayloadElement[];
  /** SmsCallbackRequest only: the SMS text as sent by the device. */
  smsMessage?: string;
  /** How many times this message was sent, wherever it appears (its place is unknown, THINGSPACE.md §2). */
  callbackCount?: number;
  maxCallbackThreshold?: number;
  /** Children of the root that are none of the above, kept so nothing is lost. */
  extra: readonly PayloadElement[];
  /** The whole message with the text of Username and Password removed: what a dead letter may carry. */
  redactedXml: string;
}
