/**
 * The listeners' certificate (`http.tls`): read at start, then watched and reloaded when its files change, so a
 * renewed certificate (cert-manager, certbot) serves new connections without a restart while open connections
 * keep the one they began with. A pair that does not load (a half-written renewal, a key of another certificate)
 * is logged and the pair in use kept.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContextOptions, type Server } from 'node:tls';
import type { ListenerTlsConfig } from '../config';
import type { Logger } from '../observability';

/** What a log line says of a certificate: never anything of the key. */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  validTo: string;
  fingerprint256: string;
}

/** A checked pair, as node:https takes it. */
export interface ServerCredentials {
  options: SecureContextOptions;
  summary: CertificateSummary;
}

/** Reads the files and checks that they make a usable pair; throws an Error naming the problem, never the key. */
export async function loadCredentials(tls: ListenerTlsConfig): Promise<ServerCredentials> {
  const read = async (path: string) => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new Error(`http.tls: cannot read ${path} (${code})`, { cause: err });
    }
  };
  const [leaf, key, chain] = await Promise.all([
    read(tls.certFile),
    read(tls.keyFile),
    tls.chainFile === undefined ? undefined : read(tls.chainFile),
  ]);
  // The server sends `cert` as its chain: the certificate first, then the intermediates (node:tls, `cert`).
  const cert = chain === undefined ? leaf : `${leaf.trimEnd()}\n${chain}`;
  const passphrase = tls.passphrase?.reveal();
  const certificate = parse(tls.certFile, () => new X509Certificate(cert));
  const privateKey = parse(tls.keyFile, () => createPrivateKey({ key, passphrase }));
  // OpenSSL drops a key that does not match the certificate without a word, and every handshake then fails.
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new Error(`http.tls: ${tls.keyFile} is not the key of the certificate in ${tls.certFile}`);
  }
  const options: SecureContextOptions = { cert, key, passphrase, minVersion: tls.minVersion };
  parse(tls.certFile, () => createSecureContext(options));
  const { subject, issuer, validTo, fingerprint256 } = certificate;
  return { options, summary: { subject, issuer, validTo, fingerprint256 } };
}

function parse<T>(file: string, make: () => T): T {
  try {
    return make();
  } catch (err) {
    // OpenSSL's reasons ("bad decrypt", "no start line") name no secret.
    throw new Error(`http.tls: ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** The credentials every TLS listener serves, kept current with the files while watched. */
export class ListenerCredentials {
  private readonly servers = new Set<Server>();
  private reloading: Promise<void> | undefined;
  private changedAgain = false;
  private watching = false;
  /** This instance's own listener: unwatchFile without it would stop every watcher of the path in the process. */
  private readonly onChange = () => this.changed();

  private constructor(
    private current: ServerCredentials,
    private readonly tls: ListenerTlsConfig,
    private readonly logger: Logger,
  ) {}

  /** Loads the files (rejecting when they do not make a pair) and watches them from then on. */
  static async open(tls: ListenerTlsConfig, logger: Logger): Promise<ListenerCredentials> {
    const credentials = new ListenerCredentials(await loadCredentials(tls), tls, logger);
    logger.info({ certificate: credentials.current.summary }, 'http.tls: certificate loaded');
    credentials.watch();
    return credentials;
  }

  /** What a new server is created with. */
  get options(): SecureContextOptions {
    return this.current.options;
  }

  /** A server to give each reloaded pair to. */
  serve(server: Server): void {
    this.servers.add(server);
  }

  /** Stops watching the files (the listeners are closing). */
  stop(): void {
    if (!this.watching) return;
    this.watching = false;
    for (const path of this.files()) unwatchFile(path, this.onChange);
  }

  private files(): string[] {
    const { certFile, keyFile, chainFile } = this.tls;
    return chainFile === undefined ? [certFile, keyFile] : [certFile, keyFile, chainFile];
  }

  /**
   * Polls the files' stat rather than using inotify: a Kubernetes Secret volume swaps a symlink over the
   * directory, and fs.watch, which follows the file's first inode, misses every swap after the first, while a stat
   * of the path sees each new inode.
   */
  private watch(): void {
    this.watching = true;
    const options = { interval: this.tls.watchIntervalMs, persistent: false };
    for (const path of this.files()) watchFile(path, options, this.onChange);
  }

  /** One reload at a time; a change during one brings another after it (a pair written file by file). */
  private changed(): void {
    if (this.reloading) {
      this.changedAgain = true;
      return;
    }
    this.reloading = this.reload().finally(() => {
      this.reloading = undefined;
      if (this.changedAgain && this.watching) {
        this.changedAgain = false;
        this.changed();
      }
    });
  }

  private async reload(): Promise<void> {
    let next: ServerCredentials;
    try {
      next = await loadCredentials(this.tls);
    } catch (err) {
      this.logger.error(
        { reason: err instanceof Error ? err.message : String(err), certificate: this.current.summary },
        'http.tls: the changed files do not load; still serving the certificate loaded before',
      );
      return;
    }
    // Only new connections get it; open ones keep the context of their handshake.
    for (const server of this.servers) server.setSecureContext(next.options);
    this.current = next;
    this.logger.info({ certificate: next.summary }, 'http.tls: certificate reloaded');
  }
}
