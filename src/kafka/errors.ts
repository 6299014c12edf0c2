/**
 * Failures of the Kafka side of the bridge. The publish-time ones answer ThingSpace 503 (it retries later, or
 * another ingress node takes the callback); the boot-time ones (topics, schemas) stop `serve` before it listens,
 * and a readiness check would report them as 503 as well.
 */
import { BridgeError, type BridgeErrorOptions } from '../errors';

/** The publish queue is at its record or byte cap: answer at once rather than wait without bound. */
export class QueueFullError extends BridgeError {
  /** For the Retry-After header: the time the queue needs to drain at the last batch's pace. */
  constructor(readonly retryAfterSeconds: number) {
    super('QUEUE_FULL', 'The publish queue is full; retry later');
  }
}

/** Kafka rejected or failed the batch that held the record. */
export class KafkaUnavailableError extends BridgeError {
  constructor(message: string, options: BridgeErrorOptions = {}) {
    super('KAFKA_UNAVAILABLE', message, options);
  }
}

/**
 * Kafka did not acknowledge the record within `deliveryTimeoutMs`. The record may still be written later (a
 * batch in flight cannot be recalled), so a retry can duplicate it: consumers drop duplicates by eventId.
 */
export class DeliveryTimeoutError extends BridgeError {
  constructor(readonly timeoutMs: number) {
    super('DELIVERY_TIMEOUT', `Kafka did not acknowledge the event within ${timeoutMs} ms`);
  }
}

/** The publisher is closing or closed: another ingress node (or this one, restarted) takes the retry. */
export class ShuttingDownError extends BridgeError {
  constructor() {
    super('SHUTTING_DOWN', 'The bridge is shutting down; retry later');
  }
}

/** Topics the bridge publishes to are absent (and were not, or could not be, created). */
export class MissingTopicsError extends BridgeError {
  constructor(
    readonly topics: readonly string[],
    reason: string,
    options: BridgeErrorOptions = {},
  ) {
    super('TOPICS_MISSING', `Kafka topics missing (${reason}): ${topics.join(', ')}`, options);
  }
}

/** Why one subject's schema has no id. */
export interface SubjectFailure {
  subject: string;
  reason: string;
  /** The registry client's own error. */
  cause: unknown;
}

/** Schemas that could not be registered or found in the registry, every failing subject named. */
export class SchemaResolutionError extends BridgeError {
  constructor(
    readonly failures: readonly SubjectFailure[],
    options: BridgeErrorOptions = {},
  ) {
    super(
      'SCHEMA_UNRESOLVED',
      `Schema ids unresolved: ${failures.map((f) => `${f.subject} (${f.reason})`).join('; ')}`,
      options,
    );
  }
}
