/**
 * Why managing callback registrations failed. Not BridgeErrors: they never reach ThingSpace as an HTTP answer;
 * the `callbacks` command prints them and exits 1. Each has a stable code from the catalogue (src/errors.ts,
 * where `cli`); messages never hold a credential or the session token (a platform fault text is quoted as the
 * platform sent it).
 */
import { ERRORS, type ErrorCodeIn } from '../errors';
import type { SoapFault } from '../soap/envelope';

export abstract class RegistrationError extends Error {
  readonly code: ErrorCodeIn<'cli'>;
  /** Whether the same call later may succeed (only the network's failures are retried, by the transport). */
  readonly retriable: boolean;

  constructor(code: ErrorCodeIn<'cli'>, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = ERRORS[code].retriable;
  }
}

/** The platform answered with a SOAP Fault (THINGSPACE.md §5): its text is the useful part. */
export class UwsFaultError extends RegistrationError {
  constructor(
    readonly operation: string,
    readonly fault: SoapFault,
    readonly status: number,
  ) {
    super(
      'UWS_FAULT',
      `${operation}: ThingSpace answered a fault (${fault.faultCode || 'no code'}): ${fault.faultString}` +
        (fault.detail === undefined ? '' : ` [${fault.detail}]`),
    );
  }
}

/** A non-2xx answer that is no SOAP Fault: a proxy's error page, a wrong URL. */
export class UwsHttpStatusError extends RegistrationError {
  constructor(
    readonly operation: string,
    readonly status: number,
  ) {
    super(
      'UWS_HTTP_STATUS',
      `${operation}: ThingSpace answered HTTP ${status} without a SOAP Fault (is thingspace.url right?)`,
    );
  }
}

/**
 * No answer from an API: refused, reset, DNS, TLS, or the timeout, on every attempt. One shape for both APIs;
 * the code says which.
 */
abstract class UnreachableError extends RegistrationError {
  constructor(
    code: 'UWS_UNREACHABLE' | 'REST_UNREACHABLE',
    readonly operation: string,
    readonly endpoint: string,
    readonly attempts: number,
    reason: string,
    cause: unknown,
  ) {
    super(
      code,
      `${operation}: no answer from ${endpoint} after ${attempts} attempt${attempts === 1 ? '' : 's'} (${reason})`,
      { cause },
    );
  }
}

/** No answer from the UWS SOAP API. */
export class UwsUnreachableError extends UnreachableError {
  constructor(operation: string, endpoint: string, attempts: number, reason: string, cause: unknown) {
    super('UWS_UNREACHABLE', operation, endpoint, attempts, reason, cause);
  }
}

/** A 2xx answer that is not what the operation expects. One shape for both APIs; the code says which. */
abstract class BadResponseError extends RegistrationError {
  constructor(
    code: 'UWS_BAD_RESPONSE' | 'REST_BAD_RESPONSE',
    readonly operation: string,
    reason: string,
    cause?: unknown,
  ) {
    super(code, `${operation}: unexpected answer from ThingSpace: ${reason}`, { cause });
  }
}

export class UwsBadResponseError extends BadResponseError {
  constructor(operation: string, reason: string, cause?: unknown) {
    super('UWS_BAD_RESPONSE', operation, reason, cause);
  }
}

/** What would be registered breaks a rule of the platform (THINGSPACE.md §1, §4); nothing was sent. */
export class InvalidRegistrationError extends RegistrationError {
  constructor(readonly problems: readonly string[]) {
    super(
      'REGISTRATION_INVALID',
      `cannot register:\n${problems.map((problem) => `  ${problem}`).join('\n')}`,
    );
  }
}

/**
 * The REST API answered an error (THINGSPACE.md §6). Verizon's M2M API answers `{errorCode, errorMessage}`, its
 * OAuth endpoint `{error, error_description}`: the platform's text, quoted as sent.
 */
export class RestError extends RegistrationError {
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly errorCode: string,
    readonly errorMessage: string,
  ) {
    super(
      'REST_ERROR',
      `${operation}: ThingSpace answered HTTP ${status} (${errorCode || 'no code'}): ${errorMessage}`,
    );
  }
}

/** A non-2xx REST answer without an error body: a proxy's error page, a wrong thingspace.restUrl. */
export class RestHttpStatusError extends RegistrationError {
  constructor(
    readonly operation: string,
    readonly status: number,
  ) {
    super(
      'REST_HTTP_STATUS',
      `${operation}: ThingSpace answered HTTP ${status} without an error body (is thingspace.restUrl right?)`,
    );
  }
}

/** No answer from the REST API. */
export class RestUnreachableError extends UnreachableError {
  constructor(operation: string, endpoint: string, attempts: number, reason: string, cause: unknown) {
    super('REST_UNREACHABLE', operation, endpoint, attempts, reason, cause);
  }
}

export class RestBadResponseError extends BadResponseError {
  constructor(operation: string, reason: string, cause?: unknown) {
    super('REST_BAD_RESPONSE', operation, reason, cause);
  }
}

/**
 * The OAuth2 token or the M2M session was refused, or a call was refused (401) again right after both were
 * fetched anew. `cause` is the platform's answer (a RestError or RestHttpStatusError).
 */
export class RestAuthFailedError extends RegistrationError {
  constructor(
    readonly operation: string,
    reason: string,
    cause?: unknown,
  ) {
    super('REST_AUTH_FAILED', `${operation}: ThingSpace refused the credentials: ${reason}`, { cause });
  }
}

/**
 * Registering a service over REST failed because the account has it registered over SOAP: the platform keeps a
 * service on the API it was first registered over (§6). `cause` is the platform's error.
 */
export class RegisteredOverSoapError extends RegistrationError {
  constructor(
    readonly accountName: string,
    readonly serviceName: string,
    cause: RestError,
  ) {
    super(
      'REST_REGISTERED_OVER_SOAP',
      `cannot register ${serviceName} for account ${accountName} over REST: the account has it registered over ` +
        `SOAP, and ThingSpace allows one API per service (THINGSPACE.md §6). Unregister it over SOAP first ` +
        `(thingspace.api: soap, \`callbacks unregister ${serviceName}\`), or keep managing it over SOAP. ` +
        `ThingSpace said: ${cause.errorMessage || cause.errorCode}`,
      { cause },
    );
  }
}
