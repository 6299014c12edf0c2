/** The callback pipeline of a booted node (src/ingress/handle-callback.ts), wired to its config and metrics. */
import type { Authenticator } from '../auth';
import type { Config } from '../config';
import { createArchiveEncoder } from '../events/archive';
import { createEventEncoder } from '../events/encode';
import type { Stream } from '../events/schemas';
import {
  createCallbackHandler,
  type CallbackHandler,
  type CallbackHandlerDeps,
} from '../ingress/handle-callback';
import { withStepSpans } from '../ingress/tracing';
import type { Delivery } from '../kafka/delivery';
import type { Logger, Metrics, Tracing } from '../observability';

export interface PipelineParts {
  config: Config;
  /** The bridge's, shared with the HTTP guards that look path tokens up in it. */
  authenticator: Authenticator;
  topics: Readonly<Record<Stream, string>>;
  schemaIds: ReadonlyMap<string, number>;
  delivery: Delivery;
  metrics: Metrics;
  logger: Logger;
  /** An authenticated callback the delivery refused: the recovery loop's evidence. */
  onUndelivered?: CallbackHandlerDeps['onUndelivered'];
  /** With `tracing.enabled`: each step in a span, the traceparent in the record headers. */
  tracing?: Tracing;
}

export function createPipeline({
  config,
  authenticator,
  topics,
  schemaIds,
  delivery,
  metrics,
  logger,
  onUndelivered,
  tracing,
}: PipelineParts): CallbackHandler {
  const deps: CallbackHandlerDeps = {
    parserLimits: { maxBodyBytes: config.http.maxBodyBytes },
    authenticator,
    normalizeOptions: { kindPriority: config.normalize.kindPriority },
    encoder: createEventEncoder(topics, schemaIds),
    delivery,
    // A record above the batch cap would go alone and meet the broker's message.max.bytes, which the cap's
    // default sits just below: refuse or dead-letter it here rather than have ThingSpace retry it in vain.
    maxRecordBytes: config.kafka.producer.maxBatchBytes,
    ingressNode: config.node,
    ...(config.archive.enabled ? { archive: createArchiveEncoder(config.archive.topic) } : {}),
    onAuthFailure: (reason) => metrics.authFailures.inc({ reason }),
    onAnomalies: (anomalies) => anomalies.forEach((anomaly) => metrics.anomalies.inc({ anomaly })),
    onDeadLetter: (reason, eventId) => logger.warn({ eventId, err: reason }, 'dead-lettering a callback'),
    onArchiveTooLarge: (eventId, bytes) =>
      logger.warn({ eventId, bytes }, 'not archiving a callback: its archive record exceeds a Kafka record'),
    onUndelivered,
  };
  return createCallbackHandler(tracing === undefined ? deps : withStepSpans(deps, tracing));
}
