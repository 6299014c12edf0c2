export { createLogger, requestLogger } from './logger';
export type { Logger } from './logger';
export { createMetrics } from './metrics';
export type { Metrics } from './metrics';
export { createTracing } from './tracing';
export type { CallbackAttributes, StepName, TraceCarrier, Tracing } from './tracing-types';
