/**
 * When Kafka cannot take a callback, the bridge answers 503 + Retry-After (ThingSpace retries later) and
 * acknowledges nothing it has not written: a bridge whose broker address has nobody listening never becomes
 * ready, and its /readyz says the kafka check fails with the connection refused; a bridge whose publisher queue is tiny refuses part of a burst with QUEUE_FULL, and every callback it did
 * acknowledge is in Kafka.
 */
import type { CheckReport } from '../../../src/bridge/status';
import { faultCodeOf, post, send } from '../../support/http';
import {
  IngressHarness,
  attempt,
  carrierCallback,
  closedPort,
  expectNoPassword,
  expectedOf,
  fixtureXml,
  isAnswer,
  readyz,
  report,
  tally,
  until,
} from './harness';

const harness = new IngressHarness();

afterEach(() => jest.restoreAllMocks());
afterAll(() => harness.cleanup());

it('no broker listening: never ready, callbacks 503 NOT_READY with Retry-After, /readyz 503', async () => {
  // kafkajs reports every refused connection on the console; here they are the point, not news.
  const consoleError = console.error.bind(console);
  jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    if (!String(args[0]).includes('"logger":"kafkajs"')) consoleError(...args);
  });
  const broker = `127.0.0.1:${await closedPort()}`;
  const { bridge, port } = await harness.startBridge({ brokers: [broker], ready: false });
  let ready: 'pending' | 'resolved' | 'rejected' = 'pending';
  bridge.ready().then(
    () => (ready = 'resolved'),
    () => (ready = 'rejected'),
  );

  const health = await send(port, '/healthz', { method: 'GET' });
  const readiness = await send(port, '/readyz', { method: 'GET' });
  const callbacks = await Promise.all(
    [
      ['CarrierService', 'carrier-service-service-plan'],
      ['PromoChange', 'promo-change'],
      ['EnhancedConnectivityService', 'enhanced-connectivity-device-sms'],
    ].map(([service, name]) => post(port, `/callbacks/${service}`, fixtureXml(name!))),
  );
  const metrics = (await send(port, '/metrics', { method: 'GET' })).body;
  report('no broker', {
    sent: callbacks.length,
    answers: tally(callbacks),
    readyz: readiness.status,
    ready,
  });

  expect(health.status).toBe(200);
  const starting = { state: 'starting' };
  expect([readiness.status, JSON.parse(readiness.body)]).toEqual([
    503,
    {
      status: 'not-ready',
      reason: 'starting',
      checks: {
        kafka: starting,
        topics: starting,
        registry: starting,
        schemas: starting,
        spool: { state: 'disabled' },
      },
    },
  ]);
  // Once a boot attempt has failed, /readyz names the check and why (kafkajs retries a connect for a few seconds).
  const kafkaCheck = async () => ((await readyz(port)).checks as Record<string, CheckReport>).kafka!;
  await until(async () => (await kafkaCheck()).state === 'failing', 'a failed boot attempt', 60_000);
  expect(await readyz(port)).toEqual({
    status: 'not-ready',
    reason: 'starting',
    checks: {
      kafka: { state: 'failing', error: `connection refused by ${broker}` },
      topics: starting,
      registry: starting,
      schemas: starting,
      spool: { state: 'disabled' },
    },
  });
  for (const answer of callbacks) {
    expect([answer.status, faultCodeOf(answer.body), answer.headers['retry-after']]).toEqual([
      503,
      'NOT_READY',
      '5',
    ]);
  }
  expect(metrics).toContain(
    'thingspace_bridge_requests_total{service="CarrierService",outcome="failed",status="503"} 1\n',
  );
  expect(metrics).toContain('\nthingspace_bridge_ready 0\n');
  expect(ready).toBe('pending');

  // Closing a bridge that never booted ends its boot (the connect attempt under way runs out first) within the
  // grace period, and ready() rejects.
  await expect(bridge.close()).resolves.toBe(true);
  expect(ready).toBe('rejected');
  await expect(bridge.ready()).rejects.toThrow();
});

it('a tiny publisher queue under a burst: every answer 200 or 503 QUEUE_FULL with Retry-After, every 200 in Kafka', async () => {
  const BURST = 200;
  const running = await harness.startBridge({
    producer: { lingerMs: 0, maxBatchRecords: 1, maxQueuedRecords: 2 },
  });
  const callbacks = Array.from({ length: BURST }, (_, i) => carrierCallback(i % 40, 40_000 + i));
  const expected = await Promise.all(callbacks.map((xml) => expectedOf(xml, 'CarrierService')));

  const outcomes = await Promise.all(
    callbacks.map((xml) => attempt(post(running.port, '/callbacks/CarrierService', xml))),
  );

  const records = await harness.readAll([running.topics['async-response']]);
  const inKafka = await Promise.all(
    records.map(
      async (r) => ((await harness.servers.registry.decode(r.value!)) as { eventId: string }).eventId,
    ),
  );
  const acknowledged = expected.filter((_, i) => {
    const outcome = outcomes[i]!;
    return isAnswer(outcome) && outcome.status === 200;
  });
  const faults: Record<string, number> = {};
  for (const outcome of outcomes) {
    if (isAnswer(outcome) && outcome.status !== 200) {
      const label = `${outcome.status} ${faultCodeOf(outcome.body)} retry-after=${outcome.headers['retry-after']}`;
      faults[label] = (faults[label] ?? 0) + 1;
    }
  }
  report('tiny queue', {
    sent: BURST,
    answers: tally(outcomes),
    faults,
    inKafka: inKafka.length,
    duplicates: inKafka.length - new Set(inKafka).size,
  });

  for (const outcome of outcomes) {
    if (!isAnswer(outcome)) throw outcome.error; // every callback gets an answer
    if (outcome.status === 200) continue;
    expect([outcome.status, faultCodeOf(outcome.body)]).toEqual([503, 'QUEUE_FULL']);
    expect(Number(outcome.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  }
  // What was acknowledged is there, once; what was refused is not.
  expect(inKafka.sort()).toEqual(acknowledged.map((e) => e.event.eventId).sort());
  expectNoPassword(await harness.readAll(harness.allTopics()));
});
