/**
 * Every BridgeError subclass in src/, found by reading the sources, has its row here: a stable code, the status
 * of the public contract (issue 4: 400 malformed/limits, 401 credentials, 403 source, 404 unknown service, 405,
 * 408 slow body, 413 too large, 415 not XML, 422 unreadable meaning, 503 + Retry-After for "later"), the SOAP
 * fault code, whether a retry helps and whether its message may be shown. A new class without a row fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AuthError } from '../../src/auth';
import { BridgeError } from '../../src/errors';
import { BodyAbortedError, BodyTimeoutError } from '../../src/http/body';
import { EventTooLargeError } from '../../src/ingress/errors';
import {
  MethodNotAllowedError,
  NotFoundError,
  NotReadyError,
  ServiceDisabledError,
  SourceNotAllowedError,
  UnsupportedMediaTypeError,
} from '../../src/http/errors';
import { faultFor } from '../../src/http/soap-responses';
import {
  DeliveryTimeoutError,
  KafkaUnavailableError,
  MissingTopicsError,
  QueueFullError,
  SchemaResolutionError,
  ShuttingDownError,
} from '../../src/kafka/errors';
import { SpoolFullError, SpoolUnavailableError } from '../../src/kafka/spool/errors';
import { PARSE_ERRORS, ParseError, type ParseErrorCode } from '../../src/soap/errors';
import { UnexpectedRootError, UnknownServiceError } from '../../src/thingspace/errors';

const SRC = join(__dirname, '..', '..', 'src');

interface Row {
  file: string;
  error: BridgeError;
  code: string;
  status: number;
  faultCode: 'Client' | 'Server';
  retriable: boolean;
  expose: boolean;
}

const row = (
  file: string,
  error: BridgeError,
  code: string,
  status: number,
  shape: Partial<Row> = {},
): Row => ({
  file,
  error,
  code,
  status,
  faultCode: status >= 500 ? 'Server' : 'Client',
  retriable: false,
  expose: true,
  ...shape,
});
const later = { retriable: true };
const hidden = { expose: false };

const TABLE: Row[] = [
  row('auth/errors.ts', new AuthError('bad-password'), 'AUTH_FAILED', 401),
  row('ingress/errors.ts', new EventTooLargeError(2_000_000, 1_000_000), 'EVENT_TOO_LARGE', 413),
  row('http/body.ts', new BodyTimeoutError(10_000), 'BODY_TIMEOUT', 408),
  row('http/body.ts', new BodyAbortedError(), 'BODY_ABORTED', 400),
  row('http/errors.ts', new SourceNotAllowedError(), 'SOURCE_NOT_ALLOWED', 403),
  row('http/errors.ts', new NotFoundError(), 'NOT_FOUND', 404),
  row('http/errors.ts', new ServiceDisabledError('PromoChange'), 'SERVICE_DISABLED', 404),
  row('http/errors.ts', new MethodNotAllowedError('POST'), 'METHOD_NOT_ALLOWED', 405),
  row('http/errors.ts', new UnsupportedMediaTypeError(), 'UNSUPPORTED_MEDIA_TYPE', 415),
  row('http/errors.ts', new NotReadyError('starting'), 'NOT_READY', 503, later),
  row('thingspace/errors.ts', new UnknownServiceError('NiddService'), 'UNKNOWN_SERVICE', 404),
  // Never answered as such: it arises after authentication, so the ingress dead-letters and acknowledges.
  row(
    'thingspace/errors.ts',
    new UnexpectedRootError('CarrierService', 'SmsCallbackRequest'),
    'UNEXPECTED_ROOT',
    422,
  ),
  row('kafka/errors.ts', new QueueFullError(2), 'QUEUE_FULL', 503, later),
  row('kafka/errors.ts', new KafkaUnavailableError('down'), 'KAFKA_UNAVAILABLE', 503, later),
  row('kafka/errors.ts', new DeliveryTimeoutError(10_000), 'DELIVERY_TIMEOUT', 503, later),
  row('kafka/errors.ts', new ShuttingDownError(), 'SHUTTING_DOWN', 503, later),
  row('kafka/spool/errors.ts', new SpoolFullError(1024), 'SPOOL_FULL', 503, later),
  row('kafka/spool/errors.ts', new SpoolUnavailableError('disk'), 'SPOOL_UNAVAILABLE', 503, later),
  // Boot-time failures: they keep the node unready (503 at /readyz), their messages name brokers and subjects.
  row('kafka/errors.ts', new MissingTopicsError(['t'], 'creation disabled'), 'TOPICS_MISSING', 503, hidden),
  row(
    'kafka/errors.ts',
    new SchemaResolutionError([{ subject: 's-value', reason: 'not registered', cause: undefined }]),
    'SCHEMA_UNRESOLVED',
    503,
    hidden,
  ),
  // One class, one row per code.
  ...(Object.keys(PARSE_ERRORS) as ParseErrorCode[]).map((code) =>
    row('soap/errors.ts', new ParseError(code, 'message'), code, code === 'BODY_TOO_LARGE' ? 413 : 400),
  ),
];

/** `file -> class names` of every `class X extends BridgeError` under src/. */
function declaredSubclasses(): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.ts')) {
        for (const match of readFileSync(path, 'utf8').matchAll(
          /\bclass\s+(\w+)\s+extends\s+BridgeError\b/g,
        )) {
          const file = relative(SRC, path);
          found.set(file, (found.get(file) ?? new Set()).add(match[1]!));
        }
      }
    }
  };
  visit(SRC);
  return found;
}

describe('BridgeError subclasses', () => {
  it('every subclass declared in src/ has a row in the table, and every row a declared subclass', () => {
    const inTable = new Map<string, Set<string>>();
    for (const { file, error } of TABLE) {
      inTable.set(file, (inTable.get(file) ?? new Set()).add(error.constructor.name));
    }
    const sorted = (m: Map<string, Set<string>>) =>
      [...m].map(([file, names]) => `${file}: ${[...names].sort().join(', ')}`).sort();
    expect(sorted(inTable)).toEqual(sorted(declaredSubclasses()));
  });

  it.each(TABLE.map((r) => [r.error.constructor.name, r.code, r.status, r]))(
    '%s %s: status %i',
    (_name, code, status, { error, faultCode, retriable, expose }) => {
      expect(error).toBeInstanceOf(BridgeError);
      expect(error.name).toBe(error.constructor.name);
      expect({
        code: error.code,
        status: error.status,
        faultCode: error.faultCode,
        retriable: error.retriable,
        expose: error.expose,
      }).toEqual({ code, status, faultCode, retriable, expose });
      // The fault the one error exit builds from it: its status and its code, first in the faultstring.
      const fault = faultFor(error);
      expect(fault.status).toBe(status);
      expect(fault.body.toString()).toContain(`<faultcode>s:${faultCode}</faultcode><faultstring>${code}: `);
    },
  );

  it('codes are unique across classes', () => {
    const codes = TABLE.map((r) => r.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^[A-Z][A-Z0-9_]*$/);
  });

  it('the caller is at fault exactly for 4xx, and "retry later" is exactly 503', () => {
    for (const { error } of TABLE) {
      expect([error.code, error.faultCode]).toEqual([error.code, error.status < 500 ? 'Client' : 'Server']);
      if (error.retriable) expect([error.code, error.status]).toEqual([error.code, 503]);
    }
  });
});
