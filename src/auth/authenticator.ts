import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { serviceKey } from '../thingspace/catalogue';
import type { AccountConfig } from '../config';
import type { Secret } from '../util/secret';
import { AuthError } from './errors';
import type { AuthFailureReason } from './errors';

export type AuthResult = { ok: true; account: string } | { ok: false; error: AuthError };

/** An account picked by its secret path token (`/callbacks/<token>/<Service>`). Holds nothing secret. */
export interface PathAccount {
  readonly name: string;
}

export interface Authenticator {
  /**
   * The account whose path token this is, or undefined. The token is looked up by its salted digest, so no
   * comparison runs over the caller's text.
   */
  pathAccount(token: string): PathAccount | undefined;
  /**
   * Which account sent a callback for `service` with these credentials; names compare as `serviceKey` says (any
   * case, any known spelling). The Username picks the account (THINGSPACE.md §4: it tells accounts sharing a URL
   * apart), unless the URL's path token already did (`via`): then the credentials must be empty, or that
   * account's own.
   */
  authenticate(service: string, username: string, password: Secret, via?: PathAccount): AuthResult;
}

interface Account extends PathAccount {
  /** Digests of the username and password; undefined for an account known only by its path token. */
  username: Buffer | undefined;
  password: Buffer | undefined;
  /** `serviceKey`s of its services; undefined for ["*"]. */
  services: ReadonlySet<string> | undefined;
}

function fail(reason: AuthFailureReason): AuthResult {
  return { ok: false, error: new AuthError(reason) };
}

/**
 * Constant time: both sides are hashed (SHA-256 behind a fixed-length salt born with the process, so the digests
 * are worthless outside it) and compared with timingSafeEqual. Accounts are looked up by the digest of the
 * username or path token, so no comparison ever runs over the caller's text, and a missing account or credential
 * is compared against a dummy digest: every non-empty attempt costs the same hashes and comparisons. Account
 * digests are computed here, once. One-shot `hash()`, not createHmac: an HMAC object per call imports its key
 * every time, which cost a sixth of the request path's CPU (bench/README.md).
 */
export function createAuthenticator(accounts: readonly AccountConfig[]): Authenticator {
  const salt = randomBytes(32).toString('hex');
  const digest = (text: string) => hash('sha256', salt + text, 'buffer');
  const lookupKey = (text: string) => hash('sha256', salt + text, 'base64');

  const byUsername = new Map<string, Account>();
  const byPathToken = new Map<string, Account>();
  const own = new Set<PathAccount>();
  // The config allows one account per service here (an empty message names nobody, THINGSPACE.md §2).
  const emptyCredentials = new Map<string, string>();
  for (const config of accounts) {
    const account: Account = {
      name: config.name,
      username: config.username === undefined ? undefined : digest(config.username),
      password: config.password === undefined ? undefined : digest(config.password.reveal()),
      services: config.services[0] === '*' ? undefined : new Set(config.services.map(serviceKey)),
    };
    own.add(account);
    if (config.username !== undefined) byUsername.set(lookupKey(config.username), account);
    if (config.pathToken !== undefined) byPathToken.set(lookupKey(config.pathToken.reveal()), account);
    for (const service of config.allowEmptyCredentials)
      emptyCredentials.set(serviceKey(service), account.name);
  }
  const dummy = digest(randomBytes(32).toString('base64'));

  function admitted(account: Account, service: string): AuthResult {
    if (account.services !== undefined && !account.services.has(serviceKey(service))) {
      return fail('service-not-allowed');
    }
    return { ok: true, account: account.name };
  }

  /** The token picked the account; credentials in the message may only confirm it. */
  function viaPathToken(account: Account, service: string, username: string, password: Secret): AuthResult {
    // Nothing secret here: emptiness is visible to whoever sent the message.
    if (username !== '' || !password.isEmpty) {
      const sameUser = timingSafeEqual(digest(username), account.username ?? dummy);
      const samePassword = timingSafeEqual(digest(password.reveal()), account.password ?? dummy);
      if (!sameUser) return fail('unknown-user');
      if (!samePassword) return fail('bad-password');
    }
    return admitted(account, service);
  }

  return {
    pathAccount(token) {
      return byPathToken.get(lookupKey(token));
    },

    authenticate(service, username, password, via) {
      if (via !== undefined) {
        // A PathAccount comes from pathAccount() above; anything else is a wiring bug, not a caller's mistake.
        if (!own.has(via)) throw new Error('authenticate: an account of another authenticator');
        return viaPathToken(via as Account, service, username, password);
      }
      // Nothing secret to protect on this path: emptiness is visible to whoever sent the message.
      if (username === '' || password.isEmpty) {
        const account =
          username === '' && password.isEmpty ? emptyCredentials.get(serviceKey(service)) : undefined;
        return account === undefined ? fail('empty-credentials') : { ok: true, account };
      }
      const account = byUsername.get(lookupKey(username));
      const matches = timingSafeEqual(digest(password.reveal()), account?.password ?? dummy);
      if (account === undefined) return fail('unknown-user');
      if (!matches) return fail('bad-password');
      return admitted(account, service);
    },
  };
}
