/**
 * Admission control (src/http/admission.ts) through the Koa app over real sockets, with the real pipeline whose
 * Kafka delivery blocks until the test lets it go: callbacks in flight are bounded, the rest are shed with 503
 * OVERLOADED + Retry-After in the caller's format before their bodies are read, health never is, and the count
 * falls as answers go out. No timing asserts: every step waits for what it needs (a delivery reached, an answer).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createAuthenticator } from '../../../src/auth';
import { parseConfig, type Config } from '../../../src/config';
import { Admission } from '../../../src/http/admission';
import { createApp } from '../../../src/http/app';
import { createCallbackHandler } from '../../../src/ingress/handle-callback';
import type { Receipt } from '../../../src/kafka/delivery';
import { createMetrics, type Metrics } from '../../../src/observability';
import { testEncoder } from '../../support/encoder';
import { faultString, post, send, type Answer } from '../../support/http';
import { minimal, problems } from '../config/helpers';
import { capturingLogger } from '../../support/logs';

const FIXTURES = join(__dirname, '..', '..', 'fixtures');
const CARRIER_XML = readFileSync(join(FIXTURES, 'callbacks', 'carrier-service-service-plan.xml'), 'utf8');
const ACCOUNTS = [
  { name: '0000555123-00001', username: 'fixture-user', password: 's3cret-fixture-pw', services: ['*'] },
];

function configWith(admission: Record<string, unknown>): Config {
  return parseConfig(
    {
      // Shed answers unheld unless a test holds them: the pacing has a test of its own.
      http: { admission: { shedDelayMs: 0, ...admission } },
      accounts: ACCOUNTS,
      kafka: { brokers: ['127.0.0.1:1'] },
      schemaRegistry: { url: 'http://127.0.0.1:1' },
    },
    {},
  ).config;
}

interface Harness {
  port: number;
  metrics: Metrics;
  admission: Admission;
  logs: string[];
  /** Resolves once `n` deliveries are waiting. */
  delivering(n: number): Promise<void>;
  /** Lets every waiting delivery be acknowledged. */
  release(): void;
}

const servers: Server[] = [];
const admissions: Admission[] = [];

afterEach(async () => {
  for (const admission of admissions.splice(0)) admission.stop();
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(resolve);
        }),
    ),
  );
});

async function start(admissionConfig: Record<string, unknown>): Promise<Harness> {
  const config = configWith(admissionConfig);
  const metrics = createMetrics();
  const logs: string[] = [];
  const logger = capturingLogger({ level: 'info' }, logs);
  const admission = new Admission(config.http.admission, metrics, logger);
  admissions.push(admission);
  const waiting: (() => void)[] = [];
  let arrivals: { n: number; resolve: () => void }[] = [];
  const authenticator = createAuthenticator(config.accounts);
  const handle = createCallbackHandler({
    parserLimits: {},
    authenticator,
    normalizeOptions: { kindPriority: config.normalize.kindPriority },
    encoder: testEncoder(),
    delivery: {
      deliver: (record) =>
        new Promise<Receipt>((resolve) => {
          waiting.push(() => resolve({ held: 'kafka', topic: record.topic, partition: 0, offset: '0' }));
          arrivals = arrivals.filter((a) => (waiting.length >= a.n ? (a.resolve(), false) : true));
        }),
    },
    maxRecordBytes: 1_000_000,
    ingressNode: 'unit-test',
  });
  const app = createApp({
    http: config.http,
    serviceEnabled: () => true,
    pathAccount: (token) => authenticator.pathAccount(token),
    handle,
    readiness: () => undefined,
    admission,
    metrics,
    logger,
  });
  const callback = app.callback();
  const server = createServer((req, res) => void callback(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    metrics,
    admission,
    logs,
    delivering: (n) =>
      waiting.length >= n ? Promise.resolve() : new Promise((resolve) => arrivals.push({ n, resolve })),
    release: () => waiting.splice(0).forEach((acknowledge) => acknowledge()),
  };
}

async function shedCount(metrics: Metrics, reason: string): Promise<number> {
  const metric = await metrics.requestsShed.get();
  return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

/** Writes raw requests on one connection; resolves with what came back once `last` arrived, or the socket closed. */
function rawExchange(port: number, requests: string[], last: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes(last)) socket.destroy();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
    for (const request of requests) socket.write(request);
  });
}

const callbackRequest = (body: string, headers = ''): string =>
  `POST /callbacks/CarrierService HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n${headers}` +
  `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('admission control: callbacks in flight are bounded', () => {
  it('sheds the callback past maxInFlight with 503 OVERLOADED, Retry-After, in SOAP and in JSON', async () => {
    const harness = await start({ maxInFlight: 2, retryAfterSeconds: 3, maxEventLoopDelayMs: 0 });
    const taken = [
      post(harness.port, '/callbacks/CarrierService', CARRIER_XML),
      post(harness.port, '/callbacks/CarrierService', CARRIER_XML),
    ];
    await harness.delivering(2);
    expect(harness.admission.admitted).toBe(2);

    const soap = await post(harness.port, '/callbacks/CarrierService', CARRIER_XML);
    expect(soap.status).toBe(503);
    expect(soap.headers['retry-after']).toBe('3');
    expect(soap.headers['content-type']).toContain('text/xml');
    expect(faultString(soap.body)).toBe(
      'OVERLOADED: the bridge is answering as many callbacks as it can; retry later',
    );
    const json = await send(harness.port, '/callbacks/CarrierService', {
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(503);
    expect(json.headers['retry-after']).toBe('3');
    expect(JSON.parse(json.body)).toEqual({
      code: 'OVERLOADED',
      message: 'the bridge is answering as many callbacks as it can; retry later',
    });
    expect(await shedCount(harness.metrics, 'in-flight')).toBe(2);
    expect(await shedCount(harness.metrics, 'event-loop')).toBe(0);
    const requests = await harness.metrics.requests.get();
    expect(requests.values.find((v) => v.labels.status === 503)?.value).toBe(2);
    // One line as shedding starts, not one per shed callback.
    expect(harness.logs.filter((line) => line.includes('shedding callbacks with 503'))).toHaveLength(1);

    harness.release();
    for (const answer of await Promise.all(taken)) expect(answer.status).toBe(200);
    // The count falls as answers close: the next callback is admitted.
    expect(harness.admission.admitted).toBe(0);
    const next = post(harness.port, '/callbacks/CarrierService', CARRIER_XML);
    await harness.delivering(1);
    harness.release();
    expect((await next).status).toBe(200);
  });

  it('holds each shed answer shedDelayMs, so a client that resends at once is paced', async () => {
    const harness = await start({ maxInFlight: 1, shedDelayMs: 300 });
    const pace = jest.spyOn(harness.admission, 'pace');
    const taken = post(harness.port, '/callbacks/CarrierService', CARRIER_XML);
    await harness.delivering(1);
    const shed = await post(harness.port, '/callbacks/CarrierService', CARRIER_XML);
    expect(shed.status).toBe(503);
    expect(pace).toHaveBeenCalledTimes(1);
    harness.release();
    expect((await taken).status).toBe(200);

    jest.useFakeTimers();
    try {
      let paced = false;
      const held = harness.admission.pace().then(() => (paced = true));
      await jest.advanceTimersByTimeAsync(299);
      expect(paced).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      await held;
      expect(paced).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });

  it('never sheds /healthz, /readyz or /metrics', async () => {
    const harness = await start({ maxInFlight: 1, maxEventLoopDelayMs: 0 });
    const taken = post(harness.port, '/callbacks/CarrierService', CARRIER_XML);
    await harness.delivering(1);
    expect((await post(harness.port, '/callbacks/CarrierService', CARRIER_XML)).status).toBe(503);
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      expect((await send(harness.port, path, { method: 'GET' })).status).toBe(200);
    }
    harness.release();
    expect((await taken).status).toBe(200);
  });

  it('keeps the connection of a shed callback with a Content-Length: its body is discarded, the next request read', async () => {
    const harness = await start({ maxInFlight: 1, maxEventLoopDelayMs: 0 });
    const taken = post(harness.port, '/callbacks/CarrierService', CARRIER_XML);
    await harness.delivering(1);
    // The shed callback's body, then a health check, on one connection: both answered, in order.
    const raw = await rawExchange(
      harness.port,
      [callbackRequest(CARRIER_XML), 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'],
      '{"status":"ok"}',
    );
    const [shed, health] = raw.split(/(?=HTTP\/1\.1 \d{3} )/) as [string, string];
    expect(shed).toMatch(/^HTTP\/1\.1 503 /);
    expect(shed).not.toMatch(/\r\nconnection: close/i);
    expect(health).toMatch(/^HTTP\/1\.1 200 /);
    expect(health).toContain('{"status":"ok"}');
    harness.release();
    expect((await taken).status).toBe(200);
  });

  it('closes the connection of a shed chunked callback: its length is unknown', async () => {
    const harness = await start({ maxInFlight: 1, maxEventLoopDelayMs: 0 });
    const taken = post(harness.port, '/callbacks/CarrierService', CARRIER_XML);
    await harness.delivering(1);
    const shed: Answer = await send(harness.port, '/callbacks/CarrierService', {
      headers: { 'content-type': 'text/xml', 'transfer-encoding': 'chunked' },
      body: CARRIER_XML,
    });
    expect(shed.status).toBe(503);
    expect(shed.headers.connection).toBe('close');
    harness.release();
    expect((await taken).status).toBe(200);
  });

  it('enabled: false admits every callback', async () => {
    const harness = await start({ enabled: false, maxInFlight: 1 });
    const taken = [1, 2, 3].map(() => post(harness.port, '/callbacks/CarrierService', CARRIER_XML));
    await harness.delivering(3);
    harness.release();
    for (const answer of await Promise.all(taken)) expect(answer.status).toBe(200);
    expect(await shedCount(harness.metrics, 'in-flight')).toBe(0);
  });
});

describe('admission control: event-loop delay', () => {
  const block = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };
  const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('sheds after the loop was late past maxEventLoopDelayMs, and admits again once it is not', async () => {
    const harness = await start({ maxInFlight: 100, maxEventLoopDelayMs: 200 });
    block(600);
    await tick(20); // the admission timer runs, sees the stall
    expect((await post(harness.port, '/callbacks/CarrierService', CARRIER_XML)).status).toBe(503);
    expect(await shedCount(harness.metrics, 'event-loop')).toBe(1);
    // Windows go by without a stall: admitted again, and the end of the episode is logged with its count.
    for (let i = 0; i < 50 && !harness.logs.some((l) => l.includes('no longer shedding')); i++)
      await tick(50);
    expect(harness.logs.find((l) => l.includes('no longer shedding'))).toContain('"shed":1');
    const next = post(harness.port, '/callbacks/CarrierService', CARRIER_XML);
    await harness.delivering(1);
    harness.release();
    expect((await next).status).toBe(200);
  });

  it('maxEventLoopDelayMs: 0 leaves only the in-flight bound', async () => {
    const harness = await start({ maxInFlight: 100, maxEventLoopDelayMs: 0 });
    block(300);
    await tick(20);
    const next = post(harness.port, '/callbacks/CarrierService', CARRIER_XML);
    await harness.delivering(1);
    harness.release();
    expect((await next).status).toBe(200);
  });
});

describe('http.admission, http.listenBacklog and http.healthPort in the config', () => {
  it('have defaults, enabled', () => {
    const { http } = parseConfig(minimal(), {}).config;
    expect(http.admission).toEqual({
      enabled: true,
      maxInFlight: 256,
      maxEventLoopDelayMs: 0,
      retryAfterSeconds: 1,
      shedDelayMs: 500,
    });
    expect(http.listenBacklog).toBe(4096);
  });

  it('refuses values out of range and unknown keys', () => {
    expect(
      problems({
        ...minimal(),
        http: {
          listenBacklog: 0,
          admission: {
            maxInFlight: 0,
            maxEventLoopDelayMs: -1,
            retryAfterSeconds: 0,
            enabled: 'yes',
            queue: 1,
          },
        },
      }),
    ).toEqual([
      expect.stringMatching(/^http\.listenBacklog: /),
      expect.stringMatching(/^http\.admission\.enabled: /),
      expect.stringMatching(/^http\.admission\.maxInFlight: /),
      expect.stringMatching(/^http\.admission\.maxEventLoopDelayMs: /),
      expect.stringMatching(/^http\.admission\.retryAfterSeconds: /),
      'http.admission.queue: unknown key',
    ]);
  });

  it('wants the health port apart from every other listener', () => {
    expect(problems({ ...minimal(), http: { port: 9000, healthPort: 9000 } })).toEqual([
      expect.stringMatching(/^http\.healthPort: /),
    ]);
  });
});
