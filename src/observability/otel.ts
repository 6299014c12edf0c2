/**
 * Tracing on the OpenTelemetry SDK, exported over OTLP/HTTP; loaded only through createTracing (tracing.ts) when
 * `tracing.enabled`. The provider is the bridge's own, never registered globally: two bridges in one process
 * (tests) keep their spans apart, and nothing else in the process starts tracing because the bridge does.
 *
 * The current callback's span travels in an AsyncLocalStorage of this module, set around the request's
 * middleware, so the pipeline's steps find their parent without it being passed through their signatures.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  defaultTextMapGetter,
  defaultTextMapSetter,
  diag,
  DiagLogLevel,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import type { TracingConfig } from '../config';
import { BridgeError } from '../errors';
import type { Logger } from './logger';
import type { CallbackAttributes, StepName, TraceCarrier, Tracing } from './tracing-types';

/** The instrumentation scope of every span. */
export const TRACER_NAME = 'thingspace-bridge';

/** Attribute names: OpenTelemetry's semantic conventions where they have one, else under `thingspace.`. */
export const ATTRIBUTES = {
  service: 'thingspace.service',
  account: 'thingspace.account',
  eventId: 'thingspace.event_id',
  outcome: 'thingspace.outcome',
  method: 'http.request.method',
  status: 'http.response.status_code',
  errorType: 'error.type',
} as const;

const propagator = new W3CTraceContextPropagator();

/**
 * The exporter to `tracing.endpoint`; without one, the OTLP exporter reads the standard OTEL_EXPORTER_OTLP_*
 * variables itself.
 */
function otlpExporter(config: TracingConfig): SpanExporter {
  return new OTLPTraceExporter(
    config.endpoint === undefined ? {} : { url: `${config.endpoint.replace(/\/+$/, '')}/v1/traces` },
  );
}

/**
 * The SDK's own warnings and errors (a failed export: the collector unreachable or refusing) as log lines. Its
 * diagnostic logger is process-wide; the bridge is the process.
 */
function logDiagnostics(logger: Logger): void {
  const log = logger.child({ component: 'opentelemetry' });
  const line =
    (level: 'warn' | 'error') =>
    (message: string, ...args: unknown[]) =>
      log[level](args.length > 0 ? { details: args.map(String) } : {}, message);
  const ignore = () => undefined;
  diag.setLogger(
    { error: line('error'), warn: line('warn'), info: ignore, debug: ignore, verbose: ignore },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
}

/**
 * @param exporter where spans go; tests give an InMemorySpanExporter
 */
export function startTracing(
  config: TracingConfig,
  node: string,
  logger: Logger,
  exporter: SpanExporter = otlpExporter(config),
): Tracing {
  logDiagnostics(logger);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName, 'service.instance.id': node }),
    // A caller's sampling decision (its traceparent's flag) is kept; only new traces are sampled by the ratio.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer(TRACER_NAME);
  const current = new AsyncLocalStorage<Context>();

  return {
    async callback(carrier: TraceCarrier, work: () => Promise<CallbackAttributes>) {
      const parent = propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
      const span = tracer.startSpan(
        'callback',
        { kind: SpanKind.SERVER, attributes: { [ATTRIBUTES.method]: 'POST' } },
        parent,
      );
      try {
        const ended = await current.run(trace.setSpan(parent, span), work);
        span.setAttributes(callbackAttributes(ended));
        if (ended.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      } catch (err) {
        failed(span, err);
        throw err;
      } finally {
        span.end();
      }
    },

    step<T>(name: StepName, work: () => T, attributes?: Readonly<Record<string, string>>): T {
      const parent = current.getStore();
      if (parent === undefined) return work();
      const kind = name === 'publish' ? SpanKind.PRODUCER : SpanKind.INTERNAL;
      const span = tracer.startSpan(name, { kind, ...(attributes && { attributes }) }, parent);
      let result: T;
      try {
        result = work();
      } catch (err) {
        failed(span, err);
        span.end();
        throw err;
      }
      if (!(result instanceof Promise)) {
        span.end();
        return result;
      }
      return result.then(
        (value: unknown) => {
          span.end();
          return value;
        },
        (err: unknown) => {
          failed(span, err);
          span.end();
          throw err;
        },
      ) as T;
    },

    traceparent() {
      const context = current.getStore();
      if (context === undefined) return undefined;
      const carrier: TraceCarrier = {};
      propagator.inject(context, carrier, defaultTextMapSetter);
      return carrier.traceparent;
    },

    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

function callbackAttributes({ service, account, eventId, outcome, status }: CallbackAttributes) {
  return {
    [ATTRIBUTES.service]: service,
    [ATTRIBUTES.status]: status,
    ...(account !== undefined && { [ATTRIBUTES.account]: account }),
    ...(eventId !== undefined && { [ATTRIBUTES.eventId]: eventId }),
    ...(outcome !== undefined && { [ATTRIBUTES.outcome]: outcome }),
  };
}

/**
 * An error's stable code only, never its message nor stack: a message that is not a BridgeError's is not vouched
 * for (it might quote a credential), and spans leave the process.
 */
function failed(span: Span, err: unknown): void {
  const code = err instanceof BridgeError ? err.code : 'UNEXPECTED';
  span.setAttribute(ATTRIBUTES.errorType, code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
}
