/** Failures of the durable spool; both answer 503 so that ThingSpace's own retries take over. */
import { BridgeError, type BridgeErrorOptions } from '../../errors';

/**
 * The spool holds spool.maxBytes already (the record is refused rather than the disk filled), or the disk under
 * it is full (maxBytes given: no append would fit; undefined: the filesystem said ENOSPC).
 */
export class SpoolFullError extends BridgeError {
  /** For the Retry-After header: the platform retries 5 minutes apart anyway; ask for a minute. */
  readonly retryAfterSeconds = 60;

  constructor(maxBytes?: number) {
    super(
      'SPOOL_FULL',
      maxBytes === undefined
        ? 'The disk holding the spool is full; retry later'
        : `The spool is full (${maxBytes} bytes); retry later`,
    );
  }
}

/** Writing to the spool failed (I/O error, closed): the record is not durable, so no 200. */
export class SpoolUnavailableError extends BridgeError {
  constructor(message: string, options: BridgeErrorOptions = {}) {
    super('SPOOL_UNAVAILABLE', message, options);
  }
}
