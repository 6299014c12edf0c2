/**
 * The Koa app of an ingress listener. Koa at the edge only: the guards that decide before the body is read,
 * the one error exit that turns every failure into a SOAP Fault, health and metrics. The callback itself goes
 * through the pipeline in src/ingress/handle-callback.ts.
 *
 *   POST /callbacks/:service   guards -> pipeline -> 200 SOAP ack | SOAP Fault (status table in the README)
 *   GET  /healthz              the process answers
 *   GET  /readyz               Kafka reachable, schema ids resolved, not draining
 *   GET  /metrics              Prometheus
 *
 * A per-service listener (config `services.<name>.port`) serves one service: `POST /` and
 * `POST /callbacks/<that service>`.
 */
import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import type { HttpConfig } from '../config';
import { BridgeError, faultSpec } from '../errors';
import type { CallbackHandler, HandledCallback } from '../ingress/handle-callback';
import { requestLogger, type Logger, type Metrics } from '../observability';
import { SOAP_CONTENT_TYPE } from '../soap/envelope';
import { ParseError } from '../soap/errors';
import { findService, type ServiceName } from '../thingspace/catalogue';
import { UnknownServiceError } from '../thingspace/errors';
import { requestBody } from './body';
import {
  MethodNotAllowedError,
  NotFoundError,
  NotReadyError,
  ServiceDisabledError,
  SourceNotAllowedError,
  UnsupportedMediaTypeError,
} from './errors';
import { ACK_BODY, INTERNAL_FAULT, faultFor } from './soap-responses';
import { createSourceGuard } from './source-guard';

/** Why the node is not ready, or undefined when it is. */
export type Readiness = () => 'starting' | 'draining' | 'kafka-unavailable' | 'spool-full' | undefined;

export interface AppDeps {
  http: Pick<HttpConfig, 'maxBodyBytes' | 'bodyTimeoutMs' | 'allowedSources' | 'trustProxy'>;
  /** Whether the bridge takes this (canonical) service: config `services.<name>.enabled`. */
  serviceEnabled: (service: ServiceName) => boolean;
  handle: CallbackHandler;
  readiness: Readiness;
  metrics: Metrics;
  logger: Logger;
  /** More for the /readyz body (the spool's mode and depth). */
  readinessDetails?: () => Record<string, unknown>;
  /** Called before each /metrics scrape, to sample gauges. */
  beforeScrape?: () => void;
}

/** XML by any of its media types; a missing Content-Type is let through to the parser, which judges the bytes. */
const XML_TYPES = new Set(['text/xml', 'application/soap+xml', 'application/xml']);
const CALLBACKS = '/callbacks/';
/** Retry-After for 503s that carry no better estimate. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

type Outcome = HandledCallback['outcome'] | 'rejected' | 'failed';

interface CallbackState {
  service: ServiceName | 'unknown';
  outcome?: Outcome;
}

export function createApp(deps: AppDeps, onlyService?: ServiceName): Koa {
  const { metrics, logger } = deps;
  const guards = { ...deps, onlyService, guardSource: createSourceGuard(deps.http) };
  const app = new Koa();
  // Every error is answered by the error exit below; Koa's own handler would print to stderr.
  app.silent = true;

  app.use(async (ctx, next) => {
    const started = performance.now();
    const reqId = validRequestId(ctx.get('x-request-id')) ?? randomUUID();
    ctx.set('X-Request-Id', reqId);
    const state: CallbackState = { service: 'unknown' };
    ctx.state.callback = state;
    try {
      await next();
    } catch (err) {
      state.outcome = answerError(ctx, err, requestLogger(logger, reqId));
    }
    if (state.outcome !== undefined) {
      metrics.requests.inc({ service: state.service, outcome: state.outcome, status: ctx.status });
      metrics.requestDuration.observe(
        { service: state.service, outcome: state.outcome },
        (performance.now() - started) / 1000,
      );
    }
  });

  app.use(async (ctx) => {
    const { path } = ctx;
    if (path.startsWith(CALLBACKS) || (onlyService !== undefined && path === '/')) {
      const state = ctx.state.callback as CallbackState;
      state.outcome = 'rejected';
      const service = guardCallback(ctx, guards, path === '/' ? onlyService! : serviceInPath(path));
      const handled = await deps.handle({
        service,
        body: requestBody(ctx.req, deps.http.bodyTimeoutMs),
        receivedAt: new Date(),
      });
      state.outcome = handled.outcome;
      ctx.status = 200;
      ctx.type = SOAP_CONTENT_TYPE;
      ctx.body = ACK_BODY;
      return;
    }
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') throw new NotFoundError();
    await answerStatus(ctx, deps);
  });

  return app;
}

interface Guards extends AppDeps {
  onlyService: ServiceName | undefined;
  guardSource: ReturnType<typeof createSourceGuard>;
}

/**
 * The guards of a callback, in order, none of which reads the body; returns the canonical service, also set on
 * the request's state as soon as it is known, so a refusal after that is counted under it.
 */
function guardCallback(ctx: Koa.Context, guards: Guards, name: string): ServiceName {
  const { http, onlyService } = guards;
  const { allowed, clientIp } = guards.guardSource(
    ctx.req.socket.remoteAddress,
    ctx.get('x-forwarded-for') || undefined,
  );
  if (!allowed) {
    guards.logger.warn({ clientIp }, 'callback from a source not allowed');
    throw new SourceNotAllowedError();
  }
  if (ctx.method !== 'POST') throw new MethodNotAllowedError('POST');
  const entry = findService(name);
  if (entry === undefined || (onlyService !== undefined && entry.name !== onlyService)) {
    throw new UnknownServiceError(name);
  }
  (ctx.state.callback as CallbackState).service = entry.name;
  if (!guards.serviceEnabled(entry.name)) throw new ServiceDisabledError(entry.name);
  const type = ctx.get('content-type');
  if (type !== '' && !XML_TYPES.has(mediaType(type))) throw new UnsupportedMediaTypeError();
  if (ctx.request.length > http.maxBodyBytes) {
    throw new ParseError('BODY_TOO_LARGE', `the body is longer than ${http.maxBodyBytes} bytes`);
  }
  const notReady = guards.readiness();
  if (notReady === 'starting' || notReady === 'draining') throw new NotReadyError(notReady);
  return entry.name;
}

/** GET /healthz, /readyz and /metrics. */
async function answerStatus(ctx: Koa.Context, deps: AppDeps): Promise<void> {
  switch (ctx.path) {
    case '/healthz':
      ctx.body = { status: 'ok' };
      return;
    case '/readyz': {
      const reason = deps.readiness();
      ctx.status = reason === undefined ? 200 : 503;
      ctx.body = {
        ...(reason === undefined ? { status: 'ready' } : { status: 'not-ready', reason }),
        ...deps.readinessDetails?.(),
      };
      return;
    }
    case '/metrics':
      deps.beforeScrape?.();
      ctx.type = deps.metrics.registry.contentType;
      ctx.body = await deps.metrics.registry.metrics();
      return;
    default:
      throw new NotFoundError();
  }
}

/** The one error exit: a SOAP Fault for every failure. Returns the outcome for metrics. */
function answerError(ctx: Koa.Context, err: unknown, log: Logger): Outcome {
  const known = err instanceof BridgeError;
  const fault = known ? faultFor(err) : INTERNAL_FAULT;
  ctx.status = fault.status;
  ctx.type = SOAP_CONTENT_TYPE;
  ctx.body = fault.body;
  // The headers its catalogue row names, valued from the error.
  if (known) {
    for (const header of faultSpec(err.code).headers) {
      ctx.set(header, header === 'Allow' ? allowOf(err) : retryAfterOf(err));
    }
  }
  // Part of the body may still be unread: this connection cannot carry another request.
  if (!ctx.req.complete) ctx.set('Connection', 'close');
  if (!known) log.error({ err }, 'unexpected error answering a callback');
  else if (fault.status >= 500) log.warn({ code: err.code, err: err.message }, 'callback not taken');
  else log.info({ code: err.code, status: fault.status }, 'callback refused');
  return fault.status >= 500 ? 'failed' : 'rejected';
}

function serviceInPath(path: string): string {
  try {
    return decodeURIComponent(path.slice(CALLBACKS.length));
  } catch {
    throw new NotFoundError(); // a malformed %-escape names nothing
  }
}

/** Retry-After: the error's own estimate (QueueFullError, SpoolFullError) or the default. */
function retryAfterOf(err: BridgeError): string {
  const hint = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  return String(typeof hint === 'number' ? hint : DEFAULT_RETRY_AFTER_SECONDS);
}

/** Allow: the methods the error names (MethodNotAllowedError), or the one a callback path takes. */
function allowOf(err: BridgeError): string {
  return err instanceof MethodNotAllowedError ? err.allow : 'POST';
}

function mediaType(contentType: string): string {
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/** A caller's request id is echoed and logged only when it is short and plain. */
function validRequestId(id: string): string | undefined {
  return id !== '' && id.length <= 128 && /^[\w.:-]+$/.test(id) ? id : undefined;
}
