/**
 * The seam between the bridge and its traces (config `tracing`): what the HTTP layer and the pipeline call. Its
 * one implementation, on the OpenTelemetry SDK, is otel.ts; createTracing (tracing.ts) loads it only when on.
 */

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
