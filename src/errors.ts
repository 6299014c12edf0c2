/**
 * Every failure the bridge reports is a BridgeError subclass with a stable code. The one outermost HTTP handler
 * turns any of them into a SOAP Fault; nothing else decides statuses.
 *
 * Statuses: SOAP 1.1 says faults travel with HTTP 500, but ThingSpace retries every non-2xx answer, so we answer
 * the caller's mistakes with 4xx (operators see them for what they are) and keep 5xx for "try again later".
 */
export type FaultCode = 'Client' | 'Server';

export interface BridgeErrorOptions {
  cause?: unknown;
}

export abstract class BridgeError extends Error {
  /** Stable, documented, tested: dashboards and alerts key on it. */
  abstract readonly code: string;
  /** The HTTP status of the answer to ThingSpace. */
  abstract readonly status: number;
  /** SOAP 1.1 fault code: Client (the message is at fault) or Server (we are). */
  abstract readonly faultCode: FaultCode;
  /** Whether `message` may be shown to the caller (it never holds credentials either way). */
  readonly expose: boolean = true;
  /** Whether trying the same thing again later can succeed. */
  readonly retriable: boolean = false;

  constructor(message: string, options: BridgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}
