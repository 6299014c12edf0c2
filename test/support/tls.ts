/**
 * TLS for tests: a local certificate authority made with the `openssl` binary (node:crypto signs no
 * certificates), and an HTTPS client that says which protocol and certificate a request was answered with.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, type Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OutgoingHttpHeaders } from 'node:http';
import type { SecureVersion, TLSSocket } from 'node:tls';
import type { Answer } from './http';

/** A certificate and its key as PEM files. */
export interface Issued {
  certFile: string;
  keyFile: string;
  /** The certificate's PEM. */
  cert: string;
  /** As TLSSocket#getPeerCertificate() gives it. */
  fingerprint256: string;
}

export interface IssueOptions {
  /** A CA certificate (to sign others), not a server's. */
  ca?: boolean;
  /** Encrypt the key (AES-256) with this passphrase. */
  passphrase?: string;
}

const CA_EXTENSIONS = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign';
const SERVER_EXTENSIONS =
  'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth';

/** A root CA in a scratch directory, issuing certificates for localhost and 127.0.0.1 (EC P-256 keys). */
export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'bridge-pki-'));
  readonly root: Issued;
  private serial = 0;

  constructor() {
    this.root = this.sign('test-root-ca', CA_EXTENSIONS);
  }

  /** A certificate for CN=`name` signed by `issuer` (the root unless said); the files are new each call. */
  issue(name: string, issuer: Issued = this.root, options: IssueOptions = {}): Issued {
    const issued = this.sign(name, options.ca ? CA_EXTENSIONS : SERVER_EXTENSIONS, issuer);
    if (options.passphrase === undefined) return issued;
    const keyFile = issued.keyFile.replace(/\.key$/, '.enc.key');
    openssl([
      'pkey',
      '-in',
      issued.keyFile,
      '-aes256',
      '-passout',
      `pass:${options.passphrase}`,
      '-out',
      keyFile,
    ]);
    return { ...issued, keyFile };
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A new key and its certificate, signed by `issuer`, or by itself without one. */
  private sign(name: string, extensions: string, issuer?: Issued): Issued {
    const base = join(this.dir, `${name}-${++this.serial}`);
    const [keyFile, csr, ext, certFile] = ['.key', '.csr', '.ext', '.pem'].map((suffix) => base + suffix) as [
      string,
      string,
      string,
      string,
    ];
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
    openssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${name}`, '-out', csr]);
    writeFileSync(ext, `${extensions}\n`);
    const signer =
      issuer === undefined ? ['-key', keyFile] : ['-CA', issuer.certFile, '-CAkey', issuer.keyFile];
    openssl([
      'x509',
      '-req',
      '-in',
      csr,
      ...signer,
      '-set_serial',
      String(this.serial),
      '-days',
      '2',
      '-extfile',
      ext,
      '-out',
      certFile,
    ]);
    const fingerprint256 = openssl(['x509', '-in', certFile, '-noout', '-fingerprint', '-sha256'])
      .trim()
      .replace(/^.*=/, '');
    return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), fingerprint256 };
  }
}

function openssl(args: string[]): string {
  try {
    return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const { stderr, code } = err as { stderr?: string; code?: string };
    if (code === 'ENOENT') {
      throw new Error('these tests need the openssl binary (apt-get install openssl)', { cause: err });
    }
    throw new Error(`openssl ${args[0]} failed: ${stderr ?? String(err)}`, { cause: err });
  }
}

export interface TlsRequestOptions {
  /** The CAs the client trusts (PEM). */
  ca: string;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  /** OpenSSL's cipher list: `DEFAULT@SECLEVEL=0` lets a client offer TLS 1.1 at all. */
  ciphers?: string;
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
  /** A fresh connection per request (false, the default) or a pool. */
  agent?: Agent | false;
}

/** An answer over TLS, with what the handshake agreed. */
export interface TlsAnswer extends Answer {
  protocol: string | null;
  /** The server certificate's SHA-256 fingerprint. */
  fingerprint256: string;
  /** Whether the request went on a connection kept alive from an earlier one. */
  reusedSocket: boolean;
}

/** One HTTPS request to localhost:<port>, the name the test certificates carry; rejects only with a socket error. */
export function sendTls(port: number, path: string, options: TlsRequestOptions): Promise<TlsAnswer> {
  const { ca, minVersion, maxVersion, ciphers, method = 'POST', headers = {}, body, agent = false } = options;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: 'localhost',
        port,
        path,
        method,
        headers,
        agent,
        ca,
        minVersion,
        maxVersion,
        ciphers,
        family: 4,
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            protocol: socket.getProtocol(),
            fingerprint256: socket.getPeerCertificate().fingerprint256,
            reusedSocket: req.reusedSocket,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
