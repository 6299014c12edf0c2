/**
 * The Koa app of an ingress listener. Koa at the edge only: the guards that decide before the body is read, the
 * wire format (wire-format.ts), the one error exit that answers every failure in the caller's format, health and
 * metrics. The callback itself goes through the pipeline in src/ingress/handle-callback.ts.
 *
 *   POST /callbacks/:service          guards -> format -> pipeline -> 200 ack + receipt | error (README table)
 *   POST /callbacks/:token/:service   the same, for the account whose path token this is
 *   GET  /healthz                     the process answers
 *   GET  /readyz                      takes callbacks (Kafka booted, or the spool); says why not
 *   GET  /metrics                     Prometheus (unless on http.metricsPort)
 *
 * Callbacks pass admission control (admission.ts) last among the guards: past the node's capacity they are shed
 * with 503 OVERLOADED before their bodies are read. The status paths never are.
 *
 * Answers come in the format the request was read in: a SOAP envelope or Fault (soap-responses.ts), or JSON
 * (json-responses.ts). Refusals before that is known (403, 404, 405, 415) are JSON when the Content-Type names
 * JSON, else SOAP.
 *
 * A per-service listener (config `services.<name>.port`) serves one service: `POST /` and the two callback paths
 * naming that service. Not `/<token>`: registrations use the callback paths on every port (src/registration),
 * and one path shape lets everything that prints a URL find the token to mask.
 *
 * A path token is a secret: it is compared by its digest (src/auth), never logged, never echoed (an unknown one
 * is `NOT_FOUND`, as any other path the bridge does not serve, so nothing tells that tokens exist), and never a
 * metric label (those carry the canonical service) nor a span attribute.
 *
 * With tracing (config `tracing`), each callback request is a server span, continuing the caller's W3C
 * traceparent; without it, the app has no tracing middleware at all.
 */
import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import type { PathAccount } from '../auth';
import type { HttpConfig } from '../config';
import { BridgeError, faultSpec } from '../errors';
import type { CallbackHandler, HandledCallback } from '../ingress/handle-callback';
import { ParseError } from '../message/errors';
import type { WireFormat } from '../message/types';
import { requestLogger, type Logger, type Metrics, type Tracing } from '../observability';
import { findService, type ServiceName } from '../thingspace/catalogue';
import { UnknownServiceError } from '../thingspace/errors';
import type { Admission } from './admission';
import { readRequestBody, WHOLE_BODY_MAX_BYTES } from './body';
import { EVENT_ID_HEADER, RECEIPT_HEADER, receiptHeader } from './receipts';
import {
  MethodNotAllowedError,
  NotFoundError,
  NotReadyError,
  OverloadedError,
  ServiceDisabledError,
  SourceNotAllowedError,
  UnsupportedMediaTypeError,
} from './errors';
import type { Answers } from './answers';
import { JSON_ANSWERS } from './json-responses';
import { SOAP_ANSWERS } from './soap-responses';
import { createSourceGuard } from './source-guard';
import { answerFormatOf, formatOfContentType, sniffFormat } from './wire-format';

/** Why the node is not ready, or undefined when it is. */
export type Readiness = () => 'starting' | 'draining' | 'kafka-unavailable' | 'spool-full' | undefined;

export interface AppDeps {
  http: Pick<HttpConfig, 'maxBodyBytes' | 'bodyTimeoutMs' | 'allowedSources' | 'trustProxy'>;
  /** Whether the bridge takes this (canonical) service: config `services.<name>.enabled`. */
  serviceEnabled: (service: ServiceName) => boolean;
  /** The account of a path token, or undefined (src/auth: Authenticator.pathAccount). */
  pathAccount: (token: string) => PathAccount | undefined;
  handle: CallbackHandler;
  readiness: Readiness;
  /** The node's admission control; absent, every callback is admitted. */
  admission?: Admission;
  metrics: Metrics;
  logger: Logger;
  /** More for the /readyz body: each check and why it fails, the delivery mode. */
  readinessDetails?: () => Record<string, unknown>;
  /** Called before each /metrics scrape, to sample gauges. */
  beforeScrape?: () => void;
  /** /metrics is served on a port of its own (`http.metricsPort`, metrics-port.ts): here it is 404. */
  metricsElsewhere?: boolean;
  /** A callback of a known service answered with a 5xx (the recovery loop's evidence); must not throw. */
  onServerError?: (service: ServiceName, reason: unknown) => void;
  /** With `tracing.enabled`: a server span per callback request. */
  tracing?: Tracing;
}

export const CALLBACKS = '/callbacks/';

/** Every answer in the format of the request. */
export const ANSWERS: Readonly<Record<WireFormat, Answers>> = { soap: SOAP_ANSWERS, rest: JSON_ANSWERS };

/** Retry-After for 503s that carry no better estimate. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

type Outcome = HandledCallback['outcome'] | 'rejected' | 'failed';

interface CallbackState {
  service: ServiceName | 'unknown';
  /** The format answers take: the Content-Type's guess until the body's format is known. */
  answer: WireFormat;
  outcome?: Outcome;
  /** Known once the pipeline handled the callback: for the access log line and the callback's span. */
  account?: string;
  eventId?: string;
  receipt?: string;
}

export function createApp(deps: AppDeps, onlyService?: ServiceName): Koa {
  const { metrics, logger } = deps;
  const guards = { ...deps, onlyService, guardSource: createSourceGuard(deps.http) };
  const app = new Koa();
  // Every error is answered by the error exit below; Koa's own handler would print to stderr.
  app.silent = true;

  if (deps.tracing !== undefined) app.use(traceCallbacks(deps.tracing, onlyService));

  app.use(async (ctx, next) => {
    const started = performance.now();
    const reqId = validRequestId(ctx.get('x-request-id')) ?? randomUUID();
    ctx.set('X-Request-Id', reqId);
    const state: CallbackState = { service: 'unknown', answer: answerFormatOf(ctx.get('content-type')) };
    ctx.state.callback = state;
    try {
      await next();
    } catch (err) {
      const { admission } = deps;
      if (admission !== undefined && err === admission.overloaded) await admission.pace();
      state.outcome = answerError(ctx, err, ANSWERS[state.answer], () => requestLogger(logger, reqId));
      if (ctx.status >= 500 && state.service !== 'unknown') deps.onServerError?.(state.service, err);
    }
    if (state.outcome !== undefined) {
      const { service, outcome } = state;
      const seconds = (performance.now() - started) / 1000;
      metrics.requests.inc({ service, outcome, status: ctx.status });
      metrics.requestDuration.observe({ service, outcome }, seconds);
      // The access log: what was answered, never the path (it may hold a token) nor a header.
      if (logger.isLevelEnabled('debug')) {
        const { account, eventId, receipt } = state;
        const durationMs = Math.round(seconds * 1e4) / 10;
        requestLogger(logger, reqId).debug(
          { status: ctx.status, service, account, eventId, receipt, durationMs, outcome },
          `callback ${outcome}`,
        );
      }
    }
  });

  app.use(async (ctx) => {
    const { path } = ctx;
    if (isCallbackPath(path, onlyService)) {
      const state = ctx.state.callback as CallbackState;
      state.outcome = 'rejected';
      const route = guardCallback(ctx, guards, path);
      const receivedAt = new Date();
      const { bodyTimeoutMs, maxBodyBytes } = deps.http;
      // A body over maxBodyBytes streams, so that the parser refuses it as it arrives, not once it is all here.
      let body = await readRequestBody(ctx.req, bodyTimeoutMs, Math.min(WHOLE_BODY_MAX_BYTES, maxBodyBytes));
      let format = route.format;
      if (format === 'sniff') ({ format, body } = await sniffFormat(body, maxBodyBytes));
      state.answer = format;
      const handled = await deps.handle({
        service: route.service,
        format,
        body,
        receivedAt,
        pathAccount: route.pathAccount,
      });
      state.outcome = handled.outcome;
      state.account = handled.accountName;
      state.eventId = handled.eventId;
      state.receipt = receiptHeader(handled.receipt);
      ctx.set(EVENT_ID_HEADER, handled.eventId);
      ctx.set(RECEIPT_HEADER, state.receipt);
      const answers = ANSWERS[format];
      ctx.status = 200;
      ctx.type = answers.contentType;
      ctx.body = answers.ack;
      return;
    }
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') throw new NotFoundError();
    await answerStatus(ctx, deps);
  });

  return app;
}

function isCallbackPath(path: string, onlyService: ServiceName | undefined): boolean {
  return path.startsWith(CALLBACKS) || (onlyService !== undefined && path === '/');
}

/** A server span around each callback request, its outcome read from the request's state once answered. */
function traceCallbacks(tracing: Tracing, onlyService: ServiceName | undefined): Koa.Middleware {
  return (ctx, next) => {
    if (!isCallbackPath(ctx.path, onlyService)) return next();
    const carrier = { traceparent: ctx.get('traceparent'), tracestate: ctx.get('tracestate') };
    return tracing.callback(carrier, async () => {
      await next();
      const { service, outcome, account, eventId } = ctx.state.callback as CallbackState;
      return { service, outcome, account, eventId, status: ctx.status };
    });
  };
}

interface Guards extends AppDeps {
  onlyService: ServiceName | undefined;
  guardSource: ReturnType<typeof createSourceGuard>;
}

/** What the guards let through: the service, the account its path token names (if any), the body's format. */
interface CallbackRoute {
  service: ServiceName;
  pathAccount?: PathAccount;
  format: WireFormat | 'sniff';
}

/**
 * The guards of a callback, in order, none of which reads the body; the canonical service is set on the
 * request's state as soon as it is known, so a refusal after that is counted under it.
 */
function guardCallback(ctx: Koa.Context, guards: Guards, path: string): CallbackRoute {
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
  const named = path === '/' ? { service: onlyService! } : callbackPath(path);
  const pathAccount = named.token === undefined ? undefined : guards.pathAccount(named.token);
  // Said like any path the bridge does not serve, and without the path: the token is the caller's secret.
  if (named.token !== undefined && pathAccount === undefined) throw new NotFoundError();
  const entry = findService(named.service);
  if (entry === undefined || (onlyService !== undefined && entry.name !== onlyService)) {
    // A token sent without its service must not come back as the name of an unknown one.
    if (named.token === undefined && guards.pathAccount(named.service) !== undefined)
      throw new NotFoundError();
    throw new UnknownServiceError(named.service);
  }
  (ctx.state.callback as CallbackState).service = entry.name;
  if (!guards.serviceEnabled(entry.name)) throw new ServiceDisabledError(entry.name);
  const format = formatOfContentType(ctx.get('content-type'));
  if (format === undefined) throw new UnsupportedMediaTypeError();
  if (ctx.request.length > http.maxBodyBytes) {
    throw new ParseError('BODY_TOO_LARGE', `the body is longer than ${http.maxBodyBytes} bytes`);
  }
  const notReady = guards.readiness();
  if (notReady === 'starting' || notReady === 'draining') throw new NotReadyError(notReady);
  const { admission } = guards;
  if (admission?.admit(ctx.res) !== undefined) throw admission.overloaded;
  return { service: entry.name, format, pathAccount };
}

/**
 * `/callbacks/<service>` or `/callbacks/<token>/<service>`. The service is %-decoded (ThingSpace's names need no
 * escapes, but a client may add them); the token is taken as written, its alphabet (base64url) needs none.
 */
export function callbackPath(path: string): { service: string; token?: string } {
  const segments = path.slice(CALLBACKS.length).split('/');
  if (segments.length > 2) throw new NotFoundError();
  const service = decodedSegment(segments.at(-1)!);
  return segments.length === 2 ? { token: segments[0]!, service } : { service };
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
      if (deps.metricsElsewhere) throw new NotFoundError();
      deps.beforeScrape?.();
      ctx.type = deps.metrics.registry.contentType;
      ctx.body = await deps.metrics.registry.metrics();
      return;
    default:
      throw new NotFoundError();
  }
}

/**
 * The one error exit: every failure answered in `answers`' format. Returns the outcome for metrics. `logger` is
 * called only to log: a shed callback, logged per episode by admission control, costs no child logger.
 */
function answerError(ctx: Koa.Context, err: unknown, answers: Answers, logger: () => Logger): Outcome {
  const known = err instanceof BridgeError;
  const answer = known ? answers.errorFor(err) : answers.internal;
  ctx.status = answer.status;
  ctx.type = answers.contentType;
  ctx.body = answer.body;
  // The headers its catalogue row names, valued from the error.
  if (known) {
    for (const header of faultSpec(err.code).headers) {
      ctx.set(header, header === 'Allow' ? allowOf(err) : retryAfterOf(err));
    }
  }
  // Part of the body may still be unread: this connection cannot carry another request. Except after a shed
  // callback with a declared length (at most maxBodyBytes, the guards saw to it): Node discards the rest, and the
  // connection carries the client's next request instead of every shed client reconnecting to a busy node.
  const shed = err instanceof OverloadedError;
  if (!ctx.req.complete && !(shed && ctx.request.length !== undefined)) ctx.set('Connection', 'close');
  if (shed) return 'failed'; // counted and logged by admission control, per episode rather than per callback
  const log = logger();
  if (!known) log.error({ err }, 'unexpected error answering a callback');
  else if (answer.status >= 500) log.warn({ code: err.code, err: err.message }, 'callback not taken');
  else log.info({ code: err.code, status: answer.status }, 'callback refused');
  return answer.status >= 500 ? 'failed' : 'rejected';
}

function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
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

/** A caller's request id is echoed and logged only when it is short and plain. */
function validRequestId(id: string): string | undefined {
  return id !== '' && id.length <= 128 && /^[\w.:-]+$/.test(id) ? id : undefined;
}
