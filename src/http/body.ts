/**
 * The request body as the parser consumes it, under one deadline for the whole body so a slow client (one byte a
 * minute) cannot hold a request open: the bytes at once when the request declares a small length (a callback's
 * usual case: one decode and one parser call, no iterator or promise per chunk), else chunks as they arrive, so
 * a parse limit stops a large or unbounded body early. Stopping early (a parse limit, the deadline) leaves the
 * socket alone, so the bridge can still answer 413/408 with `Connection: close` instead of a reset.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { BridgeError } from '../errors';

/** A request's body as the parser takes it: the bytes at once, or chunks as they arrive. */
export type RequestBody = Uint8Array | AsyncIterable<Uint8Array>;

/** Bodies up to this many declared bytes are read whole (ThingSpace's callbacks are a few KB). */
export const WHOLE_BODY_MAX_BYTES = 64 * 1024;

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

/**
 * The body of `request`: whole when its Content-Length is declared and at most `wholeMaxBytes` (Node's parser holds
 * the client to that length), streamed otherwise. Larger declared lengths stream too, so the parser's size limit
 * refuses them as they arrive.
 */
export async function readRequestBody(
  request: IncomingMessage,
  timeoutMs: number,
  wholeMaxBytes: number,
): Promise<RequestBody> {
  const declared = request.headers['content-length'];
  const length = declared === undefined || request.headers['transfer-encoding'] ? NaN : Number(declared);
  return length <= wholeMaxBytes ? wholeBody(request, length, timeoutMs) : requestBody(request, timeoutMs);
}

/** Every byte of a body of known `length`, under the same deadline and errors as requestBody. */
export function wholeBody(stream: Readable, length: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => chunks.push(chunk);
    const onEnd = () => settle(() => resolve(Buffer.concat(chunks, length)));
    const onAborted = () => settle(() => reject(new BodyAbortedError()));
    const timer = setTimeout(() => settle(() => reject(new BodyTimeoutError(timeoutMs))), timeoutMs);
    const settle = (then: () => void) => {
      clearTimeout(timer);
      stream.off('data', onData).off('end', onEnd).off('error', onAborted).off('close', onAborted);
      // Not destroyed: the answer (408) still goes out on this socket.
      stream.pause();
      then();
    };
    stream.on('data', onData).once('end', onEnd).once('error', onAborted).once('close', onAborted);
  });
}
