/**
 * The archive step of the pipeline: with an archive encoder, every accepted callback's redacted body goes to the
 * delivery in the same tick as its event or dead letter, keyed alike, and the callback is answered only once
 * both are held. Kafka's side (one batch) is the integration test's (test/integration/replay/).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createAuthenticator } from '../../../src/auth';
import { parseConfig } from '../../../src/config';
import { ARCHIVE_HEADERS, createArchiveEncoder } from '../../../src/events/archive';
import { recordBytes } from '../../../src/events/encode';
import { DEFAULT_TOPICS } from '../../../src/events/schemas';
import { createCallbackHandler, type CallbackHandlerDeps } from '../../../src/ingress/handle-callback';
import type { DeliveryRecord, Receipt } from '../../../src/kafka/delivery';
import { Publisher } from '../../../src/kafka/publisher';
import { PRODUCER_DEFAULTS } from '../../../src/config';
import { testEncoder } from '../../support/encoder';
import { FakeProducer } from '../../support/fake-producer';

const PASSWORD = 's3cret-archive-pw';
const fixture = readFileSync(join(__dirname, '../../fixtures/callbacks/device-usage.xml'), 'utf8').replace(
  /<Password>[^<]*<\/Password>/,
  `<Password>${PASSWORD}</Password>`,
);
const { config } = parseConfig(
  {
    accounts: [{ name: 'acct', username: 'fixture-user', password: PASSWORD, services: ['*'] }],
    kafka: { brokers: ['127.0.0.1:9092'] },
    schemaRegistry: { url: 'http://127.0.0.1:8081' },
  },
  {},
);
const RECEIVED_AT = new Date('2026-12-07T03:00:00.123Z');

interface Call {
  record: DeliveryRecord;
  /** Settles this record's delivery. */
  hold(): void;
  refuse(error: Error): void;
}

function handler(more: Partial<CallbackHandlerDeps> = {}) {
  const calls: Call[] = [];
  const handle = createCallbackHandler({
    parserLimits: {},
    authenticator: createAuthenticator(config.accounts),
    normalizeOptions: {},
    encoder: testEncoder(),
    delivery: {
      deliver: (record) =>
        new Promise<Receipt>((resolve, reject) => {
          const receipt: Receipt = {
            held: 'kafka',
            topic: record.topic,
            partition: 0,
            offset: String(calls.length),
          };
          calls.push({ record, hold: () => resolve(receipt), refuse: reject });
        }),
    },
    maxRecordBytes: 1_000_000,
    ingressNode: 'unit-node',
    archive: createArchiveEncoder('test.archive'),
    ...more,
  });
  const call = (body: string, service = 'DeviceUsage' as const) =>
    handle({ service, format: 'soap', body: Readable.from([Buffer.from(body)]), receivedAt: RECEIVED_AT });
  return { call, calls };
}

/** Lets the handler run up to where it waits for its deliveries. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the archive step', () => {
  it('hands the event and its archive record to the delivery together, keyed alike', async () => {
    const { call, calls } = handler();
    const handled = call(fixture);
    await settle();
    expect(calls.map(({ record }) => record.topic)).toEqual([
      DEFAULT_TOPICS['async-response'],
      'test.archive',
    ]);
    const [event, archived] = calls.map(({ record }) => record) as [DeliveryRecord, DeliveryRecord];
    expect(archived.key).toBe(event.key);
    expect(archived.eventId).toBe(event.eventId);
    expect(archived.headers).toEqual({
      [ARCHIVE_HEADERS.service]: 'DeviceUsage',
      [ARCHIVE_HEADERS.format]: 'soap',
      [ARCHIVE_HEADERS.accountName]: 'acct',
      [ARCHIVE_HEADERS.receivedAt]: '2026-12-07T03:00:00.123Z',
      [ARCHIVE_HEADERS.ingressNode]: 'unit-node',
      [ARCHIVE_HEADERS.eventId]: event.eventId,
      [ARCHIVE_HEADERS.contentType]: 'text/xml; charset=utf-8',
      [ARCHIVE_HEADERS.outcome]: 'published',
    });
    // The body as it came, but for the credentials' values.
    const body = archived.value.toString('utf8');
    expect(body).not.toContain(PASSWORD);
    expect(body).toBe(
      fixture
        .replace(/<Username>[^<]*<\/Username>/, '<Username/>')
        .replace(/<Password>[^<]*<\/Password>/, '<Password/>'),
    );
    calls.forEach((c) => c.hold());
    // The callback's receipt is its event's.
    await expect(handled).resolves.toMatchObject({
      receipt: { topic: event.topic, offset: '0' },
      outcome: 'published',
    });
  });

  it('answers only once both records are held', async () => {
    const { call, calls } = handler();
    let answered = false;
    const handled = call(fixture).finally(() => (answered = true));
    await settle();
    calls[0]!.hold();
    await settle();
    expect(answered).toBe(false);
    calls[1]!.hold();
    await handled;
  });

  it('fails the callback when the archive record is not held', async () => {
    const { call, calls } = handler();
    const handled = call(fixture);
    await settle();
    calls[0]!.hold();
    const refused = new Error('spool full');
    calls[1]!.refuse(refused);
    await expect(handled).rejects.toBe(refused);
  });

  it('archives a dead letter keyed by its id', async () => {
    const { call, calls } = handler();
    // A device SMS posted to a service that takes none: authenticated, not normalizable.
    const sms = readFileSync(
      join(__dirname, '../../fixtures/callbacks/enhanced-connectivity-device-sms.xml'),
      'utf8',
    ).replace(/<Password>[^<]*<\/Password>/, `<Password>${PASSWORD}</Password>`);
    const handled = call(sms, 'CarrierService' as 'DeviceUsage');
    await settle();
    const [letter, archived] = calls.map(({ record }) => record) as [DeliveryRecord, DeliveryRecord];
    expect(letter.topic).toBe(DEFAULT_TOPICS['dead-letter']);
    expect(archived.key).toBe(letter.eventId);
    expect(archived.headers?.[ARCHIVE_HEADERS.outcome]).toBe('dead-lettered');
    expect(archived.value.toString('utf8')).not.toContain(PASSWORD);
    calls.forEach((c) => c.hold());
    await expect(handled).resolves.toMatchObject({ outcome: 'dead-lettered' });
  });

  it('delivers the event unarchived when its archive record would exceed a Kafka record', async () => {
    const tooLarge: string[] = [];
    const probe = handler();
    void probe.call(fixture);
    await settle();
    const [event, archived] = probe.calls.map(({ record }) => record) as [DeliveryRecord, DeliveryRecord];
    const eventBytes = recordBytes(event);
    const archiveBytes = recordBytes(archived);
    expect(archiveBytes).toBeGreaterThan(eventBytes);

    const { call, calls } = handler({
      maxRecordBytes: eventBytes,
      onArchiveTooLarge: (eventId) => tooLarge.push(eventId),
    });
    const handled = call(fixture);
    await settle();
    expect(calls.map(({ record }) => record.topic)).toEqual([DEFAULT_TOPICS['async-response']]);
    expect(tooLarge).toEqual([event.eventId]);
    calls[0]!.hold();
    await expect(handled).resolves.toMatchObject({ outcome: 'published' });
  });
});

it('through the Publisher, the event and its archive record go in one sendBatch', async () => {
  const producer = new FakeProducer();
  const publisher = new Publisher(producer, PRODUCER_DEFAULTS);
  await publisher.start();
  const { call } = handler({ delivery: publisher });
  await call(fixture);
  await publisher.close();
  const topics = producer.calls.map(({ batch }) =>
    batch.topicMessages!.map(({ topic, messages }) => `${topic}:${messages.length}`).sort(),
  );
  expect(topics).toEqual([['test.archive:1', `${DEFAULT_TOPICS['async-response']}:1`]]);
});
