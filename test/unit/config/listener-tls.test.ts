import { parseConfig } from '../../../src/config';
import { minimal, problems, scratch } from './helpers';

describe('parseConfig: http.tls', () => {
  const files = {
    'cert.pem': 'CERT\n',
    'key.pem': 'KEY\n',
    'chain.pem': 'CHAIN\n',
    'pass.txt': 'open-sesame\n',
  };
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = scratch(files)));
  afterAll(() => cleanup());

  const withTls = (tls: unknown) => ({ ...minimal(), http: { tls } });

  it('is absent unless given: plain HTTP', () => {
    expect(parseConfig(minimal(), {}).config.http.tls).toBeUndefined();
  });

  it('keeps the files as absolute paths from the config file’s directory, with TLS 1.2 the oldest version', () => {
    const { config } = parseConfig(
      withTls({ certFile: 'cert.pem', keyFile: 'key.pem', chainFile: 'chain.pem' }),
      {},
      {
        baseDir: dir,
      },
    );
    expect(config.http.tls).toEqual({
      certFile: `${dir}/cert.pem`,
      keyFile: `${dir}/key.pem`,
      chainFile: `${dir}/chain.pem`,
      minVersion: 'TLSv1.2',
      watchIntervalMs: 5_000,
    });
  });

  it('takes the key’s passphrase as a secret, from a file or a variable, never shown', () => {
    const fromFile = parseConfig(
      withTls({ certFile: 'cert.pem', keyFile: 'key.pem', passphraseFile: 'pass.txt' }),
      {},
      { baseDir: dir },
    ).config.http.tls!;
    expect(fromFile.passphrase?.reveal()).toBe('open-sesame');
    expect(JSON.stringify(fromFile)).not.toContain('open-sesame');
    const fromEnv = parseConfig(
      withTls({ certFile: 'cert.pem', keyFile: 'key.pem', passphraseEnv: 'KEY_PASSPHRASE' }),
      { KEY_PASSPHRASE: 'from-env' },
      { baseDir: dir },
    ).config.http.tls!;
    expect(fromEnv.passphrase?.reveal()).toBe('from-env');
  });

  it('warns that TLS 1.3 alone locks the platform out', () => {
    const tls = { certFile: 'cert.pem', keyFile: 'key.pem' };
    const warningsWith = (more: object) =>
      parseConfig(withTls({ ...tls, ...more }), {}, { baseDir: dir }).warnings.filter((text) =>
        text.startsWith('http.tls'),
      );
    expect(warningsWith({})).toEqual([]);
    expect(warningsWith({ minVersion: 'TLSv1.3' })).toEqual([
      "http.tls.minVersion is TLSv1.3: ThingSpace's senders, which speak TLS 1.2, cannot connect",
    ]);
  });

  it('reports every problem at once: a missing key, unreadable files, an old version, two passphrases', () => {
    expect(
      problems(
        withTls({
          certFile: 'missing.pem',
          chainFile: 'nowhere.pem',
          minVersion: 'TLSv1.1',
          passphrase: 'a',
          passphraseEnv: 'B',
        }),
        {},
        dir,
      ),
    ).toEqual([
      'http.tls.keyFile: required',
      expect.stringMatching(/^http\.tls\.minVersion: /),
      'http.tls.passphraseEnv: give only one of passphrase, passphraseFile, passphraseEnv',
      `http.tls.certFile: cannot read ${dir}/missing.pem (ENOENT)`,
      `http.tls.chainFile: cannot read ${dir}/nowhere.pem (ENOENT)`,
    ]);
  });
});
