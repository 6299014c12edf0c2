/**
 * /readyz names the check that keeps a node from being ready and its cause in words, with the registry down or
 * at a wrong URL (Kafka down: kafka-unavailable.test.ts); the node becomes ready once the registry answers.
 */
import type { CheckReport } from '../../../src/bridge/status';
import { send } from '../../support/http';
import { IngressHarness, closedPort, forward, hostPort, readyz, until } from './harness';

const harness = new IngressHarness();
afterAll(() => harness.cleanup());

const checksOf = async (port: number) => (await readyz(port)).checks as Record<string, CheckReport>;

it('registry down: the registry check fails with the connection refused and its URL; ready once it answers', async () => {
  const port = await closedPort();
  const real = new URL(harness.servers.registryUrl);
  const running = await harness.startBridge({
    registryUrl: `http://127.0.0.1:${port}${real.pathname.replace(/\/$/, '')}`,
    ready: false,
  });
  await until(
    async () => (await checksOf(running.port)).registry!.state === 'failing',
    'a failed boot',
    60_000,
  );

  const readiness = await send(running.port, '/readyz', { method: 'GET' });
  expect(readiness.status).toBe(503);
  const body = JSON.parse(readiness.body) as { status: string; checks: Record<string, CheckReport> };
  expect(body).toMatchObject({
    status: 'not-ready',
    reason: 'starting',
    checks: {
      kafka: { state: 'ok' },
      topics: { state: 'ok' },
      registry: { state: 'failing' },
      schemas: { state: 'starting' },
      spool: { state: 'disabled' },
    },
  });
  expect(body.checks.registry!.error).toMatch(
    new RegExp(`^(GET|POST) http://127\\.0\\.0\\.1:${port}/\\S+: no answer \\(connection refused\\)$`),
  );
  expect((await send(running.port, '/metrics', { method: 'GET' })).body).toContain(
    '\nthingspace_bridge_ready 0\n',
  );

  // The registry reachable at that address: the next attempt passes every check.
  const stop = await forward(port, hostPort(real.host));
  try {
    await running.bridge.ready();
    expect(await readyz(running.port)).toMatchObject({
      status: 'ready',
      checks: { registry: { state: 'ok' }, schemas: { state: 'ok' } },
    });
    expect((await send(running.port, '/metrics', { method: 'GET' })).body).toContain(
      '\nthingspace_bridge_ready 1\n',
    );
  } finally {
    await running.bridge.close();
    stop();
  }
}, 120_000);

it('a wrong registry URL: the registry check fails with the 404 and the URL asked', async () => {
  const wrong = `${harness.servers.registryUrl.replace(/\/$/, '')}/no-such-path`;
  const running = await harness.startBridge({ registryUrl: wrong, ready: false });
  await until(
    async () => (await checksOf(running.port)).registry!.state === 'failing',
    'a failed boot',
    60_000,
  );
  const { registry } = await checksOf(running.port);
  expect(registry!.error?.startsWith(`GET ${wrong}/config/`)).toBe(true);
  expect(registry!.error).toMatch(/: 404 no such path \(check schemaRegistry\.url\):/);
  expect(registry!.error).not.toContain('[object Object]');
}, 120_000);
