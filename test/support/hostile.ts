/**
 * Callbacks an authenticated sender can craft to hurt the bridge (issue 15), in both wire formats: deep trees of
 * long names, names of Object.prototype's, credentials repeated wherever the sender likes. For the unit test of
 * the handler path (test/unit/ingress/hostile-payloads.test.ts) and the adversarial run (scripts/adversarial.ts).
 * Every message is of the account `username`/`password`, for DeviceUsage, and has one device.
 */
import { DEFAULT_PARSER_LIMITS } from '../../src/message/limits';
import type { WireFormat } from '../../src/message/types';

export interface Account {
  username: string;
  password: string;
}

/** A SOAP callback whose Data holds `data`, and whose root holds `extra` after Data. */
export function soapCallback({ username, password }: Account, data: string, extra = ''): string {
  return (
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>' +
    `<CallbackRequest><Username>${username}</Username><Password>${password}</Password>` +
    '<Device><Kind>mdn</Kind><Identifier>5555550100</Identifier></Device>' +
    `<Data>${data}</Data>${extra}</CallbackRequest></s:Body></s:Envelope>`
  );
}

/** A REST callback; `members` are more top-level members, JSON text without braces. */
export function restCallback({ username, password }: Account, members: string): string {
  return (
    `{"username":"${username}","password":"${password}",` +
    `"deviceIds":[{"kind":"mdn","id":"5555550100"}],${members}}`
  );
}

/** `count` names of `length` characters, distinct, XML- and JSON-safe. */
export function names(count: number, length: number): string[] {
  return Array.from({ length: count }, (_, i) => `n${i}`.padEnd(length, 'x'));
}

/**
 * A generic payload: a chain of `depth` elements of long names with `leaves` leaves at its bottom. SOAP: a `Data`
 * child `Mystery`; REST: the `deviceResponse` member `mystery` (both unknown to the mappers).
 */
export function deepPayload(format: WireFormat, depth: number, nameLength: number, leaves: number): string {
  const chain = names(depth, nameLength);
  if (format === 'soap') {
    const leafs = Array.from({ length: leaves }, (_, i) => `<a>${i}</a>`).join('');
    const open = chain.map((n) => `<${n}>`).join('');
    const close = chain
      .reverse()
      .map((n) => `</${n}>`)
      .join('');
    return `<Mystery>${open}${leafs}${close}</Mystery>`;
  }
  const leafs = Array.from({ length: leaves }, (_, i) => `"a${i}":${i}`).join(',');
  return `"deviceResponse":{"mystery":${chain.map((n) => `{"${n}":`).join('')}{${leafs}}${'}'.repeat(depth)}}`;
}

/** A whole callback around a payload of deepPayload's. */
export function withPayload(format: WireFormat, account: Account, payload: string): string {
  return format === 'soap' ? soapCallback(account, payload) : restCallback(account, payload);
}

/** The chain as deep as the parser allows below the message's own levels. */
const CHAIN_DEPTH: Readonly<Record<WireFormat, number>> = {
  // Envelope, Body, CallbackRequest, Data, Mystery, and the leaves.
  soap: DEFAULT_PARSER_LIMITS.maxDepth - 6,
  // The top object, deviceResponse, and the leaves' object.
  rest: DEFAULT_PARSER_LIMITS.maxDepth - 4,
};

/**
 * A deep tree of long names of about `bytes` bytes (at most maxBodyBytes): half of it names, repeated on every
 * leaf's path when flattened, half leaves, as many as maxElements allows.
 */
export function amplifying(format: WireFormat, account: Account, bytes: number): string {
  const { maxBodyBytes, maxElements } = DEFAULT_PARSER_LIMITS;
  const depth = CHAIN_DEPTH[format];
  const leaves = Math.min(maxElements - depth - 20, Math.floor(bytes / 2 / 12));
  const shell = withPayload(format, account, deepPayload(format, depth, 1, leaves)).length;
  const namesBytes = Math.min(bytes, maxBodyBytes) - shell;
  const nameLength = 1 + Math.floor(namesBytes / (format === 'soap' ? 2 * depth : depth));
  return withPayload(format, account, deepPayload(format, depth, Math.max(1, nameLength - 1), leaves));
}

/** `content` nested `depth` levels down. */
function buried(format: WireFormat, depth: number, content: string): string {
  const levels = names(depth, 6);
  return format === 'soap'
    ? `${levels.map((n) => `<${n}>`).join('')}${content}${levels
        .reverse()
        .map((n) => `</${n}>`)
        .join('')}`
    : `${levels.map((n) => `{"${n}":`).join('')}{${content}}${'}'.repeat(depth)}`;
}

/** How many secrets `withPlantedSecrets` plants. */
export const PLANTED_COUNT = 10;

/**
 * A callback with `secrets` (PLANTED_COUNT of them, XML- and JSON-safe) under credential names everywhere: a
 * payload element, 12 levels down in a payload (several spellings, an attribute, a subtree), an unknown root
 * child 11 levels down and one at the top, and (SOAP) the header. Next to them `kept` values that must stay.
 */
export function withPlantedSecrets(format: WireFormat, account: Account, secrets: readonly string[]): string {
  const [s0, s1, s2, s3, s4, s5, s6, s7, s8, s9] = secrets;
  if (format === 'soap') {
    return soapCallback(
      account,
      `<Password>${s0}</Password><Mystery>${buried(
        'soap',
        12,
        `<password>${s1}</password><ApiKey>${s2}</ApiKey><x-api-key>${s3}</x-api-key>` +
          `<Authorization>Bearer ${s4}</Authorization><ClientSecret><inner>${s5}</inner></ClientSecret>` +
          `<Leaf accessToken="${s6}" plain="kept">kept</Leaf>`,
      )}</Mystery>`,
      `<Unknown>${buried('soap', 11, `<PASSWORD>${s7}</PASSWORD>`)}</Unknown><Token>${s8}</Token>`,
    ).replace('<s:Body>', `<s:Header><Security><Token>${s9}</Token></Security></s:Header><s:Body>`);
  }
  return restCallback(
    account,
    `"deviceResponse":{"password":"${s0}","mystery":${buried(
      'rest',
      12,
      `"password":"${s1}","apiKey":"${s2}","x-api-key":"${s3}","Authorization":"Bearer ${s4}",` +
        `"clientSecret":{"inner":"${s5}"},"list":[{"accessToken":"${s6}","plain":"kept"}],"ok":"kept"`,
    )}},"unknown":${buried('rest', 11, `"PASSWORD":"${s7}","pin":1234`)},"token":"${s8}","secrets":["${s9}"]`,
  );
}

/** Object.prototype's names, and names that look up something on it. */
export const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString'];

/**
 * A callback with PROTOTYPE_NAMES as names everywhere: leaves of a payload (their values `value of <name>`, then
 * ` <tag>` when a tag is given), elements with an attribute (SOAP) and a child below `Nested`, payload
 * elements of their own (`element <name>`) and unknown root children (`extra <name>`).
 */
export function withPrototypeNames(format: WireFormat, account: Account, tag = ''): string {
  const suffix = tag && ` ${tag}`;
  const all = (each: (name: string) => string) =>
    PROTOTYPE_NAMES.map(each).join(format === 'soap' ? '' : ',');
  if (format === 'soap') {
    return soapCallback(
      account,
      `<Mystery>${all((n) => `<${n}>value of ${n}${suffix}</${n}>`)}` +
        `<Nested>${all((n) => `<${n} ${n}="attribute ${n}"><x>y</x></${n}>`)}</Nested></Mystery>` +
        all((n) => `<${n}>element ${n}</${n}>`),
      all((n) => `<${n}>extra ${n}</${n}>`),
    );
  }
  return restCallback(
    account,
    `"deviceResponse":{"mystery":{${all((n) => `"${n}":"value of ${n}${suffix}"`)},` +
      `"Nested":{${all((n) => `"${n}":{"x":"y"}`)}}},${all((n) => `"${n}":"element ${n}"`)}},` +
      all((n) => `"${n}":"extra ${n}"`),
  );
}

/**
 * The Avro bytes of one map entry, `name -> value` (both strings of at most 63 UTF-8 bytes: zigzag lengths of
 * one byte): how to find a `__proto__` entry in a record, which avsc cannot decode into a plain object.
 */
export function avroEntry(name: string, value: string): Buffer {
  const string = (text: string) => Buffer.concat([Buffer.of(Buffer.byteLength(text) * 2), Buffer.from(text)]);
  return Buffer.concat([string(name), string(value)]);
}
