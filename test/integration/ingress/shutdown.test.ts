/**
 * Graceful shutdown against the real broker. Step by step: once close() is called, readiness is false and new
 * requests (on new or kept-alive connections) get 503 + Retry-After while the callback in flight finishes and is
 * acknowledged; then the listener closes. Under load: close() while ~300 callbacks are on their way; every
 * callback answered 200 is in Kafka exactly once, every other one was refused (503, or its connection was never
 * taken) and is not in Kafka, so ThingSpace's retry cannot duplicate it; close() finishes within the grace period.
 */
import { Agent } from 'node:http';
import { faultCodeOf, open, post, send } from '../../support/http';
import {
  IngressHarness,
  carrierCallback,
  expectNoPassword,
  expectedOf,
  report,
  tally,
  attempt,
  isAnswer,
} from './harness';

const CALLBACKS = 300;
const CONNECTIONS = 100;

const harness = new IngressHarness();

afterAll(() => harness.cleanup());

it('close(): readiness goes false, new requests get 503, the callback in flight finishes and is in Kafka', async () => {
  const { bridge, port, topics } = await harness.startBridge({ http: { shutdownGraceMs: 20_000 } });
  // A kept-alive connection, idle when close() comes.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  expect((await send(port, '/healthz', { method: 'GET', agent })).status).toBe(200);
  // A callback in flight: taken by the bridge (100 Continue), half its body sent.
  const xml = carrierCallback(7, 30_000);
  const inFlight = open(port, '/callbacks/CarrierService', {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(xml),
  });
  await inFlight.continued;
  inFlight.write(xml.slice(0, 200));

  const closing = bridge.close();

  const onKeptAlive = await attempt(
    post(port, '/callbacks/CarrierService', carrierCallback(8, 30_001), { agent }),
  );
  const onNew = await attempt(post(port, '/callbacks/CarrierService', carrierCallback(9, 30_002)));
  const readiness = await attempt(send(port, '/readyz', { method: 'GET' }));
  inFlight.end(xml.slice(200));
  const finished = await attempt(inFlight.answer);
  const inTime = await closing;
  const afterClose = await attempt(send(port, '/healthz', { method: 'GET' }));
  agent.destroy();
  report('shutdown step by step', {
    inFlight: tally([finished]),
    newOnKeptAlive: tally([onKeptAlive]),
    newOnNewConnection: tally([onNew]),
    readyz: tally([readiness]),
    afterClose: tally([afterClose]),
  });

  for (const refused of [onKeptAlive, onNew]) {
    expect(
      isAnswer(refused) && [refused.status, faultCodeOf(refused.body), refused.headers['retry-after']],
    ).toEqual([503, 'NOT_READY', '5']);
    // Draining: no connection is kept for another request.
    expect(isAnswer(refused) && refused.headers.connection).toBe('close');
  }
  expect(isAnswer(readiness) && [readiness.status, JSON.parse(readiness.body)]).toEqual([
    503,
    expect.objectContaining({
      status: 'not-ready',
      reason: 'draining',
      checks: expect.objectContaining({ kafka: { state: 'ok' } }) as unknown,
    }),
  ]);
  expect(isAnswer(finished) && finished.status).toBe(200);
  expect(inTime).toBe(true);
  expect(!isAnswer(afterClose) && afterClose.error.code).toBe('ECONNREFUSED');
  const records = await harness.readAll([topics['async-response']]);
  expect(records.map((r) => r.key?.toString())).toEqual(['mdn:5550000007']);
});

it('close() while ~300 callbacks arrive: every 200 is in Kafka, nothing refused is, close() resolves true', async () => {
  const running = await harness.startBridge({ http: { shutdownGraceMs: 20_000 } });
  const callbacks = Array.from({ length: CALLBACKS }, (_, i) => carrierCallback(i % 60, 20_000 + i));
  const expected = await Promise.all(callbacks.map((xml) => expectedOf(xml, 'CarrierService')));

  let closing: Promise<boolean> | undefined;
  let ok = 0;
  // 100 kept-alive connections, open before the burst: what the node has taken when close() comes.
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  await Promise.all(
    Array.from({ length: CONNECTIONS }, () => send(running.port, '/healthz', { method: 'GET', agent })),
  );
  const outcomes = await Promise.all(
    callbacks.map((xml) =>
      attempt(post(running.port, '/callbacks/CarrierService', xml, { agent })).then((outcome) => {
        // Halfway through: a wave of callbacks is in the pipeline, the next one on its way.
        if (isAnswer(outcome) && outcome.status === 200 && ++ok === CALLBACKS / 2)
          closing = running.bridge.close();
        return outcome;
      }),
    ),
  );
  agent.destroy();
  const inTime = await closing;

  const acknowledged = new Set<string>();
  const refused = new Set<string>();
  const faults: Record<string, number> = {};
  outcomes.forEach((outcome, i) => {
    const eventId = expected[i]!.event.eventId;
    if (isAnswer(outcome) && outcome.status === 200) acknowledged.add(eventId);
    else refused.add(eventId);
    if (isAnswer(outcome) && outcome.status !== 200) {
      const code = `${outcome.status} ${faultCodeOf(outcome.body)}`;
      faults[code] = (faults[code] ?? 0) + 1;
    }
  });

  const records = await harness.readAll([running.topics['async-response']]);
  const inKafka = await Promise.all(
    records.map(
      async (r) => ((await harness.servers.registry.decode(r.value!)) as { eventId: string }).eventId,
    ),
  );
  const inKafkaSet = new Set(inKafka);
  report('shutdown under load', {
    sent: CALLBACKS,
    answers: tally(outcomes),
    faults,
    closingConnection: outcomes.filter((o) => isAnswer(o) && o.headers.connection === 'close').length,
    inKafka: inKafka.length,
    duplicates: inKafka.length - inKafkaSet.size,
    acknowledgedMissing: [...acknowledged].filter((id) => !inKafkaSet.has(id)).length,
    refusedButWritten: [...refused].filter((id) => inKafkaSet.has(id)).length,
    closeInTime: inTime,
  });

  expect(inTime).toBe(true);
  // Every answer is an acknowledgement, a 503 for the drain, or a connection the closing server never took.
  for (const outcome of outcomes) {
    if (!isAnswer(outcome)) {
      expect(['ECONNREFUSED', 'ECONNRESET']).toContain(outcome.error.code);
    } else if (outcome.status !== 200) {
      expect([outcome.status, faultCodeOf(outcome.body)]).toEqual([503, 'NOT_READY']);
      expect(outcome.headers['retry-after']).toBe('5');
    }
  }
  expect(acknowledged.size).toBeGreaterThan(0);
  expect(inKafka.length).toBe(inKafkaSet.size);
  expect([...inKafkaSet].sort()).toEqual([...acknowledged].sort());
  expectNoPassword(await harness.readAll(harness.allTopics()));
});
