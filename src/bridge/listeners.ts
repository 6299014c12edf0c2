/**
 * The node's HTTP listeners and the requests they are answering, so that a drain can let every request taken
 * finish and close each connection with its answer, instead of cutting it. With `http.tls` they speak HTTPS,
 * with the certificate that tls.ts keeps current.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import type { HttpConfig } from '../config';
import type { EarlyShed } from '../http/early-shed';
import type { Logger } from '../observability';
import type { ServiceName } from '../thingspace/catalogue';
import { ListenerCredentials } from './tls';

export interface Listener {
  /** The service a per-service listener serves; undefined for the main listener. */
  service?: ServiceName;
  /** The health port (`http.healthPort`, src/http/health-port.ts). */
  health?: true;
  /** The metrics port (`http.metricsPort`, src/http/metrics-port.ts). */
  metrics?: true;
  /** HTTPS (`http.tls`). */
  tls?: true;
  port: number;
}

export class Listeners {
  private readonly servers: Server[] = [];
  /** Requests not yet answered: a drain waits for those that came before it. */
  private readonly answering = new Set<ServerResponse>();
  private draining = false;
  /** Loaded by the first open() with `http.tls`; watched until close() or destroy(). */
  private credentials: Promise<ListenerCredentials> | undefined;

  /** @param earlyShed answers callbacks shed while admission control sheds, before the app sees them */
  constructor(
    private readonly http: HttpConfig,
    private readonly logger: Logger,
    private readonly earlyShed?: EarlyShed,
  ) {}

  async open(app: Koa, service: ServiceName | undefined, port: number): Promise<Listener> {
    const callback = app.callback();
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      // Draining: each connection goes once its answer (a 503) is out, so none is left for the listener's close
      // to cut while a request travels on it.
      if (this.draining) res.setHeader('Connection', 'close');
      this.answering.add(res);
      res.once('close', () => this.answering.delete(res));
      if (!this.draining && this.earlyShed?.(req, res)) return;
      void callback(req, res);
    };
    const credentials = await this.loadCredentials();
    let server: Server;
    if (credentials) {
      const https = createHttpsServer(
        // A client stalled in its handshake is a slow client too: bound it like the headers below.
        {
          ...credentials.options,
          handshakeTimeout: Math.min(this.http.bodyTimeoutMs, this.http.requestTimeoutMs),
        },
        handler,
      );
      credentials.serve(https);
      server = https;
    } else {
      server = createServer(handler);
    }
    server.requestTimeout = this.http.requestTimeoutMs;
    server.keepAliveTimeout = this.http.keepAliveTimeoutMs;
    // Headers come before the body timeout starts: bound them by it too.
    server.headersTimeout = Math.min(this.http.bodyTimeoutMs, this.http.requestTimeoutMs);
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: this.http.host, backlog: this.http.listenBacklog }, () => {
        server.off('error', reject);
        const { port: bound } = server.address() as AddressInfo;
        resolve({ ...(service ? { service } : {}), ...(credentials ? { tls: true } : {}), port: bound });
      });
    });
  }

  /**
   * From now on every connection closes with its answer; resolves once the requests already taken are answered.
   * Every request the guard let through came before this call (the guard runs in the request's own tick).
   */
  drain(): Promise<void> {
    this.draining = true;
    const taken = [...this.answering].map((res) => {
      // Their connections go with their answers too: a client would send its next request on them just as the
      // listener closes and cuts idle connections.
      if (!res.headersSent) res.setHeader('Connection', 'close');
      return new Promise((resolve) => res.once('close', resolve));
    });
    return Promise.all(taken).then(() => undefined);
  }

  /** Stops accepting; resolves once every connection has ended (idle ones are closed at once). */
  async close(): Promise<void> {
    // One whole turn of the event loop (a poll phase between two check phases): requests that have already
    // arrived on kept-alive connections are read, and answered 503, instead of being cut with the connections
    // that the listener's close finds idle.
    await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
    await Promise.all(this.servers.map(closeServer));
    await this.stopWatching();
  }

  /** Closes every listener and connection now: a failed start, or the end of the grace period. */
  destroy(): void {
    for (const server of this.servers) {
      if (server.listening) server.close();
      server.closeAllConnections();
    }
    void this.stopWatching();
  }

  private loadCredentials(): Promise<ListenerCredentials | undefined> {
    const { tls } = this.http;
    if (tls === undefined) return Promise.resolve(undefined);
    this.credentials ??= ListenerCredentials.open(tls, this.logger);
    return this.credentials;
  }

  private async stopWatching(): Promise<void> {
    (await this.credentials?.catch(() => undefined))?.stop();
  }

  get unanswered(): number {
    return this.answering.size;
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
