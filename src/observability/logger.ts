import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';
import type { LogConfig } from '../config';

export type { Logger } from 'pino';

/**
 * Keys whose values are credentials wherever they appear, compared without case. `Password` is the callback's own
 * element name; `token` the registration API's session token (THINGSPACE.md §5); `pathToken` an account's secret
 * URL segment. Not `passwordFile`/`passwordEnv` (nor pathToken's): they name where a secret lives, which an
 * operator needs to read.
 */
const SECRET_KEYS = new Set(['password', 'authorization', 'cookie', 'set-cookie', 'token', 'pathtoken']);

/** A line that may hold one: the key as pino writes it (JSON, no spaces), at any depth. */
const MAY_HOLD_SECRET = /"(?:password|authorization|cookie|set-cookie|token|pathtoken)":/i;

const CENSOR = '[redacted]';

/**
 * Fixed in code, not configurable: redaction is a guarantee, not an option. It is the second line of defence;
 * the first is that credentials travel as `Secret`, which serializes as `[redacted]` in any shape. Neither can
 * help with a credential pasted into a string (a message text, a raw body): log `ParsedCallback.redactedXml`,
 * never the request body.
 *
 * On the finished line rather than through pino's `redact` paths, whose `*` matches exactly one level: this sees
 * every depth, and what serializers made (an error's own properties, its cause). A line without such a key, nearly
 * every one, costs one regular expression test.
 */
function redactLine(line: string): string {
  if (!MAY_HOLD_SECRET.test(line)) return line;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return `${JSON.stringify({ msg: 'log line withheld: it could not be checked for credentials' })}\n`;
  }
  return censorSecrets(parsed) ? `${JSON.stringify(parsed)}\n` : line;
}

/** Replaces, in place, the value of every secret key at any depth; whether it replaced any. */
function censorSecrets(root: unknown): boolean {
  let censored = false;
  // A stack, not recursion: a deep object cannot overflow it.
  const pending = [root];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (typeof node !== 'object' || node === null) continue;
    for (const [key, value] of Object.entries(node)) {
      if (SECRET_KEYS.has(key.toLowerCase())) {
        (node as Record<string, unknown>)[key] = CENSOR;
        censored = true;
      } else {
        pending.push(value);
      }
    }
  }
  return censored;
}

/** JSON lines with ISO times and level names, on stdout unless a destination is given (tests capture one). */
export function createLogger(config: LogConfig, destination?: DestinationStream): Logger {
  const options = {
    level: config.level,
    hooks: { streamWrite: redactLine },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/**
 * The logger for one HTTP request. The binding is `reqId`, not `requestId`: that name belongs to ThingSpace's
 * RequestId in the message, which is not unique per message (THINGSPACE.md §3).
 */
export function requestLogger(logger: Logger, requestId: string): Logger {
  return logger.child({ reqId: requestId });
}
