/**
 * What the HTTP edge refuses before the pipeline runs. The pipeline's own failures are typed where they arise
 * (src/message/errors.ts, src/auth, src/thingspace/errors.ts, src/kafka/errors.ts, src/http/body.ts).
 */
import { BridgeError } from '../errors';

export class SourceNotAllowedError extends BridgeError {
  constructor() {
    // The address is logged, not echoed: the caller knows it already, a proxy in between may not want it shown.
    super('SOURCE_NOT_ALLOWED', 'the source address is not allowed');
  }
}

export class NotFoundError extends BridgeError {
  constructor() {
    super('NOT_FOUND', 'no such resource');
  }
}

/** A known service that this bridge does not take (config `services.<name>.enabled: false`). */
export class ServiceDisabledError extends BridgeError {
  constructor(service: string) {
    super('SERVICE_DISABLED', `callback service '${service}' is not enabled on this bridge`);
  }
}

export class MethodNotAllowedError extends BridgeError {
  constructor(readonly allow: string) {
    super('METHOD_NOT_ALLOWED', `method not allowed; use ${allow}`);
  }
}

export class UnsupportedMediaTypeError extends BridgeError {
  constructor() {
    super(
      'UNSUPPORTED_MEDIA_TYPE',
      'the body must be XML (text/xml, application/xml, application/soap+xml) or JSON (application/json, text/json, application/*+json)',
    );
  }
}

/** Booting, or draining for shutdown: ThingSpace retries, or the load balancer sends it to another node. */
export class NotReadyError extends BridgeError {
  constructor(reason: 'starting' | 'draining') {
    super(
      'NOT_READY',
      reason === 'starting'
        ? 'the bridge is starting; retry later'
        : 'the bridge is shutting down; retry later',
    );
  }
}

/** Shed by admission control (admission.ts) before the body was read: the node is as busy as it may get. */
export class OverloadedError extends BridgeError {
  constructor(readonly retryAfterSeconds: number) {
    super('OVERLOADED', 'the bridge is answering as many callbacks as it can; retry later');
  }
}
