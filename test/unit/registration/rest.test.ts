/**
 * The REST registration client (src/registration/rest) against a small in-test REST API on a real port: the
 * calls, both tokens cached and fetched anew on expiry and on a 401 mid-run, the typed errors, the SOAP/REST
 * exclusivity, and the list's clear-text passwords kept out of what it returns.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import type { ThingSpaceApiConfig } from '../../../src/config';
import {
  openRegistrationApi,
  RegisteredOverSoapError,
  RestAuthFailedError,
  RestError,
  RestHttpStatusError,
  RestUnreachableError,
  withRegistrationApi,
} from '../../../src/registration';
import type { RegistrationApi, RegistrationApiOptions, RetryEvent } from '../../../src/registration';
import { Secret } from '../../../src/util/secret';
import { FakeRestApi } from '../../support/fake-rest';

const ACCOUNT = '0000555123-00001';
const API_PASSWORD = 'api-pw-7c21';
const CALLBACK_PASSWORD = 'cb-pw-93fa';
const APP_SECRET = 'app-secret-51be';

const LOGIN = '/api/m2m/v1/session/login';
const TOKEN = '/oauth2/token';

function restConfig(origin: string, overrides: Partial<ThingSpaceApiConfig> = {}): ThingSpaceApiConfig {
  return {
    api: 'rest',
    restUrl: `${origin}/api/m2m/v1`,
    oauthTokenUrl: `${origin}/oauth2/token`,
    username: 'api',
    password: new Secret(API_PASSWORD),
    appKey: new Secret('app-key'),
    appSecret: new Secret(APP_SECRET),
    timeoutMs: 5_000,
    retries: 0,
    retryDelayMs: 1,
    ...overrides,
  };
}

const registration = (serviceName: string, url = `https://bridge.example.com/callbacks/${serviceName}`) => ({
  accountName: ACCOUNT,
  serviceName,
  url,
  username: 'fixture-user',
  password: new Secret(CALLBACK_PASSWORD),
});

async function failureOf(work: Promise<unknown>): Promise<Error> {
  try {
    await work;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

describe('the REST registration client', () => {
  let fake: FakeRestApi;
  let config: ThingSpaceApiConfig;

  beforeEach(async () => {
    fake = new FakeRestApi({
      appKey: 'app-key',
      appSecret: APP_SECRET,
      username: 'api',
      password: API_PASSWORD,
      accounts: [ACCOUNT],
    });
    config = restConfig(await fake.start());
  });
  afterEach(() => fake.close());

  it('registers, lists, unregisters and starts SMS callbacks, in one token and session', async () => {
    const listed = await withRegistrationApi(config, async (api) => {
      expect(api.api).toBe('rest');
      await api.register(registration('CarrierService'));
      // The REST spelling on the wire (§6): PromoChanges.
      await api.register(registration('PromoChange'));
      await api.unregister(ACCOUNT, 'CarrierService');
      await api.startSms(ACCOUNT);
      return api.list(ACCOUNT);
    });
    expect(listed).toEqual([
      {
        accountName: ACCOUNT,
        serviceName: 'PromoChanges',
        url: 'https://bridge.example.com/callbacks/PromoChange',
        username: 'fixture-user',
      },
    ]);
    expect(fake.registrations()[0]?.password).toBe(CALLBACK_PASSWORD);
    expect(fake.smsStarted).toEqual([ACCOUNT]);
    expect([fake.count('POST', TOKEN), fake.count('POST', LOGIN)]).toEqual([1, 1]);
  });

  it("never returns the list's clear-text passwords", async () => {
    const listed = await withRegistrationApi(config, async (api) => {
      await api.register(registration('DeviceUsage'));
      return api.list(ACCOUNT);
    });
    expect(listed[0]).not.toHaveProperty('password');
    expect(JSON.stringify(listed)).not.toContain(CALLBACK_PASSWORD);
    expect(inspect(listed, { depth: 10 })).not.toContain(CALLBACK_PASSWORD);
  });

  it('fetches the access token anew once it expires, keeping the session', async () => {
    let now = 1_000_000;
    const options: RegistrationApiOptions = { now: () => now };
    await withRegistrationApi(
      config,
      async (api) => {
        await api.list(ACCOUNT);
        now += 3_600_000; // past expires_in (3600 s)
        await api.list(ACCOUNT);
      },
      options,
    );
    expect([fake.count('POST', TOKEN), fake.count('POST', LOGIN)]).toEqual([2, 1]);
  });

  it('an expired session and an expired access token mid-run: fetched anew, the command does not fail', async () => {
    const api = await openRegistrationApi(config);
    await api.register(registration('CarrierService'));
    fake.expireSessions();
    await api.register(registration('DeviceUsage'));
    fake.expireAccessTokens();
    fake.expireSessions();
    await api.startSms(ACCOUNT);
    await api.close();
    expect(fake.registrations().map((entry) => entry.serviceName)).toEqual(['CarrierService', 'DeviceUsage']);
    expect(fake.smsStarted).toEqual([ACCOUNT]);
    // Each 401 was followed by one new token and one new session, and the call made once more.
    expect([fake.count('POST', TOKEN), fake.count('POST', LOGIN)]).toEqual([3, 3]);
    expect(fake.requests.filter((request) => request.status === 401)).toHaveLength(2);
  });

  it('a 401 again with new tokens is REST_AUTH_FAILED, after one retry only', async () => {
    const api = await openRegistrationApi(config);
    fake.refuseAll = true;
    const err = await failureOf(api.list(ACCOUNT));
    expect(err).toBeInstanceOf(RestAuthFailedError);
    expect(err).toMatchObject({ code: 'REST_AUTH_FAILED' });
    expect(fake.count('GET', `/api/m2m/v1/callbacks/${ACCOUNT}`)).toBe(2);
  });

  it('a wrong app secret or API user is REST_AUTH_FAILED with the platform text, no secret in it', async () => {
    const badApp = await failureOf(
      withRegistrationApi({ ...config, appSecret: new Secret('wrong-secret') }, (api) => api.list(ACCOUNT)),
    );
    expect(badApp).toBeInstanceOf(RestAuthFailedError);
    expect((badApp.cause as RestError).errorMessage).toBe('Client authentication failed');
    const badUser = await failureOf(
      withRegistrationApi({ ...config, password: new Secret('wrong-pw') }, (api) => api.list(ACCOUNT)),
    );
    expect(badUser).toBeInstanceOf(RestAuthFailedError);
    expect((badUser.cause as RestError).errorMessage).toBe('Invalid username or password');
    for (const err of [badApp, badUser]) {
      expect(`${err.message} ${inspect(err)}`).not.toMatch(/wrong-secret|wrong-pw|app-secret|api-pw/);
    }
  });

  it("the platform's errors are RestErrors carrying its status and text", async () => {
    const err = await failureOf(withRegistrationApi(config, (api) => api.list('0000555999-00009')));
    expect(err).toBeInstanceOf(RestError);
    expect(err).toMatchObject({
      code: 'REST_ERROR',
      status: 400,
      errorCode: 'REQUEST_FAILED.UnknownAccount',
      errorMessage: 'Account 0000555999-00009 not found',
    });
    expect(err.message).toContain('Account 0000555999-00009 not found');
  });

  it('a non-2xx answer without an error body is REST_HTTP_STATUS, never retried', async () => {
    const api = await openRegistrationApi({ ...config, retries: 3 });
    await api.list(ACCOUNT);
    fake.proxyStatus = 502;
    const err = await failureOf(api.unregister(ACCOUNT, 'CarrierService'));
    expect(err).toBeInstanceOf(RestHttpStatusError);
    expect(err).toMatchObject({ code: 'REST_HTTP_STATUS', status: 502 });
    expect(fake.requests.filter((request) => request.method === 'DELETE')).toHaveLength(1);
  });

  it('no answer: retried with the policy, then REST_UNREACHABLE', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const retries: RetryEvent[] = [];
    const err = await failureOf(
      withRegistrationApi(
        { ...restConfig(`http://127.0.0.1:${port}`), retries: 2 },
        (api: RegistrationApi) => api.list(ACCOUNT),
        { onRetry: (event) => retries.push(event) },
      ),
    );
    expect(err).toBeInstanceOf(RestUnreachableError);
    expect(err).toMatchObject({ code: 'REST_UNREACHABLE', attempts: 3 });
    expect(retries.map((event) => [event.operation, event.attempt])).toEqual([
      ['POST oauth2/token', 1],
      ['POST oauth2/token', 2],
    ]);
  });

  it('registering a service the account holds over SOAP says so (REST_REGISTERED_OVER_SOAP)', async () => {
    fake.soapHeld.add(`${ACCOUNT}/AlertsService`);
    const err = await failureOf(
      withRegistrationApi(config, (api) => api.register(registration('AlertService'))),
    );
    expect(err).toBeInstanceOf(RegisteredOverSoapError);
    expect(err.message).toMatch(/registered over SOAP, and ThingSpace allows one API per service/);
    expect(err.message).toContain('Callback AlertsService already exists for the account');
  });

  it('the same refusal for a service the REST list shows is left as the platform said it', async () => {
    await withRegistrationApi(config, (api) => api.register(registration('AlertService')));
    fake.soapHeld.add(`${ACCOUNT}/AlertsService`);
    const err = await failureOf(
      withRegistrationApi(config, (api) => api.register(registration('AlertService'))),
    );
    expect(err).toBeInstanceOf(RestError);
  });
});
