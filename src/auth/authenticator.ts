import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { serviceKey } from '../thingspace/catalogue';
import type { AccountConfig } from '../config';
import type { Secret } from '../util/secret';
import { AuthError } from './errors';
import type { AuthFailureReason } from './errors';

export type AuthResult = { ok: true; account: string } | { ok: false; error: AuthError };

export interface Authenticator {
  /**
   * Which account sent a callback for `service` with these credentials; names compare as `serviceKey` says (any
   * case, any known spelling). The Username picks the account (THINGSPACE.md §4: it tells accounts sharing a URL apart).
   */
  authenticate(service: string, username: string, password: Secret): AuthResult;
}

interface Account {
  name: string;
  password: Buffer;
  /** `serviceKey`s of its services; undefined for ["*"]. */
  services: ReadonlySet<string> | undefined;
}

function fail(reason: AuthFailureReason): AuthResult {
  return { ok: false, error: new AuthError(reason) };
}

/**
 * Constant time: both sides are hashed (SHA-256 behind a fixed-length salt born with the process, so the digests
 * are worthless outside it) and compared with timingSafeEqual. Accounts are looked up by the digest of the
 * username, so no comparison ever runs over the caller's text, and an unknown username is compared against a
 * dummy digest: every non-empty attempt costs two hashes and one comparison. Account digests are computed here,
 * once. One-shot `hash()`, not createHmac: an HMAC object per call imports its key every time, which cost a
 * sixth of the request path's CPU (bench/README.md).
 */
export function createAuthenticator(accounts: readonly AccountConfig[]): Authenticator {
  const salt = randomBytes(32).toString('hex');
  const digest = (text: string) => hash('sha256', salt + text, 'buffer');
  const lookupKey = (username: string) => hash('sha256', salt + username, 'base64');

  const byUsername = new Map<string, Account>();
  // The config allows one account per service here (an empty message names nobody, THINGSPACE.md §2).
  const emptyCredentials = new Map<string, string>();
  for (const account of accounts) {
    byUsername.set(lookupKey(account.username), {
      name: account.name,
      password: digest(account.password.reveal()),
      services: account.services[0] === '*' ? undefined : new Set(account.services.map(serviceKey)),
    });
    for (const service of account.allowEmptyCredentials)
      emptyCredentials.set(serviceKey(service), account.name);
  }
  const dummy = digest(randomBytes(32).toString('base64'));

  return {
    authenticate(service, username, password) {
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
      if (account.services !== undefined && !account.services.has(serviceKey(service))) {
        return fail('service-not-allowed');
      }
      return { ok: true, account: account.name };
    },
  };
}
