/**
 * HTTPS on the listeners (`http.tls`): the pair checked at load, the protocol versions offered, the chain sent,
 * and a certificate changed on disk served to new connections while open ones carry on.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'node:https';
import Koa from 'koa';
import { Listeners } from '../../../src/bridge/listeners';
import { loadCredentials } from '../../../src/bridge/tls';
import { parseConfig, type HttpConfig, type ListenerTlsConfig } from '../../../src/config';

import { Secret } from '../../../src/util/secret';
import { minimal } from '../config/helpers';
import { sendTls, TestPki, type Issued, type TlsRequestOptions } from '../../support/tls';
import { capturingLogger } from '../../support/logs';

let pki: TestPki;
let server: Issued;

beforeAll(() => {
  pki = new TestPki();
  server = pki.issue('localhost');
});
afterAll(() => pki.cleanup());

function tlsConfig(issued: Issued, more: Partial<ListenerTlsConfig> = {}): ListenerTlsConfig {
  return {
    certFile: issued.certFile,
    keyFile: issued.keyFile,
    minVersion: 'TLSv1.2',
    watchIntervalMs: 50,
    ...more,
  };
}

describe('loadCredentials', () => {
  it('takes a matching pair and says what the certificate is', async () => {
    const { summary, options } = await loadCredentials(tlsConfig(server));
    expect(summary.subject).toContain('CN=localhost');
    expect(summary.issuer).toContain('CN=test-root-ca');
    expect(summary.fingerprint256).toBe(server.fingerprint256);
    expect(options.minVersion).toBe('TLSv1.2');
  });

  it('refuses the key of another certificate, naming both files', async () => {
    const other = pki.issue('localhost');
    await expect(loadCredentials(tlsConfig(server, { keyFile: other.keyFile }))).rejects.toThrow(
      `http.tls: ${other.keyFile} is not the key of the certificate in ${server.certFile}`,
    );
  });

  it('opens an encrypted key with its passphrase, and refuses a wrong one without quoting it', async () => {
    const encrypted = pki.issue('localhost', pki.root, { passphrase: 'correct-horse' });
    const ok = await loadCredentials(tlsConfig(encrypted, { passphrase: new Secret('correct-horse') }));
    expect(ok.summary.fingerprint256).toBe(encrypted.fingerprint256);
    const wrong = loadCredentials(tlsConfig(encrypted, { passphrase: new Secret('wrong-battery') }));
    await expect(wrong).rejects.toThrow(`http.tls: ${encrypted.keyFile}: `);
    await expect(wrong).rejects.not.toThrow('wrong-battery');
  });

  it('names a file that cannot be read, and one that holds no certificate', async () => {
    await expect(loadCredentials(tlsConfig(server, { certFile: '/nonexistent/cert.pem' }))).rejects.toThrow(
      'http.tls: cannot read /nonexistent/cert.pem (ENOENT)',
    );
    const garbage = join(pki.dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate\n');
    await expect(loadCredentials(tlsConfig(server, { certFile: garbage }))).rejects.toThrow(
      `http.tls: ${garbage}: `,
    );
  });
});

describe('the listeners over TLS', () => {
  const logs: string[] = [];
  const logger = capturingLogger({ level: 'info' }, logs);
  const opened: Listeners[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((listeners) => listeners.close()));
    logs.length = 0;
  });

  /** Listeners with `http.tls` as given, one open answering `ok` to any request. */
  async function listen(tls: ListenerTlsConfig): Promise<number> {
    const { config } = parseConfig({ ...minimal(), http: { host: '127.0.0.1', port: 0 } }, {});
    const http: HttpConfig = { ...config.http, tls };
    const listeners = new Listeners(http, logger);
    opened.push(listeners);
    const app = new Koa().use((ctx) => {
      ctx.body = 'ok';
    });
    const listener = await listeners.open(app, undefined, 0);
    expect(listener.tls).toBe(true);
    return listener.port;
  }

  /** The server's alert, not the client giving up before it sent anything ("no protocols available"). */
  const PROTOCOL_VERSION_ALERT = /alert protocol version/;

  const get = (port: number, options: Partial<TlsRequestOptions> = {}) =>
    sendTls(port, '/', { ca: pki.root.cert, method: 'GET', ...options });

  it('offers TLS 1.2 and 1.3, and refuses a client that speaks TLS 1.1 at most', async () => {
    const port = await listen(tlsConfig(server));
    const tls12 = await get(port, { maxVersion: 'TLSv1.2' });
    expect([tls12.status, tls12.body, tls12.protocol]).toEqual([200, 'ok', 'TLSv1.2']);
    expect((await get(port, { minVersion: 'TLSv1.3' })).protocol).toBe('TLSv1.3');
    // SECLEVEL=0 makes the client's OpenSSL offer TLS 1.1 at all: the alert is the server's answer to it.
    const tls11 = get(port, { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
    await expect(tls11).rejects.toThrow(PROTOCOL_VERSION_ALERT);
  });

  it('with minVersion TLSv1.3, refuses a TLS 1.2 client', async () => {
    const port = await listen(tlsConfig(server, { minVersion: 'TLSv1.3' }));
    await expect(get(port, { maxVersion: 'TLSv1.2' })).rejects.toThrow(PROTOCOL_VERSION_ALERT);
  });

  it('sends the chainFile after a certificate an intermediate signed', async () => {
    const intermediate = pki.issue('test-intermediate-ca', pki.root, { ca: true });
    const leaf = pki.issue('localhost', intermediate);
    const without = await listen(tlsConfig(leaf));
    await expect(get(without)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    const port = await listen(tlsConfig(leaf, { chainFile: intermediate.certFile }));
    expect(await get(port)).toMatchObject({ status: 200, fingerprint256: leaf.fingerprint256 });
  });

  it('serves a certificate changed on disk to new connections; a kept-alive one carries on', async () => {
    const live = { certFile: join(pki.dir, 'live.pem'), keyFile: join(pki.dir, 'live.key') };
    const install = (issued: Issued) => {
      copyFileSync(issued.certFile, live.certFile);
      copyFileSync(issued.keyFile, live.keyFile);
    };
    install(server);
    const port = await listen(tlsConfig({ ...server, ...live }));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(port, { agent });
      expect(first.fingerprint256).toBe(server.fingerprint256);

      const renewed = pki.issue('localhost');
      install(renewed);
      await until(
        async () => (await get(port)).fingerprint256 === renewed.fingerprint256,
        'the renewed certificate',
      );
      expect(logs.some((line) => line.includes('http.tls: certificate reloaded'))).toBe(true);

      const again = await get(port, { agent });
      expect(again).toMatchObject({ status: 200, reusedSocket: true, fingerprint256: server.fingerprint256 });
    } finally {
      agent.destroy();
    }
  });

  it('goes on reloading when other listeners of the same files close (two nodes in one process)', async () => {
    const live = { certFile: join(pki.dir, 'shared.pem'), keyFile: join(pki.dir, 'shared.key') };
    copyFileSync(server.certFile, live.certFile);
    copyFileSync(server.keyFile, live.keyFile);
    await listen(tlsConfig({ ...server, ...live }));
    const port = await listen(tlsConfig({ ...server, ...live }));
    await opened[0]!.close();
    const renewed = pki.issue('localhost');
    copyFileSync(renewed.keyFile, live.keyFile);
    copyFileSync(renewed.certFile, live.certFile);
    await until(
      async () => (await get(port)).fingerprint256 === renewed.fingerprint256,
      'the renewed certificate',
    );
  });

  it('keeps serving the pair it has when the changed files do not make one', async () => {
    const live = { certFile: join(pki.dir, 'kept.pem'), keyFile: join(pki.dir, 'kept.key') };
    copyFileSync(server.certFile, live.certFile);
    copyFileSync(server.keyFile, live.keyFile);
    const port = await listen(tlsConfig({ ...server, ...live }));
    // A new certificate without its key: the renewal half written.
    copyFileSync(pki.issue('localhost').certFile, live.certFile);
    await until(async () => logs.some((line) => line.includes('do not load')), 'the reload error');
    const line = JSON.parse(logs.find((text) => text.includes('do not load'))!) as Record<string, unknown>;
    expect([line.level, String(line.reason)]).toEqual([
      'error',
      `http.tls: ${live.keyFile} is not the key of the certificate in ${live.certFile}`,
    ]);
    expect((await get(port)).fingerprint256).toBe(server.fingerprint256);
  });
});

async function until(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !(await check());) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
