/**
 * One keep-alive HTTP/1.1 connection on a raw socket, one request at a time. The load generator shares the
 * machine with the server it measures, so it spends as little CPU per request as it can: requests are prebuilt
 * bytes, and of a response only the status line, Content-Length and Connection are read.
 */
import { connect, type Socket } from 'node:net';

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;
const CONNECTION_CLOSE = /\r\nconnection:[ \t]*close/i;
const RETRY_AFTER = /\r\nretry-after:[ \t]*(\d+)/i;
/** A response head larger than this is not one our targets send. */
const MAX_HEAD_BYTES = 16 * 1024;

export class ConnectionError extends Error {
  constructor(readonly code: string) {
    super(`connection failed: ${code}`);
  }
}

export class Connection {
  /** False once the server said `Connection: close`, or the socket failed: open another one. */
  usable = true;
  /** The Retry-After (seconds) of the last answer that was not a 200, if it had one. */
  retryAfter: number | undefined;
  private received: Buffer | undefined;
  private pending: { resolve: (status: number) => void; reject: (err: Error) => void } | undefined;
  private timer: NodeJS.Timeout | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(err.code ?? 'ERROR'));
    socket.on('close', () => this.fail('CLOSED'));
  }

  static open(port: number, host = '127.0.0.1'): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host });
      socket.once('connect', () => {
        socket.removeListener('error', onError);
        resolve(new Connection(socket));
      });
      const onError = (err: NodeJS.ErrnoException) => reject(new ConnectionError(err.code ?? 'ERROR'));
      socket.once('error', onError);
    });
  }

  /**
   * Sends one complete request; resolves with the response's status once its whole body arrived. With
   * `timeoutMs`, gives up after it (ConnectionError TIMEOUT) and closes the connection, as an HTTP client would.
   */
  request(bytes: Buffer, timeoutMs?: number): Promise<number> {
    if (this.pending !== undefined) throw new Error('one request at a time on a connection');
    if (!this.usable) return Promise.reject(new ConnectionError('CLOSED'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      if (timeoutMs !== undefined) this.timer = setTimeout(() => this.fail('TIMEOUT'), timeoutMs);
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.usable = false;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    const data = this.received === undefined ? chunk : Buffer.concat([this.received, chunk]);
    const headEnd = data.indexOf(HEADER_END);
    if (headEnd === -1) {
      if (data.length > MAX_HEAD_BYTES) return this.fail('HEAD_TOO_LARGE');
      this.received = data;
      return;
    }
    const head = data.toString('latin1', 0, headEnd);
    const length = CONTENT_LENGTH.exec(head);
    // Every target answers with a Content-Length; anything else is a broken benchmark, not a slow server.
    if (length === null) return this.fail('NO_CONTENT_LENGTH');
    if (data.length < headEnd + HEADER_END.length + Number(length[1])) {
      this.received = data;
      return;
    }
    this.received = undefined;
    if (CONNECTION_CLOSE.test(head)) this.close();
    const status = Number(head.slice(9, 12));
    // Read only off the 200 path: the generator's CPU goes to sending.
    const retryAfter = status === 200 ? null : RETRY_AFTER.exec(head);
    this.retryAfter = retryAfter ? Number(retryAfter[1]) : undefined;
    const pending = this.pending;
    this.pending = undefined;
    clearTimeout(this.timer);
    pending?.resolve(status);
  }

  private fail(code: string): void {
    this.usable = false;
    const pending = this.pending;
    this.pending = undefined;
    clearTimeout(this.timer);
    pending?.reject(new ConnectionError(code));
    if (!this.socket.destroyed) this.socket.destroy();
  }
}
