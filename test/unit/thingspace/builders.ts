/** Small builders for parser output, so normalizer tests need no XML (the fixture test covers the real path). */
import type { ParsedCallback, PayloadNode, RawDevice, MessageNode } from '../../../src/message/types';
import { Secret } from '../../../src/util/secret';

export type Children = string | MessageNode[];

/** `<name attr="..">text or children</name>` as the parser would give it. */
export function node(
  name: string,
  content: Children = '',
  attributes: Record<string, string> = {},
): MessageNode {
  return typeof content === 'string'
    ? { name, attributes, text: content, children: [] }
    : { name, attributes, text: '', children: content };
}

/** A payload element; its `raw` is a stand-in (only its presence matters outside the fixture test). */
export function element(
  name: string,
  content: Children = '',
  attributes: Record<string, string> = {},
): PayloadNode {
  return { ...node(name, content, attributes), raw: `<${name}>(test)</${name}>` };
}

export function device(kind: string, identifier: string): RawDevice {
  return { kind, identifier };
}

export const PASSWORD = 's3cret-unit-pw';

export function parsedCallback(overrides: Partial<ParsedCallback> = {}): ParsedCallback {
  return {
    root: 'CallbackRequest',
    username: 'unit-user',
    password: new Secret(PASSWORD),
    requestId: '0a0a0a0a-1111-4222-8333-444455556666',
    devices: [device('mdn', '5555550100')],
    payload: [],
    extra: [],
    format: 'soap',
    redacted: '<redacted/>',
    ...overrides,
  };
}

/** A JSON value as test data; numbers are given as JSON text would write them. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A JSON value as the JSON parser gives it (src/message/types.ts): members in key order (UTF-16 code units),
 * array items named '', scalars' text as written, null's text ''.
 */
export function jsonNode(name: string, value: Json): MessageNode {
  const leaf = (text: string, json: MessageNode['json']): MessageNode => ({
    name,
    attributes: {},
    text,
    children: [],
    json,
  });
  if (value === null) return leaf('', 'null');
  if (typeof value === 'string') return leaf(value, 'string');
  if (typeof value === 'number') return leaf(String(value), 'number');
  if (typeof value === 'boolean') return leaf(String(value), 'boolean');
  const children = Array.isArray(value)
    ? value.map((item) => jsonNode('', item))
    : Object.keys(value)
        .sort()
        .map((key) => jsonNode(key, value[key]!));
  return { name, attributes: {}, text: '', children, json: Array.isArray(value) ? 'array' : 'object' };
}

/** A payload member of a JSON message; its `raw` is the value as JSON.stringify writes it. */
export function jsonElement(name: string, value: Json): PayloadNode {
  return { ...jsonNode(name, value), raw: JSON.stringify(value) };
}
