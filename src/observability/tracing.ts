/**
 * Traces of callbacks (config `tracing`), behind the seam the rest of the bridge sees: Tracing. The OpenTelemetry
 * SDK lives in otel.ts and is required only when tracing is enabled. Off, none of it is loaded, and nothing on the
 * hot path asks whether it is on: the HTTP layer adds its middleware (src/http/app.ts) and the pipeline its step
 * spans (src/ingress/tracing.ts) only when given a Tracing, once, at boot.
 */
import type { TracingConfig } from '../config';
import type { Logger } from './logger';
import type * as Otel from './otel';
import type { Tracing } from './tracing-types';

/** Tracing as configured, or undefined when off: then no OpenTelemetry SDK module is loaded. */
export function createTracing(config: TracingConfig, node: string, logger: Logger): Tracing | undefined {
  if (!config.enabled) return undefined;
  // Required here, not imported above: an import would load the SDK for every bridge, tracing or not.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startTracing } = require('./otel') as typeof Otel;
  return startTracing(config, node, logger);
}
