/**
 * The request body as the parser consumes it: chunks as they arrive, under one deadline for the whole body so a
 * slow client (one byte a minute) cannot hold a request open. Stopping early (a parse limit, the deadline) leaves
 * the socket alone, so the bridge can still answer 413/408 with `Connection: close` instead of a reset.
 */
import type { Readable } from 'node:stream';
import { BridgeError } from '../errors';

/** The client did not finish sending its body in time. */
export class BodyTimeoutError extends BridgeError {
  constructor(readonly timeoutMs: number) {
    super('BODY_TIMEOUT', `The request body did not arrive within ${timeoutMs} ms`);
  }
}

/** The client went away before its body was complete. */
export class BodyAbortedError extends BridgeError {
  constructor() {
    super('BODY_ABORTED', 'The request body ended early');
  }
}

export async function* requestBody(stream: Readable, timeoutMs: number): AsyncGenerator<Buffer> {
  // destroyOnReturn: false: leaving the loop early must not destroy the socket we still answer on.
  const chunks = stream.iterator({ destroyOnReturn: false }) as AsyncIterator<Buffer>;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BodyTimeoutError(timeoutMs)), timeoutMs);
  });
  // A deadline that fires after the body is complete, or while nobody waits on it, is nobody's error.
  deadline.catch(() => undefined);
  try {
    for (;;) {
      const next = await Promise.race([chunks.next(), deadline]).catch((err: unknown) => {
        if (err instanceof BridgeError) throw err;
        throw new BodyAbortedError();
      });
      if (next.done) return;
      yield next.value;
    }
  } finally {
    clearTimeout(timer);
  }
}
