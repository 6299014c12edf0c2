/**
 * Payloads an authenticated sender can craft against the whole handler path (parse, normalize, encode), in both
 * wire formats (issue 15): deep trees of long names whose flattened paths once grew with depth x leaves, names
 * that are Object.prototype's, and credentials repeated wherever the sender likes. Sizes are asserted, not
 * times: the bound on what the handler builds is what bounds its work and memory.
 */
import { Readable } from 'node:stream';
import { createAuthenticator } from '../../../src/auth';
import { parseConfig } from '../../../src/config';
import type { DeliveryRecord } from '../../../src/kafka/delivery';
import { AVRO_TYPES } from '../../../src/events/avro';
import { DEFAULT_TOPICS } from '../../../src/events/schemas';
import type { CallbackEvent, DeadLetter, GenericElement } from '../../../src/events/types';
import { decodeWireFormat } from '../../../src/events/wire-format';
import { createCallbackHandler, PARSERS } from '../../../src/ingress/handle-callback';
import { DEFAULT_PARSER_LIMITS } from '../../../src/message/limits';
import type { WireFormat } from '../../../src/message/types';
import type { Anomaly } from '../../../src/thingspace/anomalies';
import { normalize } from '../../../src/thingspace/normalize';
import { testEncoder } from '../../support/encoder';
import {
  amplifying,
  avroEntry,
  deepPayload,
  PLANTED_COUNT,
  PROTOTYPE_NAMES,
  restCallback,
  withPayload,
  withPlantedSecrets,
  withPrototypeNames,
} from '../../support/hostile';

const USER = 'hostile-user';
const PASSWORD = 'Inv3nted-Hostile-Pw';
const { config } = parseConfig(
  {
    accounts: [{ name: 'acct', username: USER, password: PASSWORD, services: ['*'] }],
    kafka: { brokers: ['127.0.0.1:9092'] },
    schemaRegistry: { url: 'http://127.0.0.1:8081' },
  },
  {},
);

function handler() {
  const published: DeliveryRecord[] = [];
  const anomalies: Anomaly[] = [];
  const handle = createCallbackHandler({
    parserLimits: {},
    authenticator: createAuthenticator(config.accounts),
    normalizeOptions: {},
    encoder: testEncoder(),
    delivery: {
      deliver: (record) => {
        published.push(record);
        return Promise.resolve({ held: 'kafka' as const, topic: record.topic, partition: 0, offset: '0' });
      },
    },
    maxRecordBytes: Number.MAX_SAFE_INTEGER,
    ingressNode: 'unit-test',
    onAnomalies: (found) => anomalies.push(...found),
  });
  const call = async (format: WireFormat, body: string, service = 'DeviceUsage') => {
    await handle({
      service: service as never,
      format,
      body: Readable.from([Buffer.from(body)]),
      receivedAt: new Date(0),
    });
    return published.at(-1)!;
  };
  return { call, anomalies };
}

function decodeEvent(record: DeliveryRecord): CallbackEvent {
  return AVRO_TYPES['async-response'].fromBuffer(decodeWireFormat(record.value).avro) as CallbackEvent;
}

const ACCOUNT = { username: USER, password: PASSWORD };
const wrap = (format: WireFormat, payload: string) => withPayload(format, ACCOUNT, payload);

/** The payload's flattened fields' size in UTF-16 code units, paths and values. */
function fieldsSize(fields: Record<string, string>): number {
  return Object.entries(fields).reduce((sum, [path, value]) => sum + path.length + value.length, 0);
}

describe.each<WireFormat>(['soap', 'rest'])('%s: a deep tree of long names', (format) => {
  it('makes an event a small multiple of its body, not depth x leaves', async () => {
    // Flattened in full, each of the 3,000 leaves' paths would repeat 40 names of 100 characters: 12 MB.
    const body = wrap(format, deepPayload(format, 40, 100, 3000));
    const { call, anomalies } = handler();
    const record = await call(format, body);
    expect(record.topic).toBe(DEFAULT_TOPICS['async-response']);
    expect(record.value.length).toBeLessThan(3 * body.length);
    const payload = decodeEvent(record).payload as Record<string, GenericElement>;
    const generic = Object.values(payload)[0]!;
    // Too large to flatten: no fields, the fragment holds it all, and the metric says so.
    expect(generic.fields).toEqual({});
    expect(generic.xml.length).toBeGreaterThan(body.length / 2);
    expect(anomalies).toContain('fields-too-large');
  });

  it('stays bounded at the largest body the parser takes, its limits all used', async () => {
    const { maxBodyBytes } = DEFAULT_PARSER_LIMITS;
    // The chain as deep as the parser allows, as many leaves as it allows, names filling the rest of the body.
    const body = amplifying(format, ACCOUNT, maxBodyBytes);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(maxBodyBytes);
    expect(Buffer.byteLength(body)).toBeGreaterThan(0.99 * maxBodyBytes);

    const { call } = handler();
    const record = await call(format, body);
    expect(record.value.length).toBeLessThan(3 * body.length);
  });

  it('keeps the fields of an ordinary large payload whole', async () => {
    const body = wrap(format, deepPayload(format, 3, 8, 5000));
    const { call, anomalies } = handler();
    const payload = decodeEvent(await call(format, body)).payload as Record<string, GenericElement>;
    const generic = Object.values(payload)[0]!;
    expect(Object.keys(generic.fields)).toHaveLength(5000);
    expect(fieldsSize(generic.fields)).toBeGreaterThan(body.length / 2);
    expect(anomalies).not.toContain('fields-too-large');
  });
});

describe('a typed payload too large to flatten in full', () => {
  it('arrives generic, so what its typed fields do not hold is not lost', async () => {
    const junk = deepPayload('rest', 40, 100, 3000).replace('"deviceResponse":{"mystery":', '').slice(0, -1);
    const body = restCallback(ACCOUNT, `"deviceResponse":{"usageResponse":{"junk":${junk}}}`);
    const event = decodeEvent(await handler().call('rest', body));
    expect(event.payloadType).toBe('GenericElement');
    const generic = Object.values(event.payload as Record<string, GenericElement>)[0]!;
    expect(generic.element).toBe('usageResponse');
    expect(generic.fields).toEqual({});
    expect(JSON.parse(generic.xml)).toEqual({ junk: JSON.parse(junk) as unknown });
  });
});

describe.each<WireFormat>(['soap', 'rest'])('%s: names of Object.prototype in a payload', (format) => {
  const body = withPrototypeNames(format, ACCOUNT);

  it('keeps every one as a field, an element and an extra element, into the record', async () => {
    const record = await handler().call(format, body);
    const path = (parent: string, name: string) =>
      format === 'soap' ? `${parent}/${name}` : `${parent}.${name}`;
    for (const name of PROTOTYPE_NAMES) {
      expect(record.value.includes(avroEntry(name, `value of ${name}`))).toBe(true);
      expect(record.value.includes(avroEntry(path(path('Nested', name), 'x'), 'y'))).toBe(true);
      // Each a payload element of its own (SOAP: a Data child; REST: a deviceResponse member) and an extra one.
      expect(record.value.includes(avroEntry('.', `element ${name}`))).toBe(true);
      expect(record.value.includes(avroEntry('.', `extra ${name}`))).toBe(true);
    }
    if (format === 'soap') {
      for (const name of PROTOTYPE_NAMES) {
        expect(record.value.includes(avroEntry(`Nested/${name}/@${name}`, `attribute ${name}`))).toBe(true);
      }
    }
    const event = decodeEvent(record);
    expect(event.extraElements.map(({ element }) => element)).toEqual(
      format === 'soap' ? PROTOTYPE_NAMES : [...PROTOTYPE_NAMES].sort(),
    );
  });
});

/** Secrets planted under credential names; each must be in no record, while the account still authenticates. */
const SECRETS = Array.from({ length: PLANTED_COUNT }, (_, i) => `Pl4nted-S3cret-${i}`);
const PLANTED: Record<WireFormat, string> = {
  soap: withPlantedSecrets('soap', ACCOUNT, SECRETS),
  rest: withPlantedSecrets('rest', ACCOUNT, SECRETS),
};

describe.each<WireFormat>(['soap', 'rest'])('%s: credentials wherever the sender puts them', (format) => {
  const body = PLANTED[format];

  it('are in no event, at any depth, and the account still authenticates', async () => {
    const record = await handler().call(format, body);
    expect(record.topic).toBe(DEFAULT_TOPICS['async-response']);
    const bytes = record.value.toString('latin1');
    for (const secret of [...SECRETS, PASSWORD]) expect(bytes).not.toContain(secret);
    expect(bytes).toContain('kept');
    expect(bytes).toContain(format === 'soap' ? 'Leaf/@plain' : 'list[0].plain');
  });

  it('are in no dead letter', async () => {
    const letters: DeliveryRecord[] = [];
    const encoder = testEncoder();
    const handle = createCallbackHandler({
      parserLimits: {},
      authenticator: createAuthenticator(config.accounts),
      normalizeOptions: {},
      encoder: {
        ...encoder,
        encodeEvent: () => {
          throw new Error('forced: this message is dead-lettered');
        },
      },
      delivery: {
        deliver: (record) => {
          letters.push(record);
          return Promise.resolve({ held: 'kafka' as const, topic: record.topic, partition: 0, offset: '0' });
        },
      },
      maxRecordBytes: Number.MAX_SAFE_INTEGER,
      ingressNode: 'unit-test',
    });
    const handled = await handle({
      service: 'DeviceUsage',
      format,
      body: Readable.from([Buffer.from(body)]),
      receivedAt: new Date(0),
    });
    expect(handled.outcome).toBe('dead-lettered');
    const letter = AVRO_TYPES['dead-letter'].fromBuffer(
      decodeWireFormat(letters[0]!.value).avro,
    ) as DeadLetter;
    for (const secret of [...SECRETS, PASSWORD]) expect(letter.redactedXml).not.toContain(secret);
    expect(letter.redactedXml).toContain('kept');
  });
});

/** The account's own password copied under names no rule calls a credential's, in a payload and beside it. */
const COPIED: Record<WireFormat, string> = {
  soap: withPayload(
    'soap',
    ACCOUNT,
    `<Mystery><a><b><p2ssword> ${PASSWORD} </p2ssword><c note="${PASSWORD}">kept</c></b></a></Mystery>`,
  ).replace('</Data>', `</Data><Pbssword>${PASSWORD}</Pbssword>`),
  rest: restCallback(
    ACCOUNT,
    `"deviceResponse":{"mystery":{"a":{"b":["${PASSWORD}","kept"]}}},"p2ssword":"${PASSWORD}"`,
  ),
};

describe.each<WireFormat>(['soap', 'rest'])("%s: the message's own password under another name", (format) => {
  it('is in no event nor dead letter, and the account still authenticates', async () => {
    const record = await handler().call(format, COPIED[format]);
    expect(record.topic).toBe(DEFAULT_TOPICS['async-response']);
    expect(record.value.toString('latin1')).not.toContain(PASSWORD);
    expect(record.value.toString('latin1')).toContain('kept');
    const parsed = await PARSERS[format](COPIED[format]);
    expect(parsed.password.reveal()).toBe(PASSWORD);
    expect(parsed.redacted).not.toContain(PASSWORD);
    expect((await PARSERS[format](parsed.redacted)).payload).toEqual(parsed.payload);
  });
});

describe.each<WireFormat>(['soap', 'rest'])('%s: the redacted message', (format) => {
  it('parses to the same payload and the same eventId: a replay of it is the same event', async () => {
    const original = await PARSERS[format](PLANTED[format]);
    const replayed = await PARSERS[format](original.redacted);
    expect(replayed.password.reveal()).toBe('');
    expect(replayed.payload).toEqual(original.payload);
    expect(replayed.extra).toEqual(original.extra);
    const context = {
      service: 'DeviceUsage',
      accountName: 'acct',
      receivedAt: new Date(0),
      ingressNode: 'n',
    };
    expect(normalize(replayed, context).event.eventId).toBe(normalize(original, context).event.eventId);
  });
});
