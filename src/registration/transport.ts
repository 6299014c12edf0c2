/**
 * One SOAP 1.1 call to the UWS API over fetch: a timeout per attempt (AbortSignal.timeout, covering the answer's
 * body too), and retries with doubling, jittered delays (util/backoff) when no answer came (refused, reset, DNS,
 * TLS, timeout). An answer is never retried, whatever it says: a fault or an error page will say the same again,
 * and a registration call that did reach the platform must not be repeated blindly. The REST client (./rest)
 * shares that policy: `untilAnswered` and `readLimited`.
 */
import { readEnvelope, faultOf, SOAP_CONTENT_TYPE } from '../soap/envelope';
import type { SoapEnvelope } from '../soap/envelope';
import { backoffDelay, type Random } from '../util/backoff';
import {
  RegistrationError,
  UwsBadResponseError,
  UwsFaultError,
  UwsHttpStatusError,
  UwsUnreachableError,
} from './errors';
import { endpointOf, soapActionOf } from './protocol';
import type { Operation } from './protocol';

export interface TransportOptions extends RetryPolicy {
  /** The API root, e.g. `https://<host>/api/v2`. */
  url: string;
  /** For tests; the global fetch otherwise. */
  fetch?: typeof fetch;
}

/** How long to wait for an answer and how often to try again when none came. */
export interface RetryPolicy {
  /** Per attempt, from sending the request to the answer's last byte. */
  timeoutMs: number;
  /** Attempts after the first when no answer came. */
  retries: number;
  /** Wait before the first retry; doubled for each next one; jittered down to half. */
  retryDelayMs: number;
  /** The jitter; Math.random when absent. */
  random?: Random;
  /** Told before each retry (the CLI prints it). */
  onRetry?: (event: RetryEvent) => void;
}

export interface RetryEvent {
  /** A SOAP operation, or a REST call (`GET /callbacks`). */
  operation: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  delayMs: number;
  reason: string;
}

/** Larger answers are refused: a list of eleven registrations is a few kilobytes. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Sends one request envelope and returns the answer's envelope; throws the typed errors of ./errors. */
export async function soapCall(
  options: TransportOptions,
  operation: Operation,
  requestXml: string,
): Promise<SoapEnvelope> {
  const endpoint = endpointOf(options.url, operation);
  const send = options.fetch ?? fetch;
  const answer = await untilAnswered(
    options,
    operation,
    () => exchange(send, endpoint, operation, requestXml, options.timeoutMs),
    (attempts, reason, cause) => new UwsUnreachableError(operation, endpoint, attempts, reason, cause),
  );
  return interpret(operation, answer.status, answer.body);
}

/**
 * Runs `attempt` until it gives an answer: a failure that is a RegistrationError came with one (an answer too
 * large, say) and is thrown at once; any other is the network's, retried after a doubling, jittered delay (no
 * cap: `retries`, at most 10, bounds it), and after the last attempt turned into `unreachable`'s error.
 */
export async function untilAnswered<T>(
  policy: RetryPolicy,
  operation: string,
  attempt: () => Promise<T>,
  unreachable: (attempts: number, reason: string, cause: unknown) => RegistrationError,
): Promise<T> {
  for (let count = 1; ; count++) {
    try {
      return await attempt();
    } catch (err) {
      if (err instanceof RegistrationError) throw err;
      const reason = networkReason(err, policy.timeoutMs);
      if (count > policy.retries) throw unreachable(count, reason, err);
      const delayMs = backoffDelay(count, {
        baseMs: policy.retryDelayMs,
        maxMs: Infinity,
        random: policy.random,
      });
      policy.onRetry?.({ operation, attempt: count, delayMs, reason });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

async function exchange(
  send: typeof fetch,
  endpoint: string,
  operation: Operation,
  requestXml: string,
  timeoutMs: number,
): Promise<{ status: number; body: Uint8Array }> {
  const response = await send(endpoint, {
    method: 'POST',
    // SOAP 1.1 quotes the action.
    headers: { 'content-type': SOAP_CONTENT_TYPE, soapaction: `"${soapActionOf(operation)}"` },
    body: requestXml,
    signal: AbortSignal.timeout(timeoutMs),
    // A redirect is an answer (a wrong thingspace.url), reported as its status rather than followed.
    redirect: 'manual',
  });
  return {
    status: response.status,
    body: await readLimited(response, (reason) => new UwsBadResponseError(operation, reason)),
  };
}

/** The answer's body, refused with `tooLarge`'s error beyond MAX_RESPONSE_BYTES (declared or as it streams). */
export async function readLimited(
  response: Response,
  tooLarge: (reason: string) => RegistrationError,
): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_RESPONSE_BYTES) {
    await response.body?.cancel();
    throw tooLarge(`an answer of ${declared} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const body = response.body as ReadableStream<Uint8Array> | null;
  for await (const chunk of body ?? []) {
    total += chunk.byteLength;
    if (total > MAX_RESPONSE_BYTES) {
      throw tooLarge(`an answer longer than ${MAX_RESPONSE_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function interpret(operation: Operation, status: number, body: Uint8Array): SoapEnvelope {
  let envelope: SoapEnvelope | undefined;
  let parseError: unknown;
  try {
    envelope = readEnvelope(body);
  } catch (err) {
    parseError = err;
  }
  const fault = envelope && faultOf(envelope);
  if (fault !== undefined) throw new UwsFaultError(operation, fault, status);
  if (status < 200 || status > 299) throw new UwsHttpStatusError(operation, status);
  if (envelope === undefined) {
    throw new UwsBadResponseError(operation, 'not a SOAP envelope', parseError);
  }
  return envelope;
}

/**
 * What went wrong on the way, in words an operator can act on; fetch hides the system error in `cause`. Read by
 * shape, not `instanceof`: fetch's errors may come from another realm (as under jest).
 */
function networkReason(err: unknown, timeoutMs: number): string {
  const { name, message, cause } = (err ?? {}) as { name?: unknown; message?: unknown; cause?: unknown };
  if (name === 'TimeoutError' || name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  const system = (cause ?? {}) as { code?: unknown; message?: unknown };
  if (typeof system.code === 'string') return system.code;
  if (typeof system.message === 'string') return system.message;
  return typeof message === 'string' ? message : String(err);
}
