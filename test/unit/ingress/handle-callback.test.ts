/**
 * The pipeline's own decisions, short of Kafka: which parser reads the body, who the message is from, which
 * record goes out (event or dead letter) and when a message is refused as too large. `publish` records what it
 * is given; what Kafka then does is the integration tests'.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AuthError, createAuthenticator } from '../../../src/auth';
import { parseConfig } from '../../../src/config';
import type { DeliveryRecord } from '../../../src/kafka/delivery';
import { AVRO_TYPES } from '../../../src/events/avro';
import { DEFAULT_TOPICS } from '../../../src/events/schemas';
import { createCallbackHandler, type IncomingCallback } from '../../../src/ingress/handle-callback';
import { ParseError } from '../../../src/message/errors';
import { EventTooLargeError } from '../../../src/ingress/errors';
import { decodeWireFormat } from '../../../src/events/wire-format';
import { testEncoder } from '../../support/encoder';

const TOKEN = 'handler-test-token-Rt5Yu8Io1P';
const fixture = readFileSync(join(__dirname, '../../fixtures/callbacks/device-usage.xml'), 'utf8');
const { config } = parseConfig(
  {
    accounts: [
      { name: 'acct', username: 'fixture-user', password: 's3cret-fixture-pw', services: ['*'] },
      { name: 'token-acct', pathToken: TOKEN, services: ['DeviceUsage'] },
    ],
    kafka: { brokers: ['127.0.0.1:9092'] },
    schemaRegistry: { url: 'http://127.0.0.1:8081' },
  },
  {},
);

/** A REST callback (THINGSPACE.md §6) of the same account, with invented values. */
const json = JSON.stringify({
  username: 'fixture-user',
  password: 's3cret-fixture-pw',
  requestId: '5b0c3a51-0000-4000-8000-00000000a001',
  deviceIds: [{ id: '89148000000000000001', kind: 'Iccid' }],
  deviceResponse: { usageResponse: [{ bytesUsed: 1024, smsUsed: 1 }] },
  status: 'Success',
});

function handler(maxRecordBytes: number) {
  const published: DeliveryRecord[] = [];
  const authenticator = createAuthenticator(config.accounts);
  const handle = createCallbackHandler({
    parserLimits: {},
    authenticator,
    normalizeOptions: {},
    encoder: testEncoder(),
    delivery: {
      deliver: (record) => {
        published.push(record);
        const offset = String(published.length - 1);
        return Promise.resolve({ held: 'kafka' as const, topic: record.topic, partition: 0, offset });
      },
    },
    maxRecordBytes,
    ingressNode: 'unit-test',
  });
  const call = (body: string, more: Partial<IncomingCallback> = {}) =>
    handle({
      service: 'DeviceUsage',
      format: 'soap',
      body: Readable.from([Buffer.from(body)]),
      receivedAt: new Date(0),
      ...more,
    });
  return { call, published, authenticator };
}

/**
 * The fixture with a generic payload nested `depth` levels deep: its flattened paths repeat the levels' names,
 * so the event outgrows the body, and its dead letter (the body) still fits where the event does not.
 */
function nested(depth: number, leaves: number): string {
  const open = Array.from({ length: depth }, (_, i) => `<Level${i}>`).join('');
  const close = Array.from({ length: depth }, (_, i) => `</Level${depth - 1 - i}>`).join('');
  const leaf = Array.from({ length: leaves }, (_, i) => `<Leaf>${i}</Leaf>`).join('');
  return fixture.replace(/<Data>/, `<Data><Usage>${open}${leaf}${close}</Usage>`);
}

describe('handle-callback', () => {
  it('publishes the event when it fits', async () => {
    const { call, published } = handler(1_000_000);
    const handled = await call(fixture);
    expect(handled.outcome).toBe('published');
    expect(published).toHaveLength(1);
    expect(published[0]!.topic).toBe(DEFAULT_TOPICS['async-response']);
  });

  it('dead-letters an event larger than a record may be, with the reason', async () => {
    const body = nested(6, 300);
    const unbounded = handler(Number.MAX_SAFE_INTEGER);
    await unbounded.call(body);
    const { value, key } = unbounded.published[0]!;
    const eventBytes = value.length + Buffer.byteLength(key);
    expect(eventBytes).toBeGreaterThan(2 * body.length);

    const { call, published } = handler(eventBytes - 1);
    const handled = await call(body);
    expect(handled.outcome).toBe('dead-lettered');
    expect(published).toHaveLength(1);
    expect(published[0]!.topic).toBe(DEFAULT_TOPICS['dead-letter']);
    const letter = AVRO_TYPES['dead-letter'].fromBuffer(decodeWireFormat(published[0]!.value).avro) as {
      reasonCode: string;
    };
    expect(letter.reasonCode).toBe('EVENT_TOO_LARGE');
  });

  it('refuses with 413 when even the dead letter would be too large', async () => {
    const { call, published } = handler(100);
    const error = await call(fixture).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(EventTooLargeError);
    expect((error as EventTooLargeError).status).toBe(413);
    expect(published).toHaveLength(0);
  });

  it('reads the body with the parser of its format', async () => {
    const { call, published } = handler(1_000_000);
    expect((await call(json, { format: 'rest' })).accountName).toBe('acct');
    // The event says how it came.
    const event = AVRO_TYPES['async-response'].fromBuffer(decodeWireFormat(published[0]!.value).avro) as {
      format: string;
    };
    expect(event.format).toBe('rest');
    // Each parser refuses the other's format: nothing chooses by looking.
    await expect(call(json, { format: 'soap' })).rejects.toMatchObject({ code: 'MALFORMED_XML' });
    await expect(call(fixture, { format: 'rest' })).rejects.toBeInstanceOf(ParseError);
    expect(published).toHaveLength(1);
  });

  it("takes a message that came with a path token as the token's account", async () => {
    const { call, authenticator } = handler(1_000_000);
    const empty = json.replace('"fixture-user"', '""').replace('"s3cret-fixture-pw"', '""');
    const pathAccount = authenticator.pathAccount(TOKEN)!;
    expect((await call(empty, { format: 'rest', pathAccount })).accountName).toBe('token-acct');
    // Without the token, the same message names nobody.
    await expect(call(empty, { format: 'rest' })).rejects.toBeInstanceOf(AuthError);
    // With it, another account's credentials do not pass.
    await expect(call(json, { format: 'rest', pathAccount })).rejects.toMatchObject({
      reason: 'unknown-user',
    });
  });
});

it('tells onUndelivered of an authenticated callback its delivery refused, and still fails it', async () => {
  const refused = new Error('Kafka is down');
  const undelivered: unknown[][] = [];
  const handle = createCallbackHandler({
    parserLimits: {},
    authenticator: createAuthenticator(config.accounts),
    normalizeOptions: {},
    encoder: testEncoder(),
    delivery: { deliver: () => Promise.reject(refused) },
    maxRecordBytes: 1_000_000,
    ingressNode: 'unit-test',
    onUndelivered: (...args) => undelivered.push(args),
  });
  const body = () => Readable.from([Buffer.from(fixture)]);
  await expect(
    handle({ service: 'DeviceUsage', format: 'soap', body: body(), receivedAt: new Date(0) }),
  ).rejects.toBe(refused);
  expect(undelivered).toEqual([['DeviceUsage', 'acct', refused]]);
});
