/**
 * One call to ThingSpace's REST API (THINGSPACE.md §6) over fetch, with the SOAP transport's policy (../transport):
 * a timeout per attempt, retries only when no answer came. A 2xx answer gives its JSON (undefined when empty);
 * any other is a typed error carrying the status, and the platform's text when it sent one:
 *
 *   M2M API:      {"errorCode": "...", "errorMessage": "..."}
 *   OAuth token:  {"error": "...", "error_description": "..."}       (RFC 6749 §5.2)
 */
import type { RegistrationError } from '../errors';
import { RestBadResponseError, RestError, RestHttpStatusError, RestUnreachableError } from '../errors';
import { readLimited, untilAnswered } from '../transport';
import type { RetryPolicy } from '../transport';

export interface RestHttpOptions extends RetryPolicy {
  /** For tests; the global fetch otherwise. */
  fetch?: typeof fetch;
}

export interface RestRequest {
  /** How errors and retries name the call, e.g. `GET /callbacks`. */
  operation: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers: Readonly<Record<string, string>>;
  /** Sent as given; its content type is the caller's header. */
  body?: string;
}

/** Platform texts longer than this are cut in messages: an HTML error page is no explanation. */
const MAX_TEXT_CHARS = 500;

/** Throws RestError, RestHttpStatusError, RestBadResponseError or RestUnreachableError. */
export async function restCall(options: RestHttpOptions, request: RestRequest): Promise<unknown> {
  const send = options.fetch ?? fetch;
  const { operation } = request;
  const answer = await untilAnswered(
    options,
    operation,
    async () => {
      const response = await send(request.url, {
        method: request.method,
        headers: { accept: 'application/json', ...request.headers },
        ...(request.body === undefined ? {} : { body: request.body }),
        signal: AbortSignal.timeout(options.timeoutMs),
        // A redirect is an answer (a wrong URL), reported as its status rather than followed.
        redirect: 'manual',
      });
      const body = await readLimited(response, (reason) => new RestBadResponseError(operation, reason));
      return { status: response.status, text: Buffer.from(body).toString('utf8') };
    },
    (attempts, reason, cause) => new RestUnreachableError(operation, request.url, attempts, reason, cause),
  );
  const json = parseJson(answer.text);
  if (answer.status < 200 || answer.status > 299) throw errorOf(operation, answer.status, json);
  if (json === INVALID) throw new RestBadResponseError(operation, 'not JSON');
  return json;
}

/** Whether the platform refused the call's tokens (an expired OAuth token or session). */
export function isUnauthorized(err: unknown): boolean {
  return (err instanceof RestError || err instanceof RestHttpStatusError) && err.status === 401;
}

const INVALID = Symbol('invalid JSON');

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return INVALID;
  }
}

function errorOf(operation: string, status: number, json: unknown): RegistrationError {
  if (typeof json !== 'object' || json === null) return new RestHttpStatusError(operation, status);
  const body = json as Record<string, unknown>;
  const code = textOf(body.errorCode ?? body.error);
  const message = textOf(body.errorMessage ?? body.error_description ?? body.message);
  if (code === '' && message === '') return new RestHttpStatusError(operation, status);
  return new RestError(operation, status, code, message);
}

function textOf(value: unknown): string {
  if (typeof value !== 'string') return '';
  return value.length > MAX_TEXT_CHARS ? `${value.slice(0, MAX_TEXT_CHARS)}...` : value;
}
