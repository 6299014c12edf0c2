/**
 * A failure of the Kafka side in words, for /readyz and the logs: what an operator checks next. kafkajs wraps the
 * socket's error in its retries ("Connection error: connect ECONNREFUSED 127.0.0.1:9092", its cause the same);
 * @platformatic/kafka in a MultipleErrors of the attempts (`errors`), each with its cause. The registry's errors
 * (RegistryRequestError) are in words already, and kept as they are.
 */
import { RegistryRequestError } from './registry-http';

/** How far down causes and attempts are followed: each library wraps a handful of times at most. */
const MAX_ERRORS = 32;

export function failureInWords(err: unknown): string {
  if (err instanceof RegistryRequestError) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  for (const error of errorsWithin(err)) {
    const code = typeof error.code === 'string' ? error.code : '';
    const text = `${code} ${error.name} ${error.message}`;
    if (/ECONNREFUSED/.test(text)) return `connection refused by ${addressOf(error) ?? 'the broker'}`;
    if (/ENOTFOUND|EAI_AGAIN/.test(text)) return `host not found: ${hostOf(error.message) ?? message}`;
    if (/SASLAuthentication|SASL_AUTHENTICATION_FAILED|authentication failed/i.test(text))
      return `authentication failed (check kafka.sasl): ${error.message}`;
    if (/AUTHORIZATION_FAILED|not authorized/i.test(text)) return `not authorized: ${error.message}`;
    if (/ETIMEDOUT|RequestTimeout|timed? ?out/i.test(text)) return `timed out: ${error.message}`;
  }
  return message;
}

type ErrorLike = Error & { code?: unknown; address?: unknown; port?: unknown };

/** The error, its causes and the attempts it gathers, breadth first. */
function errorsWithin(err: unknown): ErrorLike[] {
  const found: ErrorLike[] = [];
  const pending = [err];
  while (pending.length > 0 && found.length < MAX_ERRORS) {
    const next = pending.shift();
    if (!(next instanceof Error) || found.includes(next)) continue;
    found.push(next);
    const { cause, errors, originalError } = next as {
      cause?: unknown;
      errors?: unknown;
      originalError?: unknown;
    };
    pending.push(cause, originalError, ...(Array.isArray(errors) ? (errors as unknown[]) : []));
  }
  return found;
}

/** host:port of a refused connection: Node's error has them as fields; kafkajs's keeps them in its message. */
function addressOf(error: ErrorLike): string | undefined {
  if (typeof error.address === 'string' && typeof error.port === 'number') {
    return error.address.includes(':')
      ? `[${error.address}]:${error.port}`
      : `${error.address}:${error.port}`;
  }
  return /ECONNREFUSED (\S+)/.exec(error.message)?.[1];
}

function hostOf(message: string): string | undefined {
  return /(?:ENOTFOUND|EAI_AGAIN) (\S+)/.exec(message)?.[1];
}
