/**
 * Traces of callbacks (config `tracing`), behind the seam the rest of the bridge sees: Tracing. The OpenTelemetry
 * SDK lives in otel.ts and is required only when tracing is enabled. Off, none of it is loaded, and nothing on the
 * hot path asks whether it is on: the HTTP layer adds its middleware (src/http/app.ts) and the pipeline its step
 * spans (src/ingress/tracing.ts) only when given a Tracing, once, at boot.
 */
import type { TracingConfig } from '../config';
import type { Logger } from './logger';

/** The steps of the pipeline that get a child span each (src/ingress/handle-callback.ts). */
export type StepName = 'parse' | 'authenticate' | 'normalize' | 'encode' | 'publish';

/** What a callback's server span ends with; never a credential nor a path token (the URL path is not recorded). */
export interface CallbackAttributes {
  /** The canonical service, or `unknown` when the path named none. */
  service: string;
  /** Known once authenticated. */
  account?: string;
  /** Known once encoded. */
  eventId?: string;
  /** As the `requests` metric's label: published, dead-lettered, rejected, failed. */
  outcome?: string;
  status: number;
}

/** The W3C Trace Context headers of a request (https://www.w3.org/TR/trace-context/). */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

export interface Tracing {
  /**
   * Runs `work` in a callback's server span: in the caller's trace when `carrier` holds a valid traceparent, else
   * in a new one. `work` resolves to the attributes the span ends with; a 5xx marks it as an error.
   */
  callback(carrier: TraceCarrier, work: () => Promise<CallbackAttributes>): Promise<void>;
  /** Runs `work` in a child span of the current callback's span; outside one, just runs it. */
  step<T>(name: StepName, work: () => T, attributes?: Readonly<Record<string, string>>): T;
  /** The W3C traceparent of the current callback's span, or undefined outside one. */
  traceparent(): string | undefined;
  /** Exports the spans ended so far. */
  flush(): Promise<void>;
  /** Exports what is left, then stops. */
  shutdown(): Promise<void>;
}

/** Tracing as configured, or undefined when off: then no OpenTelemetry SDK module is loaded. */
export function createTracing(config: TracingConfig, node: string, logger: Logger): Tracing | undefined {
  if (!config.enabled) return undefined;
  // Required here, not imported above: an import would load the SDK for every bridge, tracing or not. Its type
  // is said here rather than imported, as otel.ts imports this module's.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startTracing } = require('./otel') as {
    startTracing: (config: TracingConfig, node: string, logger: Logger) => Tracing;
  };
  return startTracing(config, node, logger);
}
