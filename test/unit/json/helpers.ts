import { join } from 'node:path';
import type { MessageNode, ParsedCallback } from '../../../src/message/types';

export const BAD_JSON_FIXTURES = join(__dirname, '..', '..', 'fixtures', 'bad-json');

/**
 * Four REST callbacks the way THINGSPACE.md §6 describes them, with invented values (555-01xx numbers, made-up
 * ICCIDs, IMEIs and GUIDs), written as a sender would: pretty-printed, keys in no particular order.
 */
export const CALLBACKS = {
  activation: `{
  "username": "bridge-rest-01",
  "password": "Inv3nted-Rest-Pa55",
  "requestId": "5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
  "deviceIds": [
    { "id": "89148000000000000123", "kind": "Iccid" },
    { "id": "990000862471854", "kind": "IMEI" }
  ],
  "deviceResponse": {
    "activateResponse": {
      "deviceIds": [{ "id": "5555550142", "kind": "MDN" }, { "id": "15555550142", "kind": "msisdn" }],
      "state": "active",
      "servicePlan": "INVENTED-4G-PLAN",
      "ipAddress": "10.20.30.40",
      "featureCodes": ["FEAT-A", "FEAT-B"]
    }
  },
  "status": "Success",
  "callbackCount": 1,
  "maxCallbackThreshold": 4
}
`,
  niddMessage: `{"username":"bridge-rest-02","password":"Nidd-Inv3nted-7","requestId":"0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9",
"deviceIds":[{"kind":"imei","id":"990000862471855"}],
"niddResponse":{"niddMONotificationResponse":{"accountName":"0000123456-00001",
"message":"SW52ZW50ZWQgcGF5bG9hZA==","deviceIds":[{"kind":"imei","id":"990000862471855"}]}},
"status":"Delivered","callbackCount":2,"maxCallbackThreshold":4}`,
  fault: `{
    "requestId": "7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2910",
    "username": "bridge-rest-03",
    "password": "F4ult-Inv3nted-Pw",
    "status": "Failed",
    "deviceIds": [{ "kind": "ICCID", "id": "89148000000000000456" }],
    "faultResponse": {
      "faultcode": "UnifiedWebService.REQUEST_FAILED.DeviceAlreadyActive",
      "faultstring": "The device is already active (invented text).",
      "detail": { "code": 17, "retryable": false, "hint": null }
    },
    "callbackCount": "3",
    "maxCallbackThreshold": "4"
}`,
  sms: `{
\t"username": "",
\t"password": "",
\t"deviceIds": [{"id": "5555550177", "kind": "mdn"}],
\t"smsMessage": "Température 21,5 °C — ok 👍 \\"line\\"\\nnext",
\t"comment": "device-originated SMS",
\t"vendorTrace": {"hop": 3, "ratio": -0.5e-3}
}`,
} as const;

/** The callback as bytes. */
export function bytesOf(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** A node tree without the source text, which depends on layout while the tree does not. */
export function withoutRaw(node: MessageNode): MessageNode {
  return {
    name: node.name,
    attributes: node.attributes,
    text: node.text,
    children: node.children.map(withoutRaw),
    json: node.json,
  };
}

/** A parsed callback without what depends on the source's layout: raw texts and the redacted source. */
export function layoutFree(parsed: ParsedCallback): object {
  return {
    ...parsed,
    password: parsed.password.reveal(),
    payload: parsed.payload.map(withoutRaw),
    extra: parsed.extra.map(withoutRaw),
    redacted: undefined,
  };
}

/**
 * The same JSON with every object's keys in reverse order and another layout: what key order and whitespace
 * may not change. Only for texts without duplicate keys or lone surrogates (JSON.parse would hide them).
 */
export function reordered(text: string): string {
  // Numbers as written (Node 21+: the reviver's source text, JSON.rawJSON), so their text does not change.
  const reviver = (_key: string, value: unknown, context?: { source?: string }): unknown => {
    if (typeof value === 'number') return (JSON as unknown as RawJson).rawJSON(context!.source!);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    return Object.fromEntries(Object.entries(value).reverse());
  };
  return JSON.stringify(JSON.parse(text, reviver), null, '\t\t');
}

interface RawJson {
  rawJSON(text: string): unknown;
}
