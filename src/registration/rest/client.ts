/**
 * The registration calls of ThingSpace's REST M2M API (THINGSPACE.md §6), as a RegistrationApi:
 *
 *   GET    /callbacks/{account}                 -> [{accountName, serviceName, url, username?, password?}]
 *   POST   /callbacks/{account}                 {name, url, username?, password?}
 *   DELETE /callbacks/{account}/name/{service}
 *   PUT    /sms/{account}/startCallbacks         releases queued device SMS
 *
 * Every call carries both tokens (./auth); a 401 drops them and the call is made once more with new ones, a
 * second 401 is a RestAuthFailedError. The list holds each callback password in clear: it is dropped here, where
 * the answer is read, and never reaches a CallbackRegistration, a message or a log.
 */
import type { WireFormat } from '../../message/types';
import { findService, restServiceName } from '../../thingspace/catalogue';
import type { CallbackRegistration, NewCallbackRegistration } from '../client';
import { RegisteredOverSoapError, RestAuthFailedError, RestBadResponseError, RestError } from '../errors';
import { RestAuth } from './auth';
import type { RestCredentials } from './auth';
import { isUnauthorized, restCall } from './http';
import type { RestHttpOptions, RestRequest } from './http';

export interface RestApiOptions extends RestHttpOptions, RestCredentials {
  /** For tests: the clock the access token's expiry is read by. */
  now?: () => number;
}

/** A RegistrationApi (../api, which builds it from the config). */
export class RestRegistrationApi {
  readonly api: WireFormat = 'rest';
  readonly #http: RestHttpOptions;
  readonly #auth: RestAuth;
  readonly #base: string;

  constructor(options: RestApiOptions) {
    const { timeoutMs, retries, retryDelayMs, fetch, onRetry } = options;
    this.#http = { timeoutMs, retries, retryDelayMs, fetch, onRetry };
    this.#auth = new RestAuth(this.#http, options, options.now);
    this.#base = options.restUrl.replace(/\/+$/, '');
  }

  async list(accountName: string): Promise<CallbackRegistration[]> {
    const answer = await this.#call('GET /callbacks', 'GET', `/callbacks/${segment(accountName)}`);
    if (!Array.isArray(answer)) throw new RestBadResponseError('GET /callbacks', 'not a list');
    return answer.map((item: unknown) => registrationOf(accountName, item));
  }

  async register(registration: NewCallbackRegistration): Promise<void> {
    const { accountName, url, username, password } = registration;
    const name = wireName(registration.serviceName);
    // Without a username the platform sends empty credentials (§6): send none rather than empty strings.
    const credentials = username === '' ? {} : { username, password: password.reveal() };
    try {
      await this.#call('POST /callbacks', 'POST', `/callbacks/${segment(accountName)}`, {
        name,
        url,
        ...credentials,
      });
    } catch (err) {
      if (err instanceof RestError && (await this.#heldBySoap(err, accountName, name))) {
        throw new RegisteredOverSoapError(accountName, name, err);
      }
      throw err;
    }
  }

  async unregister(accountName: string, serviceName: string): Promise<void> {
    const path = `/callbacks/${segment(accountName)}/name/${segment(wireName(serviceName))}`;
    await this.#call('DELETE /callbacks', 'DELETE', path);
  }

  async startSms(accountName: string): Promise<void> {
    await this.#call('PUT /sms/startCallbacks', 'PUT', `/sms/${segment(accountName)}/startCallbacks`);
  }

  /**
   * Forgets the tokens. No logout is sent: §6 names none, and the platform expires sessions by itself.
   */
  async close(): Promise<void> {
    this.#auth.invalidate();
  }

  async #call(
    operation: string,
    method: RestRequest['method'],
    path: string,
    body?: object,
  ): Promise<unknown> {
    const request = async (): Promise<unknown> =>
      restCall(this.#http, {
        operation,
        method,
        url: `${this.#base}${path}`,
        headers: {
          ...(await this.#auth.headers()),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    try {
      return await request();
    } catch (err) {
      if (!isUnauthorized(err)) throw err;
    }
    // An expired access token or session: both anew, once.
    this.#auth.invalidate();
    try {
      return await request();
    } catch (err) {
      if (!isUnauthorized(err)) throw err;
      throw new RestAuthFailedError(operation, 'refused (401) again with a new token and session', err);
    }
  }

  /**
   * Whether a refused registration is the SOAP/REST exclusivity (§6). Its error text is unpublished, so this is a
   * guess, matched loosely: a text naming SOAP says so outright; one saying the service is already registered
   * (or a 409) says so when the REST list does not show the service, since then only SOAP can hold it.
   */
  async #heldBySoap(err: RestError, accountName: string, name: string): Promise<boolean> {
    const text = `${err.errorCode} ${err.errorMessage}`;
    if (/\bsoap\b/i.test(text)) return true;
    if (err.status !== 409 && !/already|exists|duplicate|conflict/i.test(text)) return false;
    const registered = await this.list(accountName).catch(() => undefined);
    return registered !== undefined && !registered.some((entry) => wireName(entry.serviceName) === name);
  }
}

/** The REST spelling of a service the catalogue knows; any other name as written. */
function wireName(serviceName: string): string {
  const entry = findService(serviceName);
  return entry === undefined ? serviceName : restServiceName(entry.name);
}

function segment(text: string): string {
  return encodeURIComponent(text);
}

/** One item of GET /callbacks, without its password. */
function registrationOf(accountName: string, item: unknown): CallbackRegistration {
  if (typeof item !== 'object' || item === null) {
    throw new RestBadResponseError('GET /callbacks', 'a list item that is not an object');
  }
  const { serviceName, url, username } = item as Record<string, unknown>;
  if (typeof serviceName !== 'string' || typeof url !== 'string') {
    throw new RestBadResponseError('GET /callbacks', 'a list item without serviceName and url');
  }
  // The account as asked for: the plan matches registrations to accounts by the config's spelling.
  return { accountName, serviceName, url, ...(typeof username === 'string' ? { username } : {}) };
}
