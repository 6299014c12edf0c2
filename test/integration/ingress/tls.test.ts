/**
 * HTTPS in the bridge itself (`http.tls`), as ThingSpace would reach it without a proxy in front: callbacks over
 * TLS 1.2 (the platform's senders) and TLS 1.3 to the main and a per-service listener reach Kafka; TLS 1.1 is
 * refused; a certificate renewed on disk serves new connections without a restart while a kept-alive connection
 * goes on taking callbacks; the health port stays plain HTTP.
 */
import { copyFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { send } from '../../support/http';
import { sendTls, TestPki, type Issued, type TlsRequestOptions } from '../../support/tls';
import { ACCOUNT, carrierCallback, IngressHarness, report, until, type RunningBridge } from './harness';

const harness = new IngressHarness();
let pki: TestPki;
let first: Issued;
let running: RunningBridge;
let live: { certFile: string; keyFile: string };

beforeAll(async () => {
  pki = new TestPki();
  first = pki.issue('localhost');
  // What a renewal rewrites in place.
  live = { certFile: join(pki.dir, 'live.pem'), keyFile: join(pki.dir, 'live.key') };
  install(first);
  running = await harness.startBridge({
    http: { tls: { ...live, watchIntervalMs: 100 }, healthPort: 0 },
    services: { CarrierService: { port: 0 } },
  });
});

afterAll(async () => {
  await harness.cleanup();
  pki.cleanup();
});

function install(issued: Issued): void {
  copyFileSync(issued.certFile, live.certFile);
  copyFileSync(issued.keyFile, live.keyFile);
}

/** Callback `n` (device 555000000n, RequestId ending in n) over HTTPS to `port`. */
function callback(port: number, n: number, options: Partial<TlsRequestOptions> = {}) {
  return sendTls(port, '/callbacks/CarrierService', {
    ca: pki.root.cert,
    headers: { 'content-type': 'text/xml; charset=utf-8' },
    body: carrierCallback(n, n),
    ...options,
  });
}

it('takes callbacks over TLS 1.2 and 1.3 on every callback listener, refuses TLS 1.1, keeps the health port plain', async () => {
  const [main, service, health] = running.listeners;
  expect([main?.tls, service?.service, service?.tls, health?.health, health?.tls]).toEqual([
    true,
    'CarrierService',
    true,
    true,
    undefined,
  ]);

  const tls12 = await callback(main!.port, 1, { maxVersion: 'TLSv1.2' });
  expect([tls12.status, tls12.protocol, tls12.fingerprint256]).toEqual([
    200,
    'TLSv1.2',
    first.fingerprint256,
  ]);
  const tls13 = await callback(service!.port, 2, { minVersion: 'TLSv1.3' });
  expect([tls13.status, tls13.protocol]).toEqual([200, 'TLSv1.3']);
  // SECLEVEL=0 lets the client offer TLS 1.1 at all; the alert is the bridge's refusal.
  const tls11 = callback(main!.port, 3, {
    minVersion: 'TLSv1.1',
    maxVersion: 'TLSv1.1',
    ciphers: 'DEFAULT@SECLEVEL=0',
  });
  await expect(tls11).rejects.toThrow(/alert protocol version/);
  expect((await send(health!.port, '/healthz', { method: 'GET' })).status).toBe(200);

  const records = await harness.readAll([running.topics['async-response']]);
  const events = await Promise.all(
    records.map(
      async ({ value }) => (await harness.servers.registry.decode(value!)) as Record<string, unknown>,
    ),
  );
  expect(
    events.map(({ requestId, accountName }) => [String(requestId).slice(-1), accountName]).sort(),
  ).toEqual([
    ['1', ACCOUNT],
    ['2', ACCOUNT],
  ]);
  report('tls versions', {
    tls12: tls12.status,
    tls13: tls13.status,
    tls11: 'refused',
    records: records.length,
  });
});

it('serves a certificate renewed on disk to new connections, without a restart or dropping a kept-alive one', async () => {
  const port = running.port;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const before = await callback(port, 4, { agent, maxVersion: 'TLSv1.2' });
    expect([before.status, before.fingerprint256]).toEqual([200, first.fingerprint256]);

    const renewed = pki.issue('localhost');
    install(renewed);
    await until(
      async () => (await callback(port, 5)).fingerprint256 === renewed.fingerprint256,
      'the renewed certificate on a new connection',
      10_000,
    );
    const kept = await callback(port, 6, { agent, maxVersion: 'TLSv1.2' });
    expect([kept.status, kept.reusedSocket, kept.fingerprint256]).toEqual([200, true, first.fingerprint256]);
    expect(running.logs.some((line) => line.includes('http.tls: certificate reloaded'))).toBe(true);

    const records = await harness.readAll([running.topics['async-response']]);
    const requestIds = await Promise.all(
      records.map(async ({ value }) =>
        String(((await harness.servers.registry.decode(value!)) as { requestId: string }).requestId),
      ),
    );
    expect(requestIds.some((id) => id.endsWith('0004'))).toBe(true);
    expect(requestIds.some((id) => id.endsWith('0006'))).toBe(true);
    report('tls renewal', {
      before: before.status,
      kept: kept.status,
      reused: kept.reusedSocket,
      records: records.length,
    });
  } finally {
    agent.destroy();
  }
});
