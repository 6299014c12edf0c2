/**
 * Many callbacks at once through one bridge, the real broker behind it (3 partitions): everything acknowledged
 * is in Kafka exactly once at its own (partition, offset), which is where kafkajs's concurrent idempotent-send
 * bug (tulios/kafkajs#1005) would show; and one device's sequential callbacks are consumed in the order sent.
 */
import { post } from '../../support/http';
import {
  IngressHarness,
  carrierCallback,
  expectNoPassword,
  expectedOf,
  mdnOf,
  report,
  tally,
  attempt,
  type RunningBridge,
} from './harness';
import type { TopicRecord } from '../../infra/kafka';

const DEVICES = 200;
const PER_DEVICE = 5;
const ORDERED = 20;

const harness = new IngressHarness();
let running: RunningBridge;

beforeAll(async () => {
  running = await harness.startBridge();
});

afterAll(() => harness.cleanup());

async function decodeAll(records: readonly TopicRecord[]) {
  return Promise.all(
    records.map(async (record) => ({
      ...record,
      event: (await harness.servers.registry.decode(record.value!)) as { eventId: string; requestId: string },
    })),
  );
}

it('1,000 concurrent callbacks (200 devices x 5): all 200, each in Kafka exactly once, at distinct offsets', async () => {
  const callbacks = Array.from({ length: DEVICES * PER_DEVICE }, (_, i) => {
    const device = i % DEVICES;
    return { device, xml: carrierCallback(device, i) };
  });
  const expected = await Promise.all(callbacks.map(({ xml }) => expectedOf(xml, 'CarrierService')));
  expect(new Set(expected.map((e) => e.event.eventId)).size).toBe(callbacks.length);

  // All at once, each on its own connection.
  const answers = await Promise.all(
    callbacks.map(({ xml }) => attempt(post(running.port, '/callbacks/CarrierService', xml))),
  );

  const topic = running.topics['async-response'];
  const records = await decodeAll(await harness.readAll([topic]));
  const eventIds = records.map((r) => r.event.eventId);
  const positions = new Set(records.map((r) => `${r.partition}/${r.offset}`));
  report('1,000 concurrent', {
    sent: callbacks.length,
    answers: tally(answers),
    inKafka: records.length,
    distinctEventIds: new Set(eventIds).size,
    duplicates: records.length - new Set(eventIds).size,
    distinctPositions: positions.size,
    perPartition: Object.fromEntries(
      [0, 1, 2].map((p) => [p, records.filter((r) => r.partition === p).length]),
    ),
  });

  expect(tally(answers)).toEqual({ 200: callbacks.length });
  expect(records).toHaveLength(callbacks.length);
  expect(eventIds.sort()).toEqual(expected.map((e) => e.event.eventId).sort());
  expect(positions.size).toBe(callbacks.length);
  // Keyed by device; each device on one partition, and the 200 devices spread over all three.
  const partitionsOf = new Map<string, Set<number>>();
  for (const record of records) {
    const key = record.key!.toString('utf8');
    partitionsOf.set(key, (partitionsOf.get(key) ?? new Set()).add(record.partition));
  }
  expect([...partitionsOf.keys()].sort()).toEqual(
    Array.from({ length: DEVICES }, (_, d) => `mdn:${mdnOf(d)}`).sort(),
  );
  for (const partitions of partitionsOf.values()) expect(partitions.size).toBe(1);
  expect(new Set(records.map((r) => r.partition)).size).toBe(3);
});

it('one device, 20 sequential callbacks with different RequestIds: consumed in the order sent', async () => {
  const device = DEVICES + 1;
  const sequence = Array.from({ length: ORDERED }, (_, i) => 10_000 + i);
  const statuses: number[] = [];
  for (const seq of sequence) {
    statuses.push(
      (await post(running.port, '/callbacks/CarrierService', carrierCallback(device, seq))).status,
    );
  }

  const key = `mdn:${mdnOf(device)}`;
  const ofDevice = (await decodeAll(await harness.readAll([running.topics['async-response']])))
    .filter((r) => r.key?.toString('utf8') === key)
    .sort((a, b) => (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
  report('per-device order', {
    sent: sequence.length,
    '200s': statuses.filter((s) => s === 200).length,
    inKafka: ofDevice.length,
    partitions: [...new Set(ofDevice.map((r) => r.partition))].join(','),
  });

  expect(statuses).toEqual(sequence.map(() => 200));
  expect(new Set(ofDevice.map((r) => r.partition)).size).toBe(1);
  expect(ofDevice.map((r) => r.event.requestId)).toEqual(
    sequence.map((seq) => `3f6c1a2e-8b4d-4c7a-9e15-${String(seq).padStart(12, '0')}`),
  );
});

it('the password is in no record of any topic this file wrote', async () => {
  const all = await harness.readAll(harness.allTopics());
  report('no password', { recordsScanned: expectNoPassword(all) });
  expect(all).toHaveLength(DEVICES * PER_DEVICE + ORDERED);
});
