/**
 * A fake of ThingSpace's REST registration API (THINGSPACE.md §6) on node:http, the twin of ./fake-uws.ts: the
 * OAuth2 token, the M2M session, callback registrations in the simulator's registry, and startCallbacks.
 *
 *   POST /api/ts/v1/oauth2/token          grant_type=client_credentials (form), the app key and secret as HTTP
 *                                          Basic (or client_id/client_secret in the form, RFC 6749 §2.3.1)
 *                                          -> {access_token, token_type: "bearer", expires_in (seconds)}
 *   under /api/m2m/v1, with `Authorization: Bearer <access_token>`:
 *   POST   /session/login                  {username, password} -> {sessionToken, expiresIn (seconds)}
 *   and with `VZ-M2M-Token: <sessionToken>` too:
 *   GET    /callbacks/{account}            -> [{accountName, serviceName, url, username?, password?}] (REST
 *                                          registrations only; the password in clear, as the platform sends it)
 *   POST   /callbacks/{account}            {name, url, username?, password?} -> {accountName, serviceName}
 *   DELETE /callbacks/{account}/name/{service}  -> {accountName, serviceName}
 *   PUT    /sms/{account}/startCallbacks   -> {success: true}; releases the account's queued device messages
 *
 * Errors are JSON `{errorCode, errorMessage}` (the M2M API's shape; the codes are the fake's own): 401 for a
 * missing, unknown or expired token (the client logs in again), 400 for a bad login or request, 404 for an
 * unknown account or an unregistered service, 409 for a service registered over SOAP (§6), 413, 405. The
 * token endpoint answers RFC 6749 §5.2 errors (`{error}`) instead. Service names are the catalogue's, any
 * spelling; answers name the canonical one.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { findService, restServiceName } from '../thingspace/catalogue';
import type { ServiceName } from '../thingspace/catalogue';
import { Secret } from '../util/secret';
import { Endpoint, readBody, sameText } from './endpoint';
import { OtherApiError, Registry } from './registry';
import type { SimulatedRegistration } from './registry';
import type { FakeUwsUser } from './fake-uws';

export const REST_BASE_PATH = '/api/m2m/v1';
export const OAUTH_TOKEN_PATH = '/api/ts/v1/oauth2/token';

export interface FakeRestOptions {
  /** The OAuth2 client (the ThingSpace app) that may take tokens. */
  app: { key: string; secret: Secret };
  /** Who may log in for an M2M session. */
  users: readonly FakeUwsUser[];
  /** The accounts that exist; any name is taken when absent. */
  accounts?: readonly string[];
  /** Lifetime of an access token; the platform's is an hour. */
  accessTokenTtlMs?: number;
  /** Lifetime of a session token (likely 30 minutes on the platform). */
  sessionTtlMs?: number;
  /** The clock tokens expire by; Date.now unless given. */
  now?: () => number;
  host?: string;
  port?: number;
  /** Shared with the SOAP fake when both run. */
  registry?: Registry;
}

/** One call the fake answered, for logs and tests. */
export interface RestCall {
  /** `METHOD /path` with the account and service as `{account}` and `{service}`. */
  operation: string;
  accountName?: string;
  serviceName?: string;
  /** The HTTP status when not 2xx, and the error's text. */
  status: number;
  error?: string;
}

export interface FakeRestEvents {
  onCall?: (call: RestCall) => void;
  onRegistered?: (registration: SimulatedRegistration) => void;
  /** PUT startCallbacks: the platform releases the account's queued device messages (§3, §6). */
  onStartCallbacks?: (accountName: string) => void;
}

/** An answer other than 2xx: status, a stable code and the text. */
class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_REQUEST_BYTES = 64 * 1024;
/** Each a documented limit of §4 or a generous one of the fake. */
const MAX_FIELD_CHARS = { credential: 40, name: 100, url: 2048 } as const;
const DEFAULT_ACCESS_TOKEN_TTL_MS = 60 * 60_000;
const DEFAULT_SESSION_TTL_MS = 30 * 60_000;

export class FakeRest {
  readonly #options: FakeRestOptions;
  readonly #events: FakeRestEvents;
  readonly #endpoint: Endpoint;
  readonly #registry: Registry;
  readonly #now: () => number;
  /** Token -> expiry (ms on #now's clock). */
  readonly #accessTokens = new Map<string, number>();
  readonly #sessions = new Map<string, number>();
  #origin: string | undefined;

  constructor(options: FakeRestOptions, events: FakeRestEvents = {}) {
    this.#options = options;
    this.#events = events;
    this.#registry = options.registry ?? new Registry();
    this.#now = options.now ?? Date.now;
    this.#endpoint = new Endpoint((req, res) => this.handle(req, res));
  }

  /** Listens on its own; resolves with the REST API root (`restUrl`). */
  async start(): Promise<string> {
    this.servedAt(await this.#endpoint.start(this.#options.host, this.#options.port));
    return this.url;
  }

  /** Tells the fake the origin its requests come to, when another listener routes them here. */
  servedAt(origin: string): void {
    this.#origin = origin;
  }

  /** The REST API root, to configure as `thingspace.restUrl`. */
  get url(): string {
    return `${this.#originOrThrow()}${REST_BASE_PATH}`;
  }

  /** The OAuth2 token endpoint, to configure as `thingspace.oauthTokenUrl`. */
  get oauthTokenUrl(): string {
    return `${this.#originOrThrow()}${OAUTH_TOKEN_PATH}`;
  }

  /** The current REST registrations, of one account or all. */
  registrations(accountName?: string): SimulatedRegistration[] {
    return this.#registry.list(accountName, 'rest');
  }

  async close(): Promise<void> {
    await this.#endpoint.close();
  }

  /** Answers one request to the token endpoint or under the API root. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const call: RestCall = { operation: `${req.method ?? '?'} ?`, status: 200 };
    let body: unknown;
    try {
      body = await this.#answer(req, call);
    } catch (err) {
      const error =
        err instanceof RestError ? err : new RestError(500, 'InternalError', 'The fake failed to answer.');
      call.status = error.status;
      call.error = error.message;
      body =
        new URL(req.url ?? '/', 'http://fake').pathname === OAUTH_TOKEN_PATH
          ? { error: error.code, error_description: error.message }
          : { errorCode: error.code, errorMessage: error.message };
    }
    res.writeHead(call.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
    this.#events.onCall?.(call);
  }

  async #answer(req: IncomingMessage, call: RestCall): Promise<unknown> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? '';
    if (url.pathname === OAUTH_TOKEN_PATH) {
      call.operation = `${method} ${OAUTH_TOKEN_PATH}`;
      allow(method, 'POST');
      return this.#token(req, await readBody(req, MAX_REQUEST_BYTES, tooLarge));
    }
    if (!url.pathname.startsWith(`${REST_BASE_PATH}/`)) throw notFound();
    const [first, second, third, fourth, ...rest] = url.pathname
      .slice(REST_BASE_PATH.length + 1)
      .split('/')
      .map(decodeSegment);
    this.#requireAccessToken(req);
    if (first === 'session' && second === 'login' && third === undefined) {
      call.operation = `${method} /session/login`;
      allow(method, 'POST');
      return this.#logIn(await readJson(req));
    }
    this.#requireSession(req);
    if (first === 'callbacks' && second && third === undefined) {
      call.operation = `${method} /callbacks/{account}`;
      const accountName = this.#account(second);
      call.accountName = accountName;
      if (method === 'GET') return this.registrations(accountName).map(listed);
      allow(method, 'POST');
      const registration = this.#register(accountName, await readJson(req));
      call.serviceName = registration.serviceName;
      return { accountName, serviceName: restServiceName(registration.serviceName) };
    }
    if (first === 'callbacks' && second && third === 'name' && fourth && rest.length === 0) {
      call.operation = `${method} /callbacks/{account}/name/{service}`;
      allow(method, 'DELETE');
      const accountName = this.#account(second);
      const serviceName = serviceOf(fourth);
      Object.assign(call, { accountName, serviceName });
      if (!this.#registry.remove(accountName, serviceName, 'rest')) {
        throw new RestError(
          404,
          'CallbackNotFound',
          `No callback is registered over REST for '${serviceName}'.`,
        );
      }
      return { accountName, serviceName: restServiceName(serviceName) };
    }
    if (first === 'sms' && second && third === 'startCallbacks' && fourth === undefined) {
      call.operation = `${method} /sms/{account}/startCallbacks`;
      allow(method, 'PUT');
      const accountName = this.#account(second);
      call.accountName = accountName;
      // The release runs on its own (the hook starts it, never waits for it), as on the platform (§3).
      this.#events.onStartCallbacks?.(accountName);
      return { success: true };
    }
    throw notFound();
  }

  #token(req: IncomingMessage, body: Buffer): unknown {
    const form = new URLSearchParams(body.toString('utf8'));
    const [key, secret] = basicCredentials(req) ?? [
      form.get('client_id') ?? '',
      form.get('client_secret') ?? '',
    ];
    const { app } = this.#options;
    if (!sameText(key, app.key) || !sameText(secret, app.secret.reveal())) {
      throw new RestError(401, 'invalid_client', 'The application key or secret is wrong.');
    }
    if (form.get('grant_type') !== 'client_credentials') {
      throw new RestError(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is offered.');
    }
    const ttlMs = this.#options.accessTokenTtlMs ?? DEFAULT_ACCESS_TOKEN_TTL_MS;
    const token = issue(this.#accessTokens, this.#now() + ttlMs);
    return { access_token: token, token_type: 'bearer', expires_in: Math.ceil(ttlMs / 1000) };
  }

  #logIn(body: Record<string, unknown>): unknown {
    const username = text(body, 'username', MAX_FIELD_CHARS.name);
    const password = text(body, 'password', MAX_FIELD_CHARS.name);
    const user = this.#options.users.find((candidate) => candidate.username === username);
    if (user === undefined || !sameText(user.password.reveal(), password)) {
      throw new RestError(400, 'InvalidCredentials', 'Invalid username or password.');
    }
    const ttlMs = this.#options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
    return { sessionToken: issue(this.#sessions, this.#now() + ttlMs), expiresIn: Math.ceil(ttlMs / 1000) };
  }

  #requireAccessToken(req: IncomingMessage): void {
    const token = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!this.#valid(this.#accessTokens, token)) {
      throw new RestError(401, 'InvalidAccessToken', 'The access token is missing, invalid or expired.');
    }
  }

  #requireSession(req: IncomingMessage): void {
    const token = req.headers['vz-m2m-token'];
    if (!this.#valid(this.#sessions, typeof token === 'string' ? token : undefined)) {
      throw new RestError(
        401,
        'InvalidSessionToken',
        'The session token is missing, invalid or expired; log in again.',
      );
    }
  }

  /** Whether the token was issued and has not expired; forgets it once expired. */
  #valid(tokens: Map<string, number>, token: string | undefined): boolean {
    const expiry = token === undefined ? undefined : tokens.get(token);
    if (expiry === undefined) return false;
    if (expiry > this.#now()) return true;
    tokens.delete(token!);
    return false;
  }

  #account(name: string): string {
    const { accounts } = this.#options;
    if (accounts !== undefined && !accounts.includes(name)) {
      throw new RestError(
        404,
        'AccountNotFound',
        `Account '${name}' does not exist or is not accessible to this user.`,
      );
    }
    return name;
  }

  #register(accountName: string, body: Record<string, unknown>): SimulatedRegistration {
    const serviceName = serviceOf(text(body, 'name', MAX_FIELD_CHARS.name));
    const url = text(body, 'url', MAX_FIELD_CHARS.url);
    if (!/^https?:\/\/[^\s]+$/i.test(url) || !URL.canParse(url)) {
      throw new RestError(400, 'InvalidUrl', `url '${url}' is not a valid absolute http(s) URL.`);
    }
    const registration: SimulatedRegistration = {
      accountName,
      serviceName,
      url,
      username: optionalText(body, 'username', MAX_FIELD_CHARS.credential),
      password: new Secret(optionalText(body, 'password', MAX_FIELD_CHARS.credential)),
      api: 'rest',
    };
    try {
      this.#registry.add(registration);
    } catch (err) {
      if (err instanceof OtherApiError) throw new RestError(409, 'RegisteredOverSoap', err.message);
      throw err;
    }
    this.#events.onRegistered?.(registration);
    return registration;
  }

  #originOrThrow(): string {
    if (this.#origin === undefined) throw new Error('FakeRest URLs before start()');
    return this.#origin;
  }
}

/** A fresh token, remembered with its expiry. */
function issue(tokens: Map<string, number>, expiresAt: number): string {
  const token = randomUUID();
  tokens.set(token, expiresAt);
  return token;
}

function serviceOf(name: string): ServiceName {
  const entry = findService(name);
  if (entry === undefined || !entry.formats.includes('rest')) {
    throw new RestError(404, 'UnknownService', `Unknown callback service name '${name}'.`);
  }
  return entry.name;
}

/** A REST list item: the password in clear, as the platform answers it (§6); empty credentials left out. */
function listed(registration: SimulatedRegistration): Record<string, string> {
  const { accountName, serviceName, url, username, password } = registration;
  return {
    accountName,
    // The platform names services as REST spells them (PromoChanges, AlertsService), THINGSPACE.md §6.
    serviceName: restServiceName(serviceName),
    url,
    ...(username === '' ? {} : { username }),
    ...(password.isEmpty ? {} : { password: password.reveal() }),
  };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new RestError(400, 'InvalidPath', 'The path is not valid percent-encoding.');
  }
}

function allow(method: string, allowed: string): void {
  if (method !== allowed) throw new RestError(405, 'MethodNotAllowed', `Use ${allowed} here.`);
}

function notFound(): RestError {
  return new RestError(404, 'NotFound', 'No such resource.');
}

function tooLarge(): RestError {
  return new RestError(413, 'RequestTooLarge', `The request is longer than ${MAX_REQUEST_BYTES} bytes.`);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const bytes = await readBody(req, MAX_REQUEST_BYTES, tooLarge);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new RestError(400, 'InvalidJson', 'The request body is not JSON.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RestError(400, 'InvalidJson', 'The request body is not a JSON object.');
  }
  return value as Record<string, unknown>;
}

function text(body: Record<string, unknown>, key: string, maxChars: number): string {
  const value = body[key];
  if (typeof value !== 'string' || value === '')
    throw new RestError(400, 'MissingField', `${key} is required.`);
  return checkedLength(key, value, maxChars);
}

function optionalText(body: Record<string, unknown>, key: string, maxChars: number): string {
  const value = body[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new RestError(400, 'InvalidField', `${key} must be a string.`);
  return checkedLength(key, value, maxChars);
}

function checkedLength(key: string, value: string, maxChars: number): string {
  if (value.length > maxChars) {
    throw new RestError(400, 'InvalidField', `${key} is longer than ${maxChars} characters.`);
  }
  return value;
}

/** The user and password of an `Authorization: Basic` header, if one is there. */
function basicCredentials(req: IncomingMessage): [string, string] | undefined {
  const encoded = /^Basic (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (encoded === undefined) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : [decoded.slice(0, colon), decoded.slice(colon + 1)];
}
