/**
 * What each RegistrationError says: the operation, what ThingSpace answered, and what to check. Their codes and
 * retriability are the catalogue's (src/errors.ts), checked for every class in test/unit/errors.test.ts.
 */
import {
  InvalidRegistrationError,
  RegistrationError,
  UwsBadResponseError,
  UwsFaultError,
  UwsHttpStatusError,
  UwsUnreachableError,
} from '../../../src/registration';

const TABLE: [RegistrationError, string][] = [
  [
    new UwsFaultError('LogIn', { faultCode: 'Client', faultString: 'Invalid login', detail: 'E42' }, 500),
    'LogIn: ThingSpace answered a fault (Client): Invalid login [E42]',
  ],
  [
    new UwsHttpStatusError('RegisterCallback', 404),
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
    'LogIn: no answer from https://uws.example.com/api/v2/SessionService.svc after 1 attempt (ENOTFOUND)',
  ],
  [
    new UwsBadResponseError('LogIn', 'no SessionToken in the answer'),
    'LogIn: unexpected answer from ThingSpace: no SessionToken in the answer',
  ],
  [new InvalidRegistrationError(['a: one', 'b: two']), 'cannot register:\n  a: one\n  b: two'],
];

describe('RegistrationError messages', () => {
  it.each(TABLE.map((row) => [row[0].constructor.name, ...row] as const))('%s', (name, error, message) => {
    expect(error).toBeInstanceOf(RegistrationError);
    expect({ name: error.name, message: error.message }).toEqual({ name, message });
  });
});
