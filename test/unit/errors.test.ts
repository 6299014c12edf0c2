/**
 * The error catalogue (src/errors.ts) against the classes that report its codes. Every code has a class that
 * produces it (or is named below as produced without one), every error class in src/ (found by reading the
 * sources) produces a catalogue code, and each instance carries its row's status, fault code, retriability and
 * exposure. The public contract (issue 4): 400 malformed/limits, 401 credentials, 403 source, 404 unknown
 * service, 405, 408 slow body, 413 too large, 415 not XML, 503 + Retry-After for "later".
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUTH_FAILURE_REASONS, AuthError } from '../../src/auth';
import { ConfigError } from '../../src/config';
import { ConsumerError } from '../../src/consumer/errors';
import {
  ANSWER_CODES,
  BridgeError,
  ERROR_CODES,
  ERRORS,
  faultSpec,
  hasFixedText,
  type ErrorCode,
} from '../../src/errors';
import { BodyAbortedError, BodyTimeoutError } from '../../src/http/body';
import {
  MethodNotAllowedError,
  NotFoundError,
  NotReadyError,
  OverloadedError,
  ServiceDisabledError,
  SourceNotAllowedError,
  UnsupportedMediaTypeError,
} from '../../src/http/errors';
import { JSON_ANSWERS } from '../../src/http/json-responses';
import { SOAP_ANSWERS } from '../../src/http/soap-responses';
import { EventTooLargeError } from '../../src/ingress/errors';
import {
  DeliveryTimeoutError,
  KafkaUnavailableError,
  MissingTopicsError,
  QueueFullError,
  SchemaResolutionError,
  ShuttingDownError,
} from '../../src/kafka/errors';
import { SpoolFullError, SpoolUnavailableError } from '../../src/kafka/spool/errors';
import { PARSE_ERROR_CODES, ParseError } from '../../src/message/errors';
import { UnexpectedRootError, UnknownServiceError } from '../../src/thingspace/errors';
import {
  InvalidRegistrationError,
  RegisteredOverSoapError,
  RegistrationError,
  RestAuthFailedError,
  RestBadResponseError,
  RestError,
  RestHttpStatusError,
  RestUnreachableError,
  UwsBadResponseError,
  UwsFaultError,
  UwsHttpStatusError,
  UwsUnreachableError,
} from '../../src/registration';
import { ReplayError } from '../../src/replay/errors';

const SRC = join(__dirname, '..', '..', 'src');

type Reported = Error & { code: string; retriable?: boolean };

/** One instance of every error class with a code; ParseError once per parse code. */
const SAMPLES: Reported[] = [
  ...PARSE_ERROR_CODES.map((code) => new ParseError(code, 'message')),
  new BodyAbortedError(),
  new AuthError('bad-password'),
  new SourceNotAllowedError(),
  new UnknownServiceError('NiddService'),
  new ServiceDisabledError('PromoChange'),
  new NotFoundError(),
  new MethodNotAllowedError('POST'),
  new BodyTimeoutError(10_000),
  new EventTooLargeError(2_000_000, 1_000_000),
  new UnsupportedMediaTypeError(),
  new NotReadyError('starting'),
  new OverloadedError(1),
  new QueueFullError(2),
  new KafkaUnavailableError('down'),
  new DeliveryTimeoutError(10_000),
  new ShuttingDownError(),
  new SpoolFullError(1024),
  new SpoolUnavailableError('disk'),
  new MissingTopicsError(['t'], 'creation disabled'),
  new SchemaResolutionError([{ subject: 's-value', reason: 'not registered', cause: undefined }]),
  new ConfigError([{ path: 'log', message: 'x' }]),
  new UnexpectedRootError('CarrierService', 'SmsCallbackRequest'),
  new UwsFaultError('LogIn', { faultCode: 'Client', faultString: 'Invalid login' }, 500),
  new UwsHttpStatusError('LogIn', 404),
  new UwsUnreachableError('LogIn', 'https://uws.example.com', 1, 'ENOTFOUND', undefined),
  new UwsBadResponseError('LogIn', 'no SessionToken'),
  new InvalidRegistrationError(['a: one']),
  new RestError('POST /callbacks', 400, 'REQUEST_FAILED', 'Bad request'),
  new RestHttpStatusError('GET /callbacks', 502),
  new RestUnreachableError('GET /callbacks', 'https://ts.example.com', 1, 'ECONNREFUSED', undefined),
  new RestBadResponseError('GET /callbacks', 'not a list'),
  new RestAuthFailedError('POST /session/login', 'the API user was not accepted'),
  new RegisteredOverSoapError(
    '0000555123-00001',
    'CarrierService',
    new RestError('POST /callbacks', 400, '', 'x'),
  ),
  new ReplayError('REPLAY_TOPIC_MISSING', 'no such topic: t'),
  new ReplayError('REPLAY_KAFKA_FAILED', 'Kafka: down'),
  new ReplayError('REPLAY_REGISTRY_FAILED', 'schema registry: down'),
  new ConsumerError('CONSUMER_NOT_WIRE_FORMAT', 'no value'),
  new ConsumerError('CONSUMER_UNKNOWN_SCHEMA_ID', 'no schema 7'),
  new ConsumerError('CONSUMER_UNKNOWN_WRITER_SCHEMA', 'schema 7 (x.Other)'),
  new ConsumerError('CONSUMER_INVALID_AVRO', 'truncated'),
  new ConsumerError('CONSUMER_REGISTRY_UNREACHABLE', 'ECONNREFUSED'),
  new ConsumerError('CONSUMER_REGISTRY_FAILED', 'answered 401'),
];

/** The codes reported without an error class of their own, and the source that reports each. */
const WITHOUT_CLASS: Partial<Record<ErrorCode, string>> = {
  INTERNAL: 'http/answers.ts', // what any error that is not a BridgeError is answered with
  NORMALIZE_FAILED: 'ingress/handle-callback.ts', // a dead letter's reason when the error is not a BridgeError
};

/** Every non-abstract `class X extends BridgeError | RegistrationError` (or UnreachableError, BadResponseError: shapes both APIs share) under src/. */
function declaredSubclasses(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return declaredSubclasses(path);
    if (!entry.name.endsWith('.ts')) return [];
    return [
      ...readFileSync(path, 'utf8').matchAll(
        /(?<!abstract\s+)\bclass\s+(\w+)\s+extends\s+(?:BridgeError|RegistrationError|UnreachableError|BadResponseError)\b/g,
      ),
    ].map((match) => match[1]!);
  });
}

const sampleOf = (code: ErrorCode) => SAMPLES.find((error) => error.code === code);

describe('the error catalogue', () => {
  it('every error class declared in src/ has a sample, and every sample a declared class', () => {
    const sampled = new Set(SAMPLES.map((error) => error.constructor.name));
    sampled.delete('ConfigError'); // a plain Error with a catalogue code: src/config/errors.ts
    sampled.delete('ReplayError'); // likewise: src/replay/errors.ts
    sampled.delete('ConsumerError'); // likewise: src/consumer/errors.ts
    expect([...sampled].sort()).toEqual([...new Set(declaredSubclasses())].sort());
  });

  it('every code has a class that produces it, or a named source; every class produces a catalogue code', () => {
    for (const error of SAMPLES)
      expect([error.constructor.name, error.code in ERRORS]).toEqual([error.constructor.name, true]);
    const produced = new Set(SAMPLES.map((error) => error.code));
    const withoutClass = Object.keys(WITHOUT_CLASS);
    expect(ERROR_CODES.filter((code) => !produced.has(code)).sort()).toEqual(withoutClass.sort());
    for (const [code, file] of Object.entries(WITHOUT_CLASS)) {
      expect(readFileSync(join(SRC, file), 'utf8')).toContain(`'${code}'`);
    }
  });

  it.each(
    ERROR_CODES.filter((code) => sampleOf(code)).map((code) => [code, sampleOf(code)!.constructor.name]),
  )('%s: %s carries its row', (code) => {
    const error = sampleOf(code)!;
    const row = ERRORS[code];
    expect(error.name).toBe(error.constructor.name);
    expect(error.retriable ?? false).toBe(row.retriable);
    if ('status' in row) {
      expect(error).toBeInstanceOf(BridgeError);
      const bridgeError = error as BridgeError;
      expect({
        status: bridgeError.status,
        faultCode: bridgeError.faultCode,
        retriable: bridgeError.retriable,
        expose: bridgeError.expose,
      }).toEqual({
        status: row.status,
        faultCode: row.faultCode,
        retriable: row.retriable,
        expose: row.expose,
      });
      // What the one error exit answers with: its status; its code first in the faultstring, or JSON's `code`.
      const fault = SOAP_ANSWERS.errorFor(bridgeError);
      expect(fault.status).toBe(row.status);
      expect(fault.body.toString()).toContain(
        `<faultcode>s:${row.faultCode}</faultcode><faultstring>${code}: `,
      );
      const answer = JSON_ANSWERS.errorFor(bridgeError);
      expect(answer.status).toBe(row.status);
      expect((JSON.parse(answer.body.toString()) as { code: string }).code).toBe(code);
    } else {
      expect(error).not.toBeInstanceOf(BridgeError);
      if (row.where === 'cli') {
        expect(error instanceof RegistrationError || error instanceof ReplayError).toBe(true);
      }
      if (row.where === 'consumer') expect(error).toBeInstanceOf(ConsumerError);
    }
  });

  it('codes are plain constants; descriptions are one line', () => {
    for (const code of ERROR_CODES) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect([code, ERRORS[code].description]).toEqual([code, expect.stringMatching(/^[^\n|]+$/)]);
    }
  });

  it('the caller is at fault exactly for 4xx; Retry-After exactly on the retriable 503s, Allow on the 405', () => {
    for (const code of ANSWER_CODES) {
      const { status, faultCode, retriable, headers } = faultSpec(code);
      expect([code, faultCode]).toEqual([code, status < 500 ? 'Client' : 'Server']);
      expect([code, headers.includes('Retry-After')]).toEqual([code, status === 503 && retriable]);
      expect([code, headers.includes('Allow')]).toEqual([code, status === 405]);
    }
  });

  it('a description that is sent as fault text holds no markdown', () => {
    for (const code of ANSWER_CODES.filter(hasFixedText)) {
      expect([code, ERRORS[code].description]).toEqual([code, expect.not.stringMatching(/[`*_<>]/)]);
    }
  });

  it("AUTH_FAILED's description names every reason the metrics count", () => {
    for (const reason of AUTH_FAILURE_REASONS)
      expect(ERRORS.AUTH_FAILED.description).toContain(`\`${reason}\``);
  });
});
