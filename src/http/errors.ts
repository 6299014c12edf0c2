/**
 * What the HTTP edge refuses before the pipeline runs. The pipeline's own failures are typed where they arise
 * (src/soap/errors.ts, src/auth, src/thingspace/errors.ts, src/kafka/errors.ts, src/http/body.ts).
 */
import { BridgeError } from '../errors';

export class SourceNotAllowedError extends BridgeError {
  readonly code = 'SOURCE_NOT_ALLOWED';
  readonly status = 403;
  readonly faultCode = 'Client';

  constructor() {
    // The address is logged, not echoed: the caller knows it already, a proxy in between may not want it shown.
    super('the source address is not allowed');
  }
}

export class NotFoundError extends BridgeError {
  readonly code = 'NOT_FOUND';
  readonly status = 404;
  readonly faultCode = 'Client';

  constructor() {
    super('no such resource');
  }
}

/** A known service that this bridge does not take (config `services.<name>.enabled: false`). */
export class ServiceDisabledError extends BridgeError {
  readonly code = 'SERVICE_DISABLED';
  readonly status = 404;
  readonly faultCode = 'Client';

  constructor(service: string) {
    super(`callback service '${service}' is not enabled on this bridge`);
  }
}

export class MethodNotAllowedError extends BridgeError {
  readonly code = 'METHOD_NOT_ALLOWED';
  readonly status = 405;
  readonly faultCode = 'Client';

  constructor(readonly allow: string) {
    super(`method not allowed; use ${allow}`);
  }
}

export class UnsupportedMediaTypeError extends BridgeError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  readonly status = 415;
  readonly faultCode = 'Client';

  constructor() {
    super('the body must be XML (text/xml, application/soap+xml or application/xml)');
  }
}

/** Booting, or draining for shutdown: ThingSpace retries, or the load balancer sends it to another node. */
export class NotReadyError extends BridgeError {
  readonly code = 'NOT_READY';
  readonly status = 503;
  readonly faultCode = 'Server';
  override readonly retriable = true;

  constructor(reason: 'starting' | 'draining') {
    super(
      reason === 'starting'
        ? 'the bridge is starting; retry later'
        : 'the bridge is shutting down; retry later',
    );
  }
}
