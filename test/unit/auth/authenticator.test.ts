// The default import is the module object itself (a namespace import is a frozen copy), so spies reach the code.
import crypto from 'node:crypto';
import { AUTH_FAILURE_REASONS, AuthError, createAuthenticator } from '../../../src/auth';
import type { AuthResult } from '../../../src/auth';
import type { AccountConfig } from '../../../src/config';
import { BridgeError } from '../../../src/errors';
import { Secret } from '../../../src/util/secret';

const ACME_PASSWORD = 'acme-Pa55word';

function account(over: Partial<AccountConfig> & Pick<AccountConfig, 'name' | 'username'>): AccountConfig {
  return {
    password: new Secret(`${over.name}-password`),
    services: ['*'],
    allowEmptyCredentials: [],
    ...over,
  };
}

const accounts: AccountConfig[] = [
  account({ name: 'acme', username: 'acme-user', password: new Secret(ACME_PASSWORD) }),
  account({
    name: 'beta',
    username: 'beta-user',
    services: ['CarrierService', 'PromoChanges', 'SMSDeliveryConfirmation'],
    allowEmptyCredentials: ['SMSDeliveryConfirmation'],
  }),
  account({
    name: 'gamma',
    username: 'gamma-user',
    services: ['DeviceUsage'],
    allowEmptyCredentials: ['deviceusage'],
  }),
];

const auth = createAuthenticator(accounts);
const empty = new Secret('');

function reason(result: AuthResult): string {
  return result.ok ? `ok:${result.account}` : result.error.reason;
}

describe('createAuthenticator', () => {
  afterEach(() => jest.restoreAllMocks());

  it('finds the account by username and checks its password', () => {
    expect(auth.authenticate('CarrierService', 'acme-user', new Secret(ACME_PASSWORD))).toEqual({
      ok: true,
      account: 'acme',
    });
    expect(reason(auth.authenticate('CarrierService', 'beta-user', new Secret('beta-password')))).toBe(
      'ok:beta',
    );
  });

  it.each([
    ['unknown-user', 'CarrierService', 'nobody', ACME_PASSWORD],
    ['bad-password', 'CarrierService', 'acme-user', 'beta-password'],
    ['bad-password', 'CarrierService', 'acme-user', `${ACME_PASSWORD} `],
    ['bad-password', 'CarrierService', 'acme-user', ACME_PASSWORD.toUpperCase()],
    ['unknown-user', 'CarrierService', 'ACME-USER', ACME_PASSWORD],
    ['service-not-allowed', 'DeviceUsage', 'beta-user', 'beta-password'],
    ['empty-credentials', 'CarrierService', '', ''],
    ['empty-credentials', 'CarrierService', 'acme-user', ''],
    ['empty-credentials', 'SMSDeliveryConfirmation', '', 'beta-password'],
  ])('refuses with reason %s: %s, %j', (expected, service, username, password) => {
    const result = auth.authenticate(service, username, new Secret(password));
    expect(reason(result)).toBe(expected);
  });

  it('checks the service only once the credentials are right', () => {
    expect(reason(auth.authenticate('DeviceUsage', 'beta-user', new Secret('wrong')))).toBe('bad-password');
  });

  it('lets ["*"] accounts receive any service, known or not', () => {
    for (const service of ['DeviceUsage', 'SomeFutureService']) {
      expect(reason(auth.authenticate(service, 'acme-user', new Secret(ACME_PASSWORD)))).toBe('ok:acme');
    }
  });

  it('compares service names in any case and spelling', () => {
    const beta = new Secret('beta-password');
    expect(reason(auth.authenticate('PromoChange', 'beta-user', beta))).toBe('ok:beta');
    expect(reason(auth.authenticate('promochanges', 'beta-user', beta))).toBe('ok:beta');
    expect(reason(auth.authenticate('CARRIERSERVICE', 'beta-user', beta))).toBe('ok:beta');
  });

  it('takes empty credentials as the one account allowing them for that service', () => {
    expect(reason(auth.authenticate('SMSDeliveryConfirmation', '', empty))).toBe('ok:beta');
    expect(reason(auth.authenticate('smsdeliveryconfirmation', '', empty))).toBe('ok:beta');
    expect(reason(auth.authenticate('DeviceUsage', '', empty))).toBe('ok:gamma');
    expect(reason(auth.authenticate('CarrierService', '', empty))).toBe('empty-credentials');
  });

  it('does the same work for an unknown username as for a known one', () => {
    const hash = jest.spyOn(crypto, 'hash');
    const compare = jest.spyOn(crypto, 'timingSafeEqual');
    const work = (username: string) => {
      hash.mockClear();
      compare.mockClear();
      auth.authenticate('CarrierService', username, new Secret('some-guess'));
      const compared = compare.mock.calls.map((args) => args.map((buffer) => (buffer as Buffer).length));
      return { hashes: hash.mock.calls.length, compared };
    };
    const known = work('acme-user');
    const unknown = work('nobody-at-all-with-a-long-name');
    // Two digests (username, password), one comparison of two SHA-256 digests: whether or not the user exists.
    expect(known).toEqual({ hashes: 2, compared: [[32, 32]] });
    expect(unknown).toEqual(known);
  });

  it('computes the accounts’ digests once, at construction', () => {
    const hash = jest.spyOn(crypto, 'hash');
    const many = createAuthenticator(
      Array.from({ length: 50 }, (_, i) => account({ name: `a${i}`, username: `user-${i}` })),
    );
    hash.mockClear();
    many.authenticate('CarrierService', 'user-7', new Secret('a7-password'));
    expect(hash).toHaveBeenCalledTimes(2);
  });

  it('never reveals why, nor echoes the credentials', () => {
    const messages = new Set<string>();
    for (const [username, password, service] of [
      ['nobody', ACME_PASSWORD, 'CarrierService'],
      ['acme-user', 'wrong-guess', 'CarrierService'],
      ['beta-user', 'beta-password', 'DeviceUsage'],
      ['', '', 'CarrierService'],
    ] as const) {
      const result = auth.authenticate(service, username, new Secret(password));
      if (result.ok) throw new Error('expected a refusal');
      messages.add(result.error.message);
      const seen = [result.error.message, JSON.stringify(result.error), String(result.error.stack)].join(
        '\n',
      );
      for (const credential of [username, password].filter((text) => text !== '')) {
        expect(seen).not.toContain(credential);
      }
    }
    expect([...messages]).toEqual(['authentication failed']);
  });
});

describe('AuthError', () => {
  it.each(AUTH_FAILURE_REASONS)('%s: AUTH_FAILED, 401, Client fault, shown, not retried', (why) => {
    const error = new AuthError(why);
    expect(error).toBeInstanceOf(BridgeError);
    expect(error).toMatchObject({
      code: 'AUTH_FAILED',
      status: 401,
      faultCode: 'Client',
      expose: true,
      retriable: false,
      name: 'AuthError',
      reason: why,
      message: 'authentication failed',
    });
  });
});
