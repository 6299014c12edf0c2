import { Counter, Registry } from 'prom-client';
import { openMetricsPort, type MetricsPort, type Probes } from '../../../src/http/metrics-port';

describe('openMetricsPort', () => {
  const registry = new Registry();
  new Counter({ name: 'test_things_total', help: 'Things.', registers: [registry] }).inc(3);
  let port: MetricsPort | undefined;
  afterEach(async () => {
    await port?.close();
    port = undefined;
  });

  const open = async (probes?: Probes) => {
    const beforeScrape = jest.fn();
    port = await openMetricsPort({ host: '127.0.0.1', port: 0, metrics: { registry }, beforeScrape, probes });
    const get = (path: string, method = 'GET') => fetch(`http://127.0.0.1:${port!.port}${path}`, { method });
    return { get, beforeScrape };
  };

  it('serves /metrics, sampling before the scrape', async () => {
    const { get, beforeScrape } = await open();
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('test_things_total 3');
    expect(beforeScrape).toHaveBeenCalledTimes(1);
  });

  it('answers 404 to the probes when it has none, and to other paths and methods', async () => {
    const { get } = await open();
    expect((await get('/readyz')).status).toBe(404);
    expect((await get('/healthz')).status).toBe(404);
    expect((await get('/metrics', 'POST')).status).toBe(404);
  });

  it('with probes: /healthz 200, /readyz 503 naming why and its details, then 200', async () => {
    let notReady: string | undefined = 'restoring';
    const { get } = await open({
      readiness: () => notReady,
      readinessDetails: () => ({ restoring: notReady ? ['in:0'] : [] }),
    });
    const health = await get('/healthz');
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const waiting = await get('/readyz');
    expect(waiting.headers.get('content-type')).toMatch(/^application\/json/);
    expect([waiting.status, await waiting.json()]).toEqual([
      503,
      { status: 'not-ready', reason: 'restoring', restoring: ['in:0'] },
    ]);
    notReady = undefined;
    const ready = await get('/readyz?verbose');
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready', restoring: [] }]);
    expect((await get('/readyz', 'DELETE')).status).toBe(404);
  });
});
