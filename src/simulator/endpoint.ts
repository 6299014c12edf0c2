/**
 * The HTTP plumbing the simulator's fakes share: a listener on node:http whose requests go to a handler, and the
 * request body read within a limit. One listener can carry both fakes (the simulator routes by path), so one
 * host and port serve the SOAP and the REST API alike.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export class Endpoint {
  readonly #server: Server;

  constructor(handler: Handler) {
    this.#server = createServer((req, res) => void handler(req, res));
  }

  /** Listens; resolves with the origin, e.g. `http://127.0.0.1:41234`. */
  async start(host = '127.0.0.1', port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve());
    });
    const address = this.#server.address() as AddressInfo;
    const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${hostPart}:${address.port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

/** The request body; `tooLarge()` is thrown once it passes `maxBytes`. */
export async function readBody(
  req: IncomingMessage,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Compares credentials in constant time for equal lengths. */
export function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
