/**
 * The bridge's lifecycle where no broker is needed: a listener that cannot open fails start() without leaving
 * the others open (a half-started node would keep its process alive, serving nothing useful). Everything that
 * needs Kafka is in test/integration/ingress.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createBridge } from '../../src/bridge';
import { parseConfig } from '../../src/config';
import { createLogger } from '../../src/observability';
import { send } from '../support/http';

function listenOn(port: number): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function freePort(): Promise<number> {
  const server = await listenOn(0);
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('Bridge.start()', () => {
  it('fails when a per-service listener cannot open, and closes the listeners it had opened', async () => {
    const taken = await listenOn(0);
    try {
      const mainPort = await freePort();
      const { config } = parseConfig(
        {
          http: { host: '127.0.0.1', port: mainPort },
          services: { CarrierService: { port: (taken.address() as AddressInfo).port } },
          accounts: [{ name: 'acme', username: 'acme-user', password: 'pw', services: ['*'] }],
          // Never contacted: start() fails before the Kafka side boots.
          kafka: { brokers: ['127.0.0.1:1'] },
          schemaRegistry: { url: 'http://127.0.0.1:1' },
        },
        {},
      );
      const bridge = createBridge(config, createLogger({ level: 'silent' }));

      await expect(bridge.start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
      await expect(send(mainPort, '/healthz', { method: 'GET' })).rejects.toMatchObject({
        code: 'ECONNREFUSED',
      });
      await expect(bridge.ready()).rejects.toThrow('before start()');
      await expect(bridge.close()).resolves.toBe(true);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('serves /metrics on http.metricsPort only (not ready, its build), /readyz its checks; closes it', async () => {
    const { config } = parseConfig(
      {
        http: { host: '127.0.0.1', port: 0, metricsPort: 0 },
        accounts: [{ name: 'acme', username: 'acme-user', password: 'pw', services: ['*'] }],
        kafka: { brokers: ['127.0.0.1:1'], client: 'kafkajs' },
        schemaRegistry: { url: 'http://127.0.0.1:1' },
      },
      {},
    );
    const bridge = createBridge(config, createLogger({ level: 'silent' }));
    const listening = await bridge.start();
    expect(listening.map((listener) => listener.metrics ?? false)).toEqual([false, true]);
    const [main, scrape] = [listening[0]!.port, listening[1]!.port];
    const metrics = await send(scrape, '/metrics', { method: 'GET' });
    expect([metrics.status, metrics.headers['content-type']]).toEqual([
      200,
      'text/plain; version=0.0.4; charset=utf-8',
    ]);
    expect(metrics.body).toContain('\nthingspace_bridge_ready 0\n');
    const { version } = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    expect(metrics.body).toContain(
      `\nthingspace_bridge_build_info{version="${version}",node="${process.version}",kafka_client="kafkajs"} 1\n`,
    );
    expect((await send(scrape, '/readyz', { method: 'GET' })).status).toBe(404);
    expect((await send(main, '/metrics', { method: 'GET' })).status).toBe(404);
    const readyz = await send(main, '/readyz', { method: 'GET' });
    expect([readyz.status, JSON.parse(readyz.body)]).toEqual([
      503,
      {
        status: 'not-ready',
        reason: 'starting',
        checks: expect.objectContaining({
          registry: { state: 'starting' },
          spool: { state: 'disabled' },
        }) as unknown,
      },
    ]);
    await bridge.close();
    await expect(send(scrape, '/metrics', { method: 'GET' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('opens the health port (http.healthPort) beside the listeners, and closes it with them', async () => {
    const { config } = parseConfig(
      {
        http: { host: '127.0.0.1', port: 0, healthPort: 0 },
        accounts: [{ name: 'acme', username: 'acme-user', password: 'pw', services: ['*'] }],
        // Never reached: the node stays unready, which /readyz on the health port says.
        kafka: { brokers: ['127.0.0.1:1'] },
        schemaRegistry: { url: 'http://127.0.0.1:1' },
      },
      {},
    );
    const bridge = createBridge(config, createLogger({ level: 'silent' }));
    const listening = await bridge.start();
    const health = listening.find((listener) => listener.health)!;
    expect(listening.map((listener) => listener.health ?? false)).toEqual([false, true]);
    expect(health.port).not.toBe(listening[0]!.port);
    expect((await send(health.port, '/healthz', { method: 'GET' })).status).toBe(200);
    const readyz = await send(health.port, '/readyz', { method: 'GET' });
    expect([readyz.status, JSON.parse(readyz.body)]).toEqual([
      503,
      { status: 'not-ready', reason: 'starting' },
    ]);
    await bridge.close();
    await expect(send(health.port, '/healthz', { method: 'GET' })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });
});
