/**
 * The optional metrics port (`http.metricsPort`): GET /metrics alone, on a listener apart from the callbacks, so
 * that a scraper needs no route to the port ThingSpace posts to and the callback port serves callbacks and probes
 * only. Plain node:http: no guards, no body, one path; with `probes`, /healthz and /readyz too (the dedupe
 * node's one port, `dedupe.port`, which takes no callbacks).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsPort {
  port: number;
  close(): Promise<void>;
}

export interface MetricsPortOptions {
  host: string;
  port: number;
  metrics: { registry: Registry };
  /** Called before each scrape, to sample gauges. */
  beforeScrape: () => void;
  probes?: Probes;
}

/** /healthz (the process answers) and /readyz, answered in JSON like the main listener's. */
export interface Probes {
  /** Why the process is not ready; undefined when it is. */
  readiness: () => string | undefined;
  /** More for the /readyz body. */
  readinessDetails?: () => object;
}

export async function openMetricsPort(options: MetricsPortOptions): Promise<MetricsPort> {
  const { registry } = options.metrics;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (read && options.probes && (path === '/healthz' || path === '/readyz')) {
      answerProbe(res, path, options.probes);
      return;
    }
    if (path !== '/metrics' || !read) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    options.beforeScrape();
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function answerProbe(res: ServerResponse, path: '/healthz' | '/readyz', probes: Probes): void {
  let status = 200;
  let body: object = { status: 'ok' };
  if (path === '/readyz') {
    const reason = probes.readiness();
    status = reason === undefined ? 200 : 503;
    body = {
      ...(reason === undefined ? { status: 'ready' } : { status: 'not-ready', reason }),
      ...probes.readinessDetails?.(),
    };
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
