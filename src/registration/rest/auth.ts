/**
 * The two tokens every call of the REST M2M API carries (THINGSPACE.md §6), fetched when first needed and kept:
 *
 *   OAuth2 access token   POST <oauthTokenUrl>  Basic base64(appKey:appSecret), grant_type=client_credentials
 *                         -> {access_token, expires_in}                      sent as `Authorization: Bearer`
 *   M2M session token     POST <restUrl>/session/login {username, password} (with the bearer)
 *                         -> {sessionToken}                                   sent as `VZ-M2M-Token`
 *
 * The access token is fetched anew shortly before `expires_in` runs out; the session's lifetime is not in its
 * answer, so an expired session shows as a 401, after which the caller drops both (`invalidate`) and calls again.
 * Tokens and credentials are held as Secrets and revealed only into headers and bodies.
 */
import { Secret } from '../../util/secret';
import { RestAuthFailedError, RestBadResponseError, RestError, RestHttpStatusError } from '../errors';
import { restCall } from './http';
import type { RestHttpOptions } from './http';

export interface RestCredentials {
  oauthTokenUrl: string;
  /** Base of the M2M API, e.g. `https://thingspace.verizon.com/api/m2m/v1`. */
  restUrl: string;
  appKey: Secret;
  appSecret: Secret;
  /** The API user of the M2M session. */
  username: string;
  password: Secret;
}

/** Fetch the access token again this long before it expires (or at half its life, if that is sooner). */
const EXPIRY_MARGIN_MS = 30_000;

interface AccessToken {
  token: Secret;
  /** Epoch ms after which it is fetched anew; Infinity when the answer gave no lifetime. */
  renewAt: number;
}

export class RestAuth {
  readonly #http: RestHttpOptions;
  readonly #credentials: RestCredentials;
  readonly #now: () => number;
  #access: AccessToken | undefined;
  #session: Secret | undefined;

  constructor(http: RestHttpOptions, credentials: RestCredentials, now: () => number = Date.now) {
    this.#http = http;
    this.#credentials = credentials;
    this.#now = now;
  }

  /** The headers of an M2M call: both tokens, fetched first when missing or expired. */
  async headers(): Promise<Record<string, string>> {
    const access = await this.#accessToken();
    // Only ever missing together with a fresh access token (at first, after invalidate()): a refused login is
    // the API user's fault, not an expired bearer's.
    this.#session ??= await this.#logIn(access).catch((err: unknown) => {
      throw loginFailure(err);
    });
    return { authorization: `Bearer ${access.reveal()}`, 'vz-m2m-token': this.#session.reveal() };
  }

  /** Forgets both tokens: the next call fetches them anew (after a 401). */
  invalidate(): void {
    this.#access = undefined;
    this.#session = undefined;
  }

  async #accessToken(): Promise<Secret> {
    if (this.#access !== undefined && this.#now() < this.#access.renewAt) return this.#access.token;
    const { oauthTokenUrl, appKey, appSecret } = this.#credentials;
    const basic = Buffer.from(`${appKey.reveal()}:${appSecret.reveal()}`).toString('base64');
    let answer: unknown;
    try {
      answer = await restCall(this.#http, {
        operation: 'POST oauth2/token',
        method: 'POST',
        url: oauthTokenUrl,
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
    } catch (err) {
      if (!isRefusal(err)) throw err;
      throw new RestAuthFailedError('POST oauth2/token', 'the app key and secret were not accepted', err);
    }
    const { access_token: token, expires_in: expiresIn } = (answer ?? {}) as Record<string, unknown>;
    if (typeof token !== 'string' || token === '') {
      throw new RestBadResponseError('POST oauth2/token', 'no access_token in the answer');
    }
    this.#access = { token: new Secret(token), renewAt: this.#renewAt(expiresIn) };
    return this.#access.token;
  }

  #renewAt(expiresIn: unknown): number {
    if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn < 0) return Infinity;
    const lifeMs = expiresIn * 1000;
    return this.#now() + lifeMs - Math.min(EXPIRY_MARGIN_MS, lifeMs / 2);
  }

  async #logIn(access: Secret): Promise<Secret> {
    const { restUrl, username, password } = this.#credentials;
    const answer = await restCall(this.#http, {
      operation: 'POST /session/login',
      method: 'POST',
      url: `${restUrl.replace(/\/+$/, '')}/session/login`,
      headers: { authorization: `Bearer ${access.reveal()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: password.reveal() }),
    });
    const { sessionToken } = (answer ?? {}) as Record<string, unknown>;
    if (typeof sessionToken !== 'string' || sessionToken === '') {
      throw new RestBadResponseError('POST /session/login', 'no sessionToken in the answer');
    }
    return new Secret(sessionToken);
  }
}

/** The platform refused (a 4xx), as opposed to failing (5xx), not answering, or answering nonsense. */
function isRefusal(err: unknown): boolean {
  return (err instanceof RestError || err instanceof RestHttpStatusError) && err.status < 500;
}

/** A refused login is the credentials' fault; anything else stays what it is. */
function loginFailure(err: unknown): unknown {
  if (!isRefusal(err)) return err;
  return new RestAuthFailedError(
    'POST /session/login',
    'the API user (username, password) was not accepted',
    err,
  );
}
