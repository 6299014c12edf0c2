import { BridgeError } from '../errors';
import type { CallbackRoot } from '../message/types';

/**
 * The URL names a callback service the catalogue does not know (THINGSPACE.md §1: REST-only services such as
 * NiddService, typos, probes). 404 because the resource does not exist; ThingSpace retrying will not help.
 */
export class UnknownServiceError extends BridgeError {
  constructor(readonly service: string) {
    super('UNKNOWN_SERVICE', `unknown callback service '${service}'`);
  }
}

/**
 * A known service received a root element it never sends, e.g. an SmsCallbackRequest posted to CarrierService
 * (THINGSPACE.md §2: only EnhancedConnectivityService carries device SMS). The XML is fine, its meaning is not:
 * 422. The message is authenticated by then, so the ingress dead-letters it rather than losing it.
 */
export class UnexpectedRootError extends BridgeError {
  constructor(
    readonly service: string,
    readonly root: CallbackRoot,
  ) {
    super('UNEXPECTED_ROOT', `callback service '${service}' does not send ${root} messages`);
  }
}
