/** The platform's rules, checked before anything is sent (THINGSPACE.md §1, §4). */
import {
  callbackUrlProblems,
  checkRegistrations,
  InvalidRegistrationError,
  registrationProblems,
} from '../../../src/registration';

describe('callbackUrlProblems', () => {
  it('takes https on the default port or an accepted one', () => {
    expect(callbackUrlProblems('https://bridge.example.com/callbacks/CarrierService')).toEqual([]);
    expect(callbackUrlProblems('https://bridge.example.com:9003/')).toEqual([]);
    expect(callbackUrlProblems('http://bridge.example.com/', { allowHttp: true })).toEqual([]);
  });

  it('refuses http unless allowed, and says how to allow it', () => {
    expect(callbackUrlProblems('http://bridge.example.com/')).toEqual([
      expect.stringMatching(/^must be https: .*--allow-http/),
    ]);
  });

  it('refuses a port the platform does not take unless allowed', () => {
    expect(callbackUrlProblems('https://bridge.example.com:8443/')).toEqual([
      expect.stringMatching(
        /^port 8443 is not one ThingSpace accepts \(80, 443, 9001-9006, .*--allow-any-port/,
      ),
    ]);
    expect(callbackUrlProblems('http://127.0.0.1:45678/', { allowHttp: true, allowAnyPort: true })).toEqual(
      [],
    );
    // http without a port is port 80, which the platform takes.
    expect(callbackUrlProblems('http://bridge.example.com/', { allowHttp: true })).toEqual([]);
  });

  it('refuses what is no https URL at all, and credentials in the URL', () => {
    expect(callbackUrlProblems('bridge.example.com/callbacks')).toEqual(['is not a URL']);
    expect(callbackUrlProblems('ftp://bridge.example.com/')).toEqual(['must be an https URL']);
    expect(callbackUrlProblems('https://user:pw@bridge.example.com/')).toEqual([
      'must not hold credentials (the registration carries them)',
    ]);
  });
});

describe('registrationProblems / checkRegistrations', () => {
  const entry = (serviceName: string, url: string, accountName = 'acct') => ({
    accountName,
    serviceName,
    url,
  });

  it('lists every problem with its account and service, two URLs for one service included', () => {
    expect(
      registrationProblems([
        entry('CarrierService', 'https://a.example.com/1'),
        entry('carrierservice', 'https://a.example.com/2'),
        entry('PromoChange', 'https://a.example.com/p'),
        entry('PromoChanges', 'http://a.example.com:8080/p'),
        // Another account may register the same service, even at the same URL (§4).
        entry('CarrierService', 'https://a.example.com/1', 'other'),
      ]),
    ).toEqual([
      'acct carrierservice: one URL per service, and it has two',
      'acct PromoChanges: one URL per service, and it has two',
      expect.stringMatching(/^acct PromoChanges: http:\/\/a.example.com:8080\/p must be https/),
      expect.stringMatching(/^acct PromoChanges: http:\/\/a.example.com:8080\/p port 8080 /),
    ]);
  });

  it('names a URL with a path token masked', () => {
    const token = 'rules-test-token-Vb5Nm8Qw2Er';
    const problems = registrationProblems([
      entry('CarrierService', `http://a.example.com:8080/callbacks/${token}/CarrierService`),
    ]);
    expect(problems).toEqual([
      expect.stringMatching(
        /^acct CarrierService: http:\/\/a.example.com:8080\/callbacks\/\*{4}\/CarrierService must be https/,
      ),
      expect.stringMatching(/ port 8080 /),
    ]);
    expect(problems.join('\n')).not.toContain(token);
  });

  it('throws InvalidRegistrationError with the problems, or nothing when there are none', () => {
    expect(() => checkRegistrations([entry('CarrierService', 'https://a.example.com/1')])).not.toThrow();
    let thrown: unknown;
    try {
      checkRegistrations([entry('CarrierService', 'http://a.example.com/1')]);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvalidRegistrationError);
    expect((thrown as InvalidRegistrationError).problems).toHaveLength(1);
    expect((thrown as InvalidRegistrationError).code).toBe('REGISTRATION_INVALID');
  });
});
