// The default import is the module object itself (a namespace import is a frozen copy), so spies reach the code.
import crypto from 'node:crypto';
import { AUTH_FAILURE_REASONS, AuthError, createAuthenticator } from '../../../src/auth';
import type { AuthResult } from '../../../src/auth';
import type { AccountConfig } from '../../../src/config';
import { BridgeError } from '../../../src/errors';
import { Secret } from '../../../src/util/secret';

const ACME_PASSWORD = 'acme-Pa55word';

function account(over: Partial<AccountConfig> & Pick<AccountConfig, 'name'>): AccountConfig {
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

describe('path tokens', () => {
  const DELTA_TOKEN = 'dGVzdC10b2tlbi1kZWx0YS0x';
  const EPSILON_TOKEN = 'dGVzdC10b2tlbi1lcHNpbG9u';
  const withTokens = createAuthenticator([
    ...accounts,
    // Known only by its token: registered without credentials.
    {
      name: 'delta',
      services: ['CarrierService'],
      allowEmptyCredentials: [],
      pathToken: new Secret(DELTA_TOKEN),
    },
    account({
      name: 'epsilon',
      username: 'epsilon-user',
      password: new Secret('epsilon-password'),
      pathToken: new Secret(EPSILON_TOKEN),
    }),
  ]);
  const via = (token: string) => withTokens.pathAccount(token)!;

  afterEach(() => jest.restoreAllMocks());

  it('finds the account of a token, and none for any other text', () => {
    expect(withTokens.pathAccount(DELTA_TOKEN)?.name).toBe('delta');
    expect(withTokens.pathAccount(EPSILON_TOKEN)?.name).toBe('epsilon');
    for (const other of [
      '',
      DELTA_TOKEN.toLowerCase(),
      `${DELTA_TOKEN}x`,
      DELTA_TOKEN.slice(1),
      'acme-user',
    ]) {
      expect(withTokens.pathAccount(other)).toBeUndefined();
    }
    // Tokens and usernames are separate: a username is no token.
    expect(withTokens.pathAccount('epsilon-user')).toBeUndefined();
  });

  it("takes empty credentials as the token's account, for its services only", () => {
    expect(reason(withTokens.authenticate('CarrierService', '', empty, via(DELTA_TOKEN)))).toBe('ok:delta');
    expect(reason(withTokens.authenticate('carrierservice', '', empty, via(DELTA_TOKEN)))).toBe('ok:delta');
    expect(reason(withTokens.authenticate('DeviceUsage', '', empty, via(DELTA_TOKEN)))).toBe(
      'service-not-allowed',
    );
    expect(reason(withTokens.authenticate('DeviceUsage', '', empty, via(EPSILON_TOKEN)))).toBe('ok:epsilon');
  });

  it("takes the account's own credentials with its token, and no one else's", () => {
    const epsilon = via(EPSILON_TOKEN);
    expect(
      reason(
        withTokens.authenticate('CarrierService', 'epsilon-user', new Secret('epsilon-password'), epsilon),
      ),
    ).toBe('ok:epsilon');
    expect(
      reason(withTokens.authenticate('CarrierService', 'epsilon-user', new Secret('wrong'), epsilon)),
    ).toBe('bad-password');
    // Another account's valid credentials do not make the token theirs, nor theirs the token's.
    expect(
      reason(withTokens.authenticate('CarrierService', 'acme-user', new Secret(ACME_PASSWORD), epsilon)),
    ).toBe('unknown-user');
    // Half the credentials is not empty credentials.
    expect(reason(withTokens.authenticate('CarrierService', 'epsilon-user', empty, epsilon))).toBe(
      'bad-password',
    );
    expect(
      reason(withTokens.authenticate('CarrierService', '', new Secret('epsilon-password'), epsilon)),
    ).toBe('unknown-user');
    // An account without credentials takes none.
    expect(
      reason(
        withTokens.authenticate('CarrierService', 'acme-user', new Secret(ACME_PASSWORD), via(DELTA_TOKEN)),
      ),
    ).toBe('unknown-user');
  });

  it('leaves the routes without a token as they were: a token-only account is reached by its token alone', () => {
    expect(
      reason(withTokens.authenticate('CarrierService', 'epsilon-user', new Secret('epsilon-password'))),
    ).toBe('ok:epsilon');
    expect(reason(withTokens.authenticate('CarrierService', '', empty))).toBe('empty-credentials');
  });

  it('does the same work whether or not the credentials match, and whether or not the account has any', () => {
    const hash = jest.spyOn(crypto, 'hash');
    const compare = jest.spyOn(crypto, 'timingSafeEqual');
    const work = (token: string, username: string, password: string) => {
      const account = via(token);
      hash.mockClear();
      compare.mockClear();
      withTokens.authenticate('CarrierService', username, new Secret(password), account);
      const compared = compare.mock.calls.map((args) => args.map((buffer) => (buffer as Buffer).length));
      return { hashes: hash.mock.calls.length, compared };
    };
    const right = work(EPSILON_TOKEN, 'epsilon-user', 'epsilon-password');
    expect(right).toEqual({
      hashes: 2,
      compared: [
        [32, 32],
        [32, 32],
      ],
    });
    expect(work(EPSILON_TOKEN, 'someone-else', 'a-guess')).toEqual(right);
    expect(work(DELTA_TOKEN, 'epsilon-user', 'epsilon-password')).toEqual(right);
  });

  it('looks a token up by its digest: one hash, no comparison over the text', () => {
    const hash = jest.spyOn(crypto, 'hash');
    const compare = jest.spyOn(crypto, 'timingSafeEqual');
    hash.mockClear();
    compare.mockClear();
    withTokens.pathAccount(`${DELTA_TOKEN.slice(0, -1)}x`);
    expect(hash).toHaveBeenCalledTimes(1);
    expect(compare).not.toHaveBeenCalled();
  });

  it("refuses another authenticator's account: a wiring bug", () => {
    expect(() => auth.authenticate('CarrierService', '', empty, via(DELTA_TOKEN))).toThrow(
      'an account of another authenticator',
    );
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
