/**
 * The health port (src/http/health-port.ts): /healthz and /readyz from a worker thread, which answers while the
 * main event loop is blocked, and says so once the main loop has been stuck for `stallMs`. The blocked-loop probe
 * runs in a child process started synchronously, so the main loop cannot beat meanwhile: no timing races.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Readiness } from '../../../src/http/app';
import { openHealthPort, type HealthPort } from '../../../src/http/health-port';
import { send } from '../../support/http';

const opened: HealthPort[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((health) => health.close()));
});

async function open(readiness: Readiness, stallMs?: number): Promise<HealthPort> {
  const health = await openHealthPort({
    host: '127.0.0.1',
    port: 0,
    readiness,
    ...(stallMs ? { stallMs } : {}),
  });
  opened.push(health);
  return health;
}

const get = (port: number, path: string) => send(port, path, { method: 'GET' });

/** Waits, a beat at a time, until `path` answers `status`. */
async function until(port: number, path: string, status: number): Promise<void> {
  for (let i = 0; i < 100 && (await get(port, path)).status !== status; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the health port', () => {
  it('answers /healthz, and /readyz as the main thread says, from a worker thread', async () => {
    let reason: ReturnType<Readiness> = 'starting';
    const health = await open(() => reason);
    const healthz = await get(health.port, '/healthz');
    expect([healthz.status, JSON.parse(healthz.body)]).toEqual([200, { status: 'ok' }]);
    const starting = await get(health.port, '/readyz');
    expect([starting.status, JSON.parse(starting.body)]).toEqual([
      503,
      { status: 'not-ready', reason: 'starting' },
    ]);
    reason = undefined;
    await until(health.port, '/readyz', 200);
    expect(JSON.parse((await get(health.port, '/readyz')).body)).toEqual({ status: 'ready' });
    expect((await get(health.port, '/healthz?from=kubelet')).status).toBe(200);
    expect((await get(health.port, '/metrics')).status).toBe(404);
    expect((await send(health.port, '/healthz', { method: 'POST' })).status).toBe(405);
  });

  it('answers while the main loop is blocked, 503 once it has been stuck for stallMs, 200 when it runs again', async () => {
    const health = await open(() => undefined, 300);
    const probe = () =>
      execFileSync(
        process.execPath,
        [
          '-e',
          `fetch('http://127.0.0.1:${health.port}/healthz').then(async (r) => console.log(r.status, await r.text()))`,
        ],
        { encoding: 'utf8' },
      ).trim();
    expect((await get(health.port, '/healthz')).status).toBe(200);
    const blockedUntil = performance.now() + 800;
    while (performance.now() < blockedUntil); // the main loop stuck: no beat
    // Answered by the worker while this thread is still blocked (in execFileSync).
    expect(probe()).toMatch(/^503 \{"status":"stalled","stalledMs":\d+\}$/);
    await until(health.port, '/healthz', 200);
    expect((await get(health.port, '/healthz')).status).toBe(200);
  });

  it('refuses to open on a port that is taken, and closes', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    await expect(openHealthPort({ host: '127.0.0.1', port, readiness: () => undefined })).rejects.toThrow(
      /^health port: .*EADDRINUSE/,
    );
    taken.close();
    const health = await openHealthPort({ host: '127.0.0.1', port: 0, readiness: () => undefined });
    await health.close();
    await expect(get(health.port, '/healthz')).rejects.toThrow(/ECONNREFUSED/);
  });
});
