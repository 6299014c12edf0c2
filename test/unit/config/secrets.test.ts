import { inspect } from 'node:util';
import { ConfigError, parseConfig } from '../../../src/config';
import { Secret } from '../../../src/util/secret';
import { minimal, PASSWORD, problems, scratch, thrown } from './helpers';

function withAccount(credentials: Record<string, unknown>): Record<string, unknown> {
  return {
    ...minimal(),
    accounts: [{ name: 'acme', username: 'acme-user', services: ['*'], ...credentials }],
  };
}

describe('secrets', () => {
  const files = scratch({
    'with-newline': `${PASSWORD}\n`,
    'with-crlf': `${PASSWORD}\r\n`,
    'two-newlines': `${PASSWORD}\n\n`,
    empty: '\n',
    'too-long': 'x'.repeat(257),
    'ca.pem': 'CA',
    'cert.pem': 'CERT',
    'key.pem': PASSWORD,
  });
  afterAll(files.cleanup);

  const parse = (input: Record<string, unknown>, env = {}) => parseConfig(input, env, { baseDir: files.dir });

  it('become Secrets, whichever way they are given', () => {
    const inline = parse(withAccount({ password: PASSWORD })).config.accounts[0]?.password;
    const fromFile = parse(withAccount({ passwordFile: 'with-newline' })).config.accounts[0]?.password;
    const fromEnv = parse(withAccount({ passwordEnv: 'ACME_PASSWORD' }), { ACME_PASSWORD: PASSWORD }).config
      .accounts[0]?.password;
    for (const secret of [inline, fromFile, fromEnv]) {
      expect(secret).toBeInstanceOf(Secret);
      expect(secret?.reveal()).toBe(PASSWORD);
    }
  });

  it('drop the sources they were read from', () => {
    const account = parse(withAccount({ passwordFile: 'with-newline' })).config.accounts[0];
    expect(Object.keys(account ?? {}).sort()).toEqual([
      'allowEmptyCredentials',
      'name',
      'password',
      'services',
      'username',
    ]);
  });

  it('lose exactly one trailing newline from a file', () => {
    expect(parse(withAccount({ passwordFile: 'with-crlf' })).config.accounts[0]?.password?.reveal()).toBe(
      PASSWORD,
    );
    expect(parse(withAccount({ passwordFile: 'two-newlines' })).config.accounts[0]?.password?.reveal()).toBe(
      `${PASSWORD}\n`,
    );
  });

  it('come from exactly one source', () => {
    expect(problems(withAccount({}))).toEqual([
      'accounts[0].password: one of password, passwordFile, passwordEnv is required',
    ]);
    expect(problems(withAccount({ password: PASSWORD, passwordFile: 'x', passwordEnv: 'Y' }))).toEqual([
      'accounts[0].passwordFile: give only one of password, passwordFile, passwordEnv',
      'accounts[0].passwordEnv: give only one of password, passwordFile, passwordEnv',
    ]);
  });

  it('report a missing variable or file by name, an empty or oversized one without its value', () => {
    expect(problems(withAccount({ passwordEnv: 'NOT_SET' }), { constructor: undefined })).toEqual([
      'accounts[0].passwordEnv: environment variable NOT_SET is not set',
    ]);
    expect(problems(withAccount({ passwordEnv: 'constructor' }))).toEqual([
      'accounts[0].passwordEnv: environment variable constructor is not set',
    ]);
    expect(problems(withAccount({ passwordEnv: 'EMPTY' }), { EMPTY: '' })).toEqual([
      'accounts[0].passwordEnv: environment variable EMPTY is empty',
    ]);
    expect(problems(withAccount({ passwordEnv: 'not a name' }))).toEqual([
      'accounts[0].passwordEnv: expected an environment variable name',
    ]);
    expect(problems(withAccount({ passwordFile: 'missing' }), {}, files.dir)).toEqual([
      `accounts[0].passwordFile: cannot read ${files.dir}/missing (ENOENT)`,
    ]);
    expect(problems(withAccount({ passwordFile: 'empty' }), {}, files.dir)).toEqual([
      'accounts[0].passwordFile: the file is empty',
    ]);
    expect(problems(withAccount({ passwordFile: 'too-long' }), {}, files.dir)).toEqual([
      'accounts[0].passwordFile: the file holds more than 256 characters',
    ]);
  });

  it('are reported missing even when their account has other problems', () => {
    expect(problems(withAccount({ name: '', passwordEnv: 'NOT_SET' }))).toEqual([
      expect.stringMatching(/^accounts\[0\]\.name: /),
      'accounts[0].passwordEnv: environment variable NOT_SET is not set',
    ]);
  });

  it('never appear in an error, whatever is wrong around them', () => {
    const error = thrown(() =>
      parse(
        {
          ...withAccount({ password: PASSWORD, name: 5, services: 'all', extra: PASSWORD }),
          kafka: { brokers: [PASSWORD], sasl: { mechanism: PASSWORD, username: 'u', passwordEnv: 'SASL' } },
          schemaRegistry: { url: `https://user:${PASSWORD}@registry`, auth: { username: 'u', password: 42 } },
        },
        { SASL: PASSWORD, BRIDGE_PORT: PASSWORD },
      ),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.issues.length).toBeGreaterThan(5);
    for (const text of [error.message, JSON.stringify(error.issues), inspect(error), String(error.stack)]) {
      expect(text).not.toContain(PASSWORD);
    }
  });

  it('never appear in the serialized config', () => {
    const { config } = parse(
      {
        ...withAccount({ passwordFile: 'with-newline' }),
        kafka: {
          brokers: ['k:1'],
          tls: { enabled: true, caFile: 'ca.pem', certFile: 'cert.pem', keyFile: 'key.pem' },
          sasl: { mechanism: 'scram-sha-512', username: 'bridge', passwordEnv: 'SASL' },
        },
        schemaRegistry: { url: 'https://registry', auth: { username: 'reg', password: PASSWORD } },
      },
      { SASL: PASSWORD },
    );
    expect(JSON.stringify(config)).not.toContain(PASSWORD);
    expect(inspect(config, { depth: Infinity })).not.toContain(PASSWORD);
    expect(config.kafka.sasl?.password.reveal()).toBe(PASSWORD);
    expect(config.schemaRegistry.auth?.password.reveal()).toBe(PASSWORD);
    expect(config.kafka.tls).toMatchObject({ enabled: true, ca: 'CA', cert: 'CERT' });
    expect(config.kafka.tls.key).toBeInstanceOf(Secret);
    expect(config.kafka.tls.key?.reveal()).toBe(PASSWORD);
  });

  it('TLS files: read at start, and the key and certificate go together', () => {
    expect(
      problems(
        { ...minimal(), kafka: { brokers: ['k:1'], tls: { enabled: true, keyFile: 'key.pem' } } },
        {},
        files.dir,
      ),
    ).toEqual(['kafka.tls.certFile: certFile and keyFile go together']);
    expect(
      problems(
        { ...minimal(), kafka: { brokers: ['k:1'], tls: { enabled: true, caFile: 'nope.pem' } } },
        {},
        files.dir,
      ),
    ).toEqual([`kafka.tls.caFile: cannot read ${files.dir}/nope.pem (ENOENT)`]);
  });
});

describe('path tokens', () => {
  // 32 random bytes, base64url: what `openssl rand` gives; invented for this test.
  const TOKEN = 'q3Zr8vX1mN0pL5tY7wK2bH9cJ4dF6gS1aE3uI8oR0eT';
  const files = scratch({ token: `${TOKEN}\n`, short: 'only-twenty-one-chars\n' });
  afterAll(files.cleanup);

  const parse = (input: Record<string, unknown>, env = {}) => parseConfig(input, env, { baseDir: files.dir });
  const tokenOnly = (token: Record<string, unknown>, name = 'acme') => ({
    name,
    services: ['*'],
    ...token,
  });

  it('become Secrets, from inline, a file or a variable, like passwords', () => {
    for (const [source, env] of [
      [{ pathToken: TOKEN }, {}],
      [{ pathTokenFile: 'token' }, {}],
      [{ pathTokenEnv: 'ACME_TOKEN' }, { ACME_TOKEN: TOKEN }],
    ] as const) {
      const account = parse({ ...minimal(), accounts: [tokenOnly(source)] }, env).config.accounts[0]!;
      expect(account.pathToken).toBeInstanceOf(Secret);
      expect(account.pathToken?.reveal()).toBe(TOKEN);
      expect(Object.keys(account).sort()).toEqual(['allowEmptyCredentials', 'name', 'pathToken', 'services']);
      expect(JSON.stringify(account)).not.toContain(TOKEN);
    }
  });

  it('hold at least 22 characters of the base64url alphabet, wherever they come from', () => {
    expect(
      problems({
        ...minimal(),
        accounts: [
          tokenOnly({ pathToken: 'a'.repeat(21) }),
          tokenOnly({ pathToken: `${TOKEN.slice(0, 30)}+/` }, 'b'),
          tokenOnly({ pathToken: 'x'.repeat(129) }, 'c'),
        ],
      }),
    ).toEqual([
      'accounts[0].pathToken: expected 22-128 characters of A-Z a-z 0-9 - _ (128 bits or more)',
      'accounts[1].pathToken: expected 22-128 characters of A-Z a-z 0-9 - _ (128 bits or more)',
      'accounts[2].pathToken: expected 22-128 characters of A-Z a-z 0-9 - _ (128 bits or more)',
    ]);
    expect(
      problems({ ...minimal(), accounts: [tokenOnly({ pathTokenFile: 'short' })] }, {}, files.dir),
    ).toEqual([
      'accounts[0].pathTokenFile: the file does not hold 22-128 characters of A-Z a-z 0-9 - _ (128 bits or more)',
    ]);
    expect(
      problems({ ...minimal(), accounts: [tokenOnly({ pathTokenEnv: 'T' })] }, { T: `${TOKEN} ` }),
    ).toEqual([
      'accounts[0].pathTokenEnv: environment variable T does not hold 22-128 characters of A-Z a-z 0-9 - _ (128 bits or more)',
    ]);
  });

  it('come from one source, are unique across accounts, and never appear in a problem', () => {
    const error = thrown(() =>
      parse({
        ...minimal(),
        accounts: [
          tokenOnly({ pathToken: TOKEN, pathTokenEnv: 'X' }),
          tokenOnly({ pathToken: TOKEN }, 'beta'),
          { name: 'gamma', username: 'g', password: 'p', services: ['*'], pathToken: TOKEN },
        ],
      }),
    );
    expect(error.issues.map(({ path, message }) => `${path}: ${message}`)).toEqual([
      'accounts[0].pathTokenEnv: give only one of pathToken, pathTokenFile, pathTokenEnv',
      'accounts[2].pathToken: same pathToken as accounts[1]',
    ]);
    for (const text of [error.message, JSON.stringify(error.issues), inspect(error)]) {
      expect(text).not.toContain(TOKEN);
    }
  });
});
