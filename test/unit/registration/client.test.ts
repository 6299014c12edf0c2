/**
 * The UWS client against the simulator's fake UWS endpoint, over a real socket: every operation, and every fault
 * the fake gives (bad login, bad token, unknown service or account, nothing to unregister, a bad URL), arriving
 * as UwsFaultError with the platform's text.
 */
import { FakeUws } from '../../../src/simulator/fake-uws';
import type { UwsCall } from '../../../src/simulator/fake-uws';
import { UwsFaultError, UwsSession, withUwsSession } from '../../../src/registration';
import type { UwsClientOptions } from '../../../src/registration';
import { writeRequest } from '../../../src/registration/protocol';
import { soapCall } from '../../../src/registration/transport';
import { Secret } from '../../../src/util/secret';

const API_PASSWORD = 'api-pw-Zq7!';
const CALLBACK_PASSWORD = 'cb-pw-Yx3#';
const ACCOUNT = '0000123456-00001';

describe('UwsSession against the fake UWS', () => {
  const calls: UwsCall[] = [];
  const released: string[] = [];
  const uws = new FakeUws(
    { users: [{ username: 'api', password: new Secret(API_PASSWORD) }], accounts: [ACCOUNT] },
    { onCall: (call) => calls.push(call), onStartSmsCallback: (account) => released.push(account) },
  );
  let options: UwsClientOptions;

  beforeAll(async () => {
    const url = await uws.start();
    options = {
      url,
      username: 'api',
      password: new Secret(API_PASSWORD),
      timeoutMs: 10_000,
      retries: 0,
      retryDelayMs: 1,
    };
  });
  afterAll(() => uws.close());
  beforeEach(() => (calls.length = 0));

  async function faultOf(action: () => Promise<unknown>): Promise<UwsFaultError> {
    try {
      await action();
    } catch (err) {
      if (err instanceof UwsFaultError) return err;
      throw err;
    }
    throw new Error('expected a UwsFaultError');
  }

  const registration = (serviceName: string, url: string) => ({
    accountName: ACCOUNT,
    serviceName,
    url,
    username: 'acme-callbacks',
    password: new Secret(CALLBACK_PASSWORD),
  });

  it('LogIn, GetCallbackRegistrations, RegisterCallback, UnregisterCallback, StartSmsCallback, LogOut', async () => {
    const session = await UwsSession.logIn(options);
    expect(await session.getCallbackRegistrations(ACCOUNT)).toEqual([]);

    await session.registerCallback(
      registration('CarrierService', 'https://b.example.com/callbacks/CarrierService'),
    );
    await session.registerCallback(
      registration('PromoChanges', 'https://b.example.com/callbacks/PromoChange'),
    );
    expect(await session.getCallbackRegistrations(ACCOUNT)).toEqual([
      {
        accountName: ACCOUNT,
        serviceName: 'CarrierService',
        url: 'https://b.example.com/callbacks/CarrierService',
        username: 'acme-callbacks',
      },
      // The fake keeps the canonical name, as a platform with one name per service would report it.
      {
        accountName: ACCOUNT,
        serviceName: 'PromoChange',
        url: 'https://b.example.com/callbacks/PromoChange',
        username: 'acme-callbacks',
      },
    ]);
    // The callback password reached the platform, as a Secret on its side too.
    expect(uws.registration(ACCOUNT, 'CarrierService')?.password.reveal()).toBe(CALLBACK_PASSWORD);

    // Registering again replaces: one URL per service (§1).
    await session.registerCallback(registration('CarrierService', 'https://new.example.com/cs'));
    await session.unregisterCallback(ACCOUNT, 'PromoChange');
    expect((await session.getCallbackRegistrations(ACCOUNT)).map((entry) => entry.url)).toEqual([
      'https://new.example.com/cs',
    ]);

    await session.startSmsCallback(ACCOUNT);
    expect(released).toEqual([ACCOUNT]);

    await session.logOut();
    await expect(session.getCallbackRegistrations(ACCOUNT)).rejects.toThrow(/after LogOut/);
    expect(calls.map((call) => call.operation)).toEqual([
      'LogIn',
      'GetCallbackRegistrations',
      'RegisterCallback',
      'RegisterCallback',
      'GetCallbackRegistrations',
      'RegisterCallback',
      'UnregisterCallback',
      'GetCallbackRegistrations',
      'StartSmsCallback',
      'LogOut',
    ]);
    expect(calls.every((call) => call.fault === undefined)).toBe(true);
  });

  it('a wrong password: a fault with the platform text, no session, the password nowhere', async () => {
    const fault = await faultOf(() => UwsSession.logIn({ ...options, password: new Secret('wrong-pw') }));
    expect(fault).toMatchObject({
      code: 'UWS_FAULT',
      operation: 'LogIn',
      status: 500,
      fault: { faultCode: 'Client', faultString: 'Invalid username or password.' },
    });
    expect(fault.message).toBe('LogIn: ThingSpace answered a fault (Client): Invalid username or password.');
    expect(JSON.stringify(fault)).not.toContain('wrong-pw');
  });

  it('a token the platform does not know, or none', async () => {
    for (const token of ['not-a-session', undefined]) {
      const fault = await faultOf(() =>
        soapCall(
          options,
          'GetCallbackRegistrations',
          writeRequest('GetCallbackRegistrations', [['AccountName', ACCOUNT]], token),
        ),
      );
      expect(fault.fault.faultString).toBe('The session token is missing, invalid or expired; LogIn again.');
    }
  });

  it('a token after LogOut', async () => {
    // The client forgets its token at LogOut; replay one by hand to see the platform refuse it.
    let token: string | undefined;
    const capture: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const text = await response.text();
      token ??= /SessionToken>([^<]+)</.exec(text)?.[1];
      return new Response(text, { status: response.status, headers: response.headers });
    };
    await withUwsSession({ ...options, fetch: capture }, async () => undefined);
    const fault = await faultOf(() =>
      soapCall(
        options,
        'StartSmsCallback',
        writeRequest('StartSmsCallback', [['AccountName', ACCOUNT]], token),
      ),
    );
    expect(fault.fault.faultString).toMatch(/session token is missing, invalid or expired/);
  });

  it.each([
    [
      'an unknown service',
      (s: UwsSession) => s.registerCallback(registration('NiddService', 'https://b.example.com/n')),
      "Unknown callback service name 'NiddService'.",
    ],
    [
      'an account that does not exist',
      (s: UwsSession) => s.getCallbackRegistrations('0000999999-00001'),
      "Account '0000999999-00001' does not exist or is not accessible to this user.",
    ],
    [
      'a service with nothing registered',
      (s: UwsSession) => s.unregisterCallback(ACCOUNT, 'DeviceUsage'),
      "No callback is registered for service 'DeviceUsage'.",
    ],
    [
      'a URL that is no URL',
      (s: UwsSession) => s.registerCallback(registration('DeviceUsage', 'not a url')),
      "Url 'not a url' is not a valid absolute http(s) URL.",
    ],
    [
      'StartSmsCallback for an unknown account',
      (s: UwsSession) => s.startSmsCallback('nope'),
      "Account 'nope' does not exist or is not accessible to this user.",
    ],
  ])('%s: a fault with its text, and the session goes on', async (_what, call, text) => {
    await withUwsSession(options, async (session) => {
      const fault = await faultOf(() => call(session));
      expect(fault.fault.faultString).toBe(text);
      expect(fault.message).toContain(text);
      await expect(session.getCallbackRegistrations(ACCOUNT)).resolves.toBeDefined();
    });
  });

  it('withUwsSession logs out after the work, and after a failed one', async () => {
    await expect(
      withUwsSession(options, async (session) => session.unregisterCallback(ACCOUNT, 'AlertService')),
    ).rejects.toBeInstanceOf(UwsFaultError);
    expect(calls.map((call) => call.operation)).toEqual(['LogIn', 'UnregisterCallback', 'LogOut']);
  });

  it('an operation sent to another service, or under another SOAPAction, is refused', async () => {
    const wrongEndpoint: typeof fetch = (input, init) =>
      fetch((input as string).replace('SessionService', 'SmsService'), init);
    const fault = await faultOf(() => UwsSession.logIn({ ...options, fetch: wrongEndpoint }));
    expect(fault.fault.faultString).toMatch(/cannot be processed at the receiver \(SmsService.svc\)/);

    const wrongAction: typeof fetch = (input, init) =>
      fetch(input, {
        ...init,
        headers: { ...(init?.headers as Record<string, string>), soapaction: '"urn:x"' },
      });
    expect(
      (await faultOf(() => UwsSession.logIn({ ...options, fetch: wrongAction }))).fault.faultString,
    ).toMatch(/Action 'urn:x'/);
  });
});
