/**
 * Every RegistrationError subclass in src/ has its row: a stable code, whether a retry may help, a message that
 * says what happened. A new class without a row fails here (as test/unit/errors.test.ts does for BridgeError).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  InvalidRegistrationError,
  RegistrationError,
  UwsBadResponseError,
  UwsFaultError,
  UwsHttpStatusError,
  UwsUnreachableError,
} from '../../../src/registration';

const SRC = join(__dirname, '..', '..', '..', 'src');

const TABLE: [RegistrationError, string, boolean, string][] = [
  [
    new UwsFaultError('LogIn', { faultCode: 'Client', faultString: 'Invalid login', detail: 'E42' }, 500),
    'UWS_FAULT',
    false,
    'LogIn: ThingSpace answered a fault (Client): Invalid login [E42]',
  ],
  [
    new UwsHttpStatusError('RegisterCallback', 404),
    'UWS_HTTP_STATUS',
    false,
    'RegisterCallback: ThingSpace answered HTTP 404 without a SOAP Fault (is thingspace.url right?)',
  ],
  [
    new UwsUnreachableError(
      'LogIn',
      'https://uws.example.com/api/v2/SessionService.svc',
      1,
      'ENOTFOUND',
      undefined,
    ),
    'UWS_UNREACHABLE',
    true,
    'LogIn: no answer from https://uws.example.com/api/v2/SessionService.svc after 1 attempt (ENOTFOUND)',
  ],
  [
    new UwsBadResponseError('LogIn', 'no SessionToken in the answer'),
    'UWS_BAD_RESPONSE',
    false,
    'LogIn: unexpected answer from ThingSpace: no SessionToken in the answer',
  ],
  [
    new InvalidRegistrationError(['a: one', 'b: two']),
    'REGISTRATION_INVALID',
    false,
    'cannot register:\n  a: one\n  b: two',
  ],
];

function declaredSubclasses(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return declaredSubclasses(path);
    if (!entry.name.endsWith('.ts')) return [];
    return [...readFileSync(path, 'utf8').matchAll(/\bclass\s+(\w+)\s+extends\s+RegistrationError\b/g)].map(
      (match) => match[1]!,
    );
  });
}

describe('RegistrationError subclasses', () => {
  it('every subclass declared in src/ has a row', () => {
    expect(TABLE.map(([error]) => error.constructor.name).sort()).toEqual(declaredSubclasses(SRC).sort());
  });

  it.each(TABLE.map((row) => [row[0].constructor.name, ...row] as const))(
    '%s',
    (name, error, code, retriable, message) => {
      expect(error).toBeInstanceOf(RegistrationError);
      expect({
        name: error.name,
        code: error.code,
        retriable: error.retriable,
        message: error.message,
      }).toEqual({
        name,
        code,
        retriable,
        message,
      });
    },
  );

  it('codes are unique', () => {
    const codes = TABLE.map(([, code]) => code);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
