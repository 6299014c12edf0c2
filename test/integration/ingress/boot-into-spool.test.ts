/**
 * Booting into the spool: a node with the spool, started while Kafka (or the schema registry) is unreachable, is
 * ready at once and answers callbacks 200 with receipts saying `spool`; once the server comes back, the boot
 * finishes, the spool replays, and every acknowledged callback is in Kafka, decodable with the registry (its
 * schema id set on the way), in per-device order. A re-sent callback gets the same eventId.
 */
import { post } from '../../support/http';
import { tempDirs } from '../../support/temp';
import {
  IngressHarness,
  carrierCallback,
  closedPort,
  expectedOf,
  forward,
  hostPort,
  readyz,
  until,
  report,
  type RunningBridge,
} from './harness';

const harness = new IngressHarness();
afterAll(() => harness.cleanup());
const tempDir = tempDirs('boot-into-spool-');

const DEVICES = 5;
const PER_DEVICE = 8;

interface Sent {
  device: number;
  sequence: number;
  status: number;
  eventId: string | undefined;
  expectedEventId: string;
  key: string;
  receipt: string | undefined;
}

/** Each device's callbacks one after another (their order is the order of the 200s), the devices side by side. */
async function sendInOrder(port: number, base: number): Promise<Sent[]> {
  const perDevice = await Promise.all(
    Array.from({ length: DEVICES }, async (_, device) => {
      const sent: Sent[] = [];
      for (let i = 0; i < PER_DEVICE; i++) {
        const sequence = base + device * PER_DEVICE + i;
        const xml = carrierCallback(device, sequence);
        const answer = await post(port, '/callbacks/CarrierService', xml);
        const expected = await expectedOf(xml, 'CarrierService');
        sent.push({
          device,
          sequence,
          status: answer.status,
          eventId: answer.headers['x-event-id'] as string | undefined,
          expectedEventId: expected.event.eventId,
          key: expected.key,
          receipt: answer.headers['x-receipt'] as string | undefined,
        });
      }
      return sent;
    }),
  );
  return perDevice.flat();
}

/**
 * Every acknowledged callback in Kafka, decodable, each device's (first copies: a re-send may add a duplicate) in
 * the order of its 200s.
 */
async function checkInKafka(running: RunningBridge, sent: readonly Sent[]) {
  const records = await harness.readAll([running.topics['async-response']]);
  const decoded = await Promise.all(
    records.map(async (r) => ({
      key: r.key?.toString(),
      timestamp: Number(r.timestamp),
      eventIdHeader: r.headers?.['event-id']?.toString(),
      event: (await harness.servers.registry.decode(r.value!)) as { eventId: string; receivedAt: number },
    })),
  );
  // Replayed after the outage, yet stamped when they were received: event-time windows stay right.
  expect(decoded.filter((d) => d.timestamp !== d.event.receivedAt)).toEqual([]);
  // The headers went through the spool with the value.
  expect(decoded.filter((d) => d.eventIdHeader !== d.event.eventId)).toEqual([]);
  const bySequence = new Map(sent.map((s) => [s.expectedEventId, s]));
  const inKafka = decoded.map(({ event }) => event.eventId);
  const acknowledged = sent.filter((s) => s.status === 200);
  const missing = acknowledged.filter((s) => !inKafka.includes(s.expectedEventId)).length;
  let outOfOrder = 0;
  for (const key of new Set(sent.map((s) => s.key))) {
    const firsts = new Set(decoded.filter((d) => d.key === key).map(({ event }) => event.eventId));
    const order = [...firsts].map((eventId) => bySequence.get(eventId)?.sequence ?? Infinity);
    expect(order.length).toBe(PER_DEVICE + (key === sent[0]!.key ? 1 : 0));
    for (let i = 1; i < order.length; i++) if (order[i]! <= order[i - 1]!) outOfOrder++;
  }
  return { acknowledged: acknowledged.length, inKafka: inKafka.length, missing, outOfOrder };
}

describe.each([
  {
    down: 'Kafka',
    bridge: (port: number) =>
      harness.startBridge({ brokers: [`127.0.0.1:${port}`], spoolDir: tempDir(), ready: false }),
    target: () => hostPort(harness.servers.brokers[0]!),
  },
  {
    down: 'the schema registry',
    bridge: (port: number) =>
      harness.startBridge({
        registryUrl: `http://127.0.0.1:${port}${new URL(harness.servers.registryUrl).pathname}`,
        spoolDir: tempDir(),
        ready: false,
      }),
    target: () => hostPort(new URL(harness.servers.registryUrl).host),
  },
])('a node started while $down is unreachable', ({ down, bridge, target }) => {
  it('takes callbacks into the spool with receipts, then delivers every one in per-device order', async () => {
    const port = await closedPort();
    const running = await bridge(port);
    expect(await readyz(running.port)).toMatchObject({
      status: 'ready',
      checks: { spool: { state: 'ok' } },
      delivery: 'spooling',
    });

    const spooled = await sendInOrder(running.port, 90_000);
    const again = await post(running.port, '/callbacks/CarrierService', carrierCallback(0, 90_000));

    const stop = await forward(port, target());
    try {
      await running.bridge.ready();
      await until(async () => (await readyz(running.port)).delivery === 'direct', 'the spool to drain');
      const direct = await post(running.port, '/callbacks/CarrierService', carrierCallback(0, 91_000));
      const counts = await checkInKafka(running, spooled);
      report(`boot into the spool (${down} down)`, {
        sent: spooled.length,
        '200s': spooled.filter((s) => s.status === 200).length,
        receiptsSpool: spooled.filter((s) => s.receipt?.startsWith('spool;')).length,
        ...counts,
      });

      for (const s of spooled) {
        expect(s.status).toBe(200);
        expect(s.eventId).toBe(s.expectedEventId);
        expect(s.receipt).toMatch(
          new RegExp(
            `^spool; topic=${running.topics['async-response']}; segment=\\d{20}\\.seg; position=\\d+$`,
          ),
        );
      }
      // The re-send: the same eventId, acknowledged again.
      expect([again.status, again.headers['x-event-id']]).toEqual([200, spooled[0]!.eventId]);
      expect(direct.headers['x-receipt']).toMatch(/^kafka; topic=[^;]+; partition=\d+; offset=\d+$/);
      expect(counts).toMatchObject({ acknowledged: DEVICES * PER_DEVICE, missing: 0, outOfOrder: 0 });
    } finally {
      stop();
    }
  });
});
