/**
 * The REST registration client (src/registration/rest) against the simulator's REST fake (src/simulator/fake-rest)
 * on a real port: the calls, both tokens cached and fetched anew on expiry and on a 401 mid-run (the fake's clock
 * expires them), the typed errors, the SOAP/REST exclusivity, and the list's clear-text passwords kept out of what
 * it returns. What the fake never answers (a proxy's HTML page, the platform's own wording of a refusal) is put
 * on the wire by the client's `fetch` option.
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
import { FakeRest, OAUTH_TOKEN_PATH, Registry } from '../../../src/simulator';
import type { FakeRestOptions, RestCall } from '../../../src/simulator';
import { Secret } from '../../../src/util/secret';
import { restApiConfig } from '../../support/rest-api';

const ACCOUNT = '0000555123-00001';
const API_PASSWORD = 'api-pw-7c21';
const CALLBACK_PASSWORD = 'cb-pw-93fa';
const APP_SECRET = 'app-secret-51be';
const APP = { key: 'app-key', secret: new Secret(APP_SECRET) };
const USER = { username: 'api', password: new Secret(API_PASSWORD) };

const TOKEN = `POST ${OAUTH_TOKEN_PATH}`;
const LOGIN = 'POST /session/login';
const MINUTE_MS = 60_000;

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

/** What the client sent, `METHOD /path body`. */
interface Wire {
  fetch: typeof fetch;
  sent: string[];
}

/** The global fetch, recording each request; `instead` may answer one in the platform's place. */
function wire(instead: (method: string, path: string) => Response | undefined = () => undefined): Wire {
  const sent: string[] = [];
  const send: typeof fetch = async (input, init) => {
    const method = init?.method ?? 'GET';
    const path = new URL(input instanceof Request ? input.url : input).pathname;
    sent.push(`${method} ${path} ${typeof init?.body === 'string' ? init.body : ''}`);
    return instead(method, path) ?? fetch(input, init);
  };
  return { fetch: send, sent };
}

describe('the REST registration client', () => {
  let fake: FakeRest;
  let registry: Registry;
  let config: ThingSpaceApiConfig;
  /** The fake's clock: moved on, it expires the tokens it issued. */
  let clock: number;
  let calls: RestCall[];
  let started: string[];
  const count = (operation: string) => calls.filter((call) => call.operation === operation).length;

  async function startFake(options: Partial<FakeRestOptions> = {}): Promise<void> {
    registry = new Registry();
    calls = [];
    started = [];
    fake = new FakeRest(
      { app: APP, users: [USER], accounts: [ACCOUNT], registry, now: () => clock, ...options },
      { onCall: (call) => calls.push(call), onStartCallbacks: (account) => started.push(account) },
    );
    const restUrl = await fake.start();
    config = restApiConfig({ urls: { restUrl, oauthTokenUrl: fake.oauthTokenUrl }, app: APP, user: USER });
  }

  beforeEach(() => {
    clock = Date.now();
    return startFake();
  });
  afterEach(() => fake.close());

  it('registers, lists, unregisters and starts SMS callbacks, in one token and session', async () => {
    const { fetch, sent } = wire();
    const listed = await withRegistrationApi(
      config,
      async (api) => {
        expect(api.api).toBe('rest');
        await api.register(registration('CarrierService'));
        await api.register(registration('PromoChange'));
        await api.unregister(ACCOUNT, 'CarrierService');
        await api.startSms(ACCOUNT);
        return api.list(ACCOUNT);
      },
      { fetch },
    );
    // The REST spelling on the wire (§6): PromoChanges.
    expect(sent).toContainEqual(
      `POST /api/m2m/v1/callbacks/${ACCOUNT} ${JSON.stringify({
        name: 'PromoChanges',
        url: 'https://bridge.example.com/callbacks/PromoChange',
        username: 'fixture-user',
        password: CALLBACK_PASSWORD,
      })}`,
    );
    expect(listed).toEqual([
      {
        accountName: ACCOUNT,
        serviceName: 'PromoChanges',
        url: 'https://bridge.example.com/callbacks/PromoChange',
        username: 'fixture-user',
      },
    ]);
    expect(registry.get(ACCOUNT, 'PromoChange')?.password.reveal()).toBe(CALLBACK_PASSWORD);
    expect(registry.get(ACCOUNT, 'CarrierService')).toBeUndefined();
    expect(started).toEqual([ACCOUNT]);
    expect([count(TOKEN), count(LOGIN)]).toEqual([1, 1]);
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

  it('fetches the access token anew before it expires, keeping the session', async () => {
    let now = 1_000_000;
    const options: RegistrationApiOptions = { now: () => now };
    await withRegistrationApi(
      config,
      async (api) => {
        await api.list(ACCOUNT);
        now += 60 * MINUTE_MS; // past expires_in (the fake's hour); the fake's own clock stands still
        await api.list(ACCOUNT);
      },
      options,
    );
    expect([count(TOKEN), count(LOGIN)]).toEqual([2, 1]);
    expect(calls.filter((call) => call.status === 401)).toEqual([]);
  });

  it('an expired session and an expired access token mid-run: fetched anew, the command does not fail', async () => {
    const api = await openRegistrationApi(config);
    await api.register(registration('CarrierService'));
    clock += 31 * MINUTE_MS; // the session's 30 minutes are over, the access token's hour is not
    await api.register(registration('DeviceUsage'));
    clock += 61 * MINUTE_MS; // both are over
    await api.startSms(ACCOUNT);
    await api.close();
    expect(registry.list(ACCOUNT).map((entry) => entry.serviceName)).toEqual([
      'CarrierService',
      'DeviceUsage',
    ]);
    expect(started).toEqual([ACCOUNT]);
    // Each 401 was followed by one new token and one new session, and the call made once more.
    expect([count(TOKEN), count(LOGIN)]).toEqual([3, 3]);
    expect(calls.filter((call) => call.status === 401).map((call) => call.error)).toEqual([
      expect.stringMatching(/^The session token is missing, invalid or expired/),
      expect.stringMatching(/^The access token is missing, invalid or expired/),
    ]);
  });

  it('a 401 again with new tokens is REST_AUTH_FAILED, after one retry only', async () => {
    await fake.close();
    await startFake({ sessionTtlMs: 0 }); // every session expired as soon as it is issued
    const { fetch, sent } = wire();
    const api = await openRegistrationApi(config, { fetch });
    const err = await failureOf(api.list(ACCOUNT));
    expect(err).toBeInstanceOf(RestAuthFailedError);
    expect(err).toMatchObject({ code: 'REST_AUTH_FAILED' });
    expect(sent.filter((request) => request.startsWith('GET '))).toHaveLength(2);
  });

  it('a wrong app secret or API user is REST_AUTH_FAILED with the platform text, no secret in it', async () => {
    const badApp = await failureOf(
      withRegistrationApi({ ...config, appSecret: new Secret('wrong-secret') }, (api) => api.list(ACCOUNT)),
    );
    expect(badApp).toBeInstanceOf(RestAuthFailedError);
    expect((badApp.cause as RestError).errorMessage).toBe('The application key or secret is wrong.');
    const badUser = await failureOf(
      withRegistrationApi({ ...config, password: new Secret('wrong-pw') }, (api) => api.list(ACCOUNT)),
    );
    expect(badUser).toBeInstanceOf(RestAuthFailedError);
    expect((badUser.cause as RestError).errorMessage).toBe('Invalid username or password.');
    for (const err of [badApp, badUser]) {
      expect(`${err.message} ${inspect(err)}`).not.toMatch(/wrong-secret|wrong-pw|app-secret|api-pw/);
    }
  });

  it("the platform's errors are RestErrors carrying its status and text", async () => {
    const err = await failureOf(withRegistrationApi(config, (api) => api.list('0000555999-00009')));
    expect(err).toBeInstanceOf(RestError);
    const text = "Account '0000555999-00009' does not exist or is not accessible to this user.";
    expect(err).toMatchObject({
      code: 'REST_ERROR',
      status: 404,
      errorCode: 'AccountNotFound',
      errorMessage: text,
    });
    expect(err.message).toContain(text);
  });

  it('a non-2xx answer without an error body is REST_HTTP_STATUS, never retried', async () => {
    // A proxy in the way answers instead of the platform.
    const proxy = wire((method) =>
      method === 'DELETE'
        ? new Response('<html>Bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } })
        : undefined,
    );
    const api = await openRegistrationApi({ ...config, retries: 3 }, { fetch: proxy.fetch });
    await api.list(ACCOUNT);
    const err = await failureOf(api.unregister(ACCOUNT, 'CarrierService'));
    expect(err).toBeInstanceOf(RestHttpStatusError);
    expect(err).toMatchObject({ code: 'REST_HTTP_STATUS', status: 502 });
    expect(proxy.sent.filter((request) => request.startsWith('DELETE '))).toHaveLength(1);
  });

  it('no answer: retried with the policy, then REST_UNREACHABLE', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const retries: RetryEvent[] = [];
    const origin = `http://127.0.0.1:${port}`;
    const err = await failureOf(
      withRegistrationApi(
        {
          ...config,
          restUrl: `${origin}/api/m2m/v1`,
          oauthTokenUrl: `${origin}${OAUTH_TOKEN_PATH}`,
          retries: 2,
        },
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

  /** The account holds the service over SOAP, as the simulator's SOAP fake would have registered it. */
  function heldOverSoap(serviceName: 'AlertService'): void {
    registry.add({
      accountName: ACCOUNT,
      serviceName,
      url: `https://bridge.example.com/callbacks/${serviceName}`,
      username: '',
      password: new Secret(''),
      api: 'soap',
    });
  }

  it('registering a service the account holds over SOAP says so (REST_REGISTERED_OVER_SOAP)', async () => {
    heldOverSoap('AlertService');
    const err = await failureOf(
      withRegistrationApi(config, (api) => api.register(registration('AlertService'))),
    );
    expect(err).toBeInstanceOf(RegisteredOverSoapError);
    expect(err.message).toMatch(/registered over SOAP, and ThingSpace allows one API per service/);
    expect(err.message).toContain(`Service 'AlertService' of account '${ACCOUNT}' is registered over SOAP`);
  });

  describe("a refusal whose text does not name SOAP (the platform's is unpublished)", () => {
    const alreadyExists = wire((method, path) =>
      method === 'POST' && path.startsWith('/api/m2m/v1/callbacks/')
        ? Response.json(
            {
              errorCode: 'REQUEST_FAILED.UnexpectedError',
              errorMessage: 'Callback AlertsService already exists for the account',
            },
            { status: 400 },
          )
        : undefined,
    ).fetch;
    const register = (fetch: typeof globalThis.fetch) =>
      failureOf(withRegistrationApi(config, (api) => api.register(registration('AlertService')), { fetch }));

    it('is REST_REGISTERED_OVER_SOAP when the REST list does not show the service', async () => {
      heldOverSoap('AlertService');
      const err = await register(alreadyExists);
      expect(err).toBeInstanceOf(RegisteredOverSoapError);
      expect(err.message).toContain('Callback AlertsService already exists for the account');
    });

    it('is left as the platform said it when the REST list shows the service', async () => {
      await withRegistrationApi(config, (api) => api.register(registration('AlertService')));
      const err = await register(alreadyExists);
      expect(err).toBeInstanceOf(RestError);
      expect(err).not.toBeInstanceOf(RegisteredOverSoapError);
    });
  });
});
