import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';
import type { LogConfig } from '../config';

export type { Logger } from 'pino';

/**
 * Keys whose values are credentials wherever they appear. `Password` is the callback's own element name; `token`
 * the registration API's session token (THINGSPACE.md §5); `pathToken` an account's secret URL segment. Not
 * `passwordFile`/`passwordEnv` (nor pathToken's): they name where a secret lives, which an operator needs to read.
 */
const SECRET_KEYS = [
  'password',
  'Password',
  'authorization',
  'Authorization',
  'cookie',
  'set-cookie',
  'token',
  'pathToken',
];

/** pino's `*` matches exactly one level, so each key is listed at every depth a log object plausibly reaches. */
const DEPTHS = ['', '*', '*.*', '*.*.*'];

/**
 * Fixed in code, not configurable: redaction is a guarantee, not an option. It is the second line of defence;
 * the first is that credentials travel as `Secret`, which serializes as `[redacted]` in any shape. Neither can
 * help with a credential pasted into a string (a message text, a raw body): log `ParsedCallback.redactedXml`,
 * never the request body.
 */
export const REDACT_PATHS: readonly string[] = DEPTHS.flatMap((depth) =>
  SECRET_KEYS.map((key) => `${depth}${/^\w+$/.test(key) ? `.${key}` : `["${key}"]`}`.replace(/^\./, '')),
);

/** JSON lines with ISO times and level names, on stdout unless a destination is given (tests capture one). */
export function createLogger(config: LogConfig, destination?: DestinationStream): Logger {
  const options = {
    level: config.level,
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
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
