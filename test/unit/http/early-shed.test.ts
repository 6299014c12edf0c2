/**
 * The shed before Koa (src/http/early-shed.ts), on a bare node:http server whose "app" answers 200 `app`: while
 * admission control sheds, a callback of a known service gets the app's own shed answer (503 OVERLOADED,
 * Retry-After, the caller's format, counted) without reaching the app; everything else, and everything while
 * callbacks are admitted, goes to the app.
 */
import { EventEmitter } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { parseConfig } from '../../../src/config';
import { Admission } from '../../../src/http/admission';
import { ANSWERS } from '../../../src/http/app';
import { createEarlyShed } from '../../../src/http/early-shed';
import { createLogger, createMetrics } from '../../../src/observability';
import { send } from '../../support/http';
import { minimal } from '../config/helpers';

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

async function start(shedDelayMs = 0) {
  const { http } = parseConfig(
    { ...minimal(), http: { admission: { maxInFlight: 1, retryAfterSeconds: 7, shedDelayMs } } },
    {},
  ).config;
  const metrics = createMetrics();
  const logger = createLogger({ level: 'warn' }, new Writable({ write: (_c, _e, done) => done() }));
  const admission = new Admission(http.admission, metrics, logger);
  const earlyShed = createEarlyShed(admission, metrics);
  const server = createServer((req, res) => {
    if (!earlyShed(req, res)) res.end('app');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // One callback in flight fills the node (maxInFlight 1) until it "closes".
  const inFlight = new EventEmitter();
  const fill = () => admission.admit(inFlight as unknown as ServerResponse);
  return {
    port: (server.address() as AddressInfo).port,
    metrics,
    admission,
    fill,
    done: () => inFlight.emit('close'),
  };
}

const xml = { headers: { 'content-type': 'text/xml' }, body: '<x/>' };
const json = { headers: { 'content-type': 'application/json' }, body: '{}' };

describe('the shed before Koa', () => {
  it('answers a callback with the app shed answer while admission sheds, in the caller format, counted', async () => {
    const node = await start();
    expect(node.fill()).toBeUndefined();
    const soap = await send(node.port, '/callbacks/carrierservice?x=1', xml);
    const rest = await send(node.port, '/callbacks/some-token/CarrierService', json);
    const overloaded = node.admission.overloaded;
    for (const [answer, format] of [
      [soap, 'soap'],
      [rest, 'rest'],
    ] as const) {
      expect([
        answer.status,
        answer.headers['retry-after'],
        answer.headers['content-type'],
        answer.body,
      ]).toEqual([
        503,
        '7',
        ANSWERS[format].contentType,
        ANSWERS[format].errorFor(overloaded).body.toString(),
      ]);
    }
    const shed = (await node.metrics.requestsShed.get()).values.find((v) => v.labels.reason === 'in-flight');
    expect(shed?.value).toBe(2);
    const counted = (await node.metrics.requests.get()).values;
    expect(counted).toEqual([
      expect.objectContaining({
        labels: { service: 'CarrierService', outcome: 'failed', status: 503 },
        value: 2,
      }),
    ]);
  });

  it('leaves to the app: health, other methods, unknown services, malformed paths, and all once admitted again', async () => {
    const node = await start();
    node.fill();
    for (const [path, options] of [
      ['/healthz', { method: 'GET' }],
      ['/callbacks/CarrierService', { method: 'GET' }],
      ['/callbacks/NoSuchService', xml],
      ['/callbacks/%E0%A4%A', xml],
      ['/callbacks/a/b/CarrierService', xml],
      ['/', xml],
    ] as const) {
      expect([path, (await send(node.port, path, options)).body]).toEqual([path, 'app']);
    }
    node.done();
    expect((await send(node.port, '/callbacks/CarrierService', xml)).body).toBe('app');
  });

  it('holds the shed answer shedDelayMs', async () => {
    const node = await start(200);
    node.fill();
    const pace = jest.spyOn(node.admission, 'pace');
    expect((await send(node.port, '/callbacks/CarrierService', xml)).status).toBe(503);
    expect(pace).toHaveBeenCalledTimes(1);
  });
});
