/**
 * The optional metrics port (`http.metricsPort`): GET /metrics alone, on a listener apart from the callbacks, so
 * that a scraper needs no route to the port ThingSpace posts to and the callback port serves callbacks and probes
 * only. Plain node:http: no guards, no body, one path.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from '../observability';

export interface MetricsPort {
  port: number;
  close(): Promise<void>;
}

export interface MetricsPortOptions {
  host: string;
  port: number;
  metrics: Metrics;
  /** Called before each scrape, to sample gauges. */
  beforeScrape: () => void;
}

export async function openMetricsPort(options: MetricsPortOptions): Promise<MetricsPort> {
  const { registry } = options.metrics;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
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
