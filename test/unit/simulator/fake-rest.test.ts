/**
 * The REST fake as a client sees it (THINGSPACE.md §6): the OAuth2 token and the M2M session, both required and
 * both expiring (on a clock the test moves), the callbacks endpoints and their faults, and the one registry it
 * shares with the SOAP fake: a service registered over SOAP is refused over REST, and the other way round.
 */
import { FakeRest, FakeUws, OAUTH_TOKEN_PATH, Registry } from '../../../src/simulator';
import type { RestCall } from '../../../src/simulator';
import { withUwsSession } from '../../../src/registration';
import { Secret } from '../../../src/util/secret';

const ACCOUNT = '0000555123-00001';
const APP = { key: 'app-key', secret: new Secret('app-secret') };
const USER = { username: 'api', password: new Secret('api-pw') };
const ANY_TEXT: unknown = expect.any(String);

describe('FakeRest', () => {
  const registry = new Registry();
  let clock = 1_000_000;
  const calls: RestCall[] = [];
  const started: string[] = [];
  const rest = new FakeRest(
    {
      app: APP,
      users: [USER],
      accounts: [ACCOUNT],
      accessTokenTtlMs: 60_000,
      sessionTtlMs: 30_000,
      now: () => clock,
      registry,
    },
    { onCall: (call) => calls.push(call), onStartCallbacks: (account) => started.push(account) },
  );
  const uws = new FakeUws({ users: [USER], registry });
  let origin: string;

  beforeAll(async () => {
    await rest.start();
    await uws.start();
    origin = new URL(rest.url).origin;
  });
  afterAll(async () => {
    await rest.close();
    await uws.close();
  });

  function basic(key: string, secret: string): string {
    return `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
  }

  async function token(authorization = basic(APP.key, APP.secret.reveal()), grant = 'client_credentials') {
    const response = await fetch(rest.oauthTokenUrl, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=${grant}`,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function login(accessToken: string, password = USER.password.reveal()) {
    const response = await fetch(`${rest.url}/session/login`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: USER.username, password }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** Both tokens, fresh. */
  async function tokens(): Promise<{ access: string; session: string }> {
    const access = (await token()).body.access_token as string;
    return { access, session: (await login(access)).body.sessionToken as string };
  }

  async function call(
    method: string,
    path: string,
    auth: { access: string; session: string },
    body?: unknown,
  ) {
    const response = await fetch(`${rest.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${auth.access}`,
        'vz-m2m-token': auth.session,
        'content-type': 'application/json',
      },
      // A string goes as it is (not JSON, perhaps); anything else as JSON.
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.json() };
  }

  it('serves the API under /api/m2m/v1 and the token endpoint under /api/ts/v1/oauth2/token', () => {
    expect(rest.url).toBe(`${origin}/api/m2m/v1`);
    expect(rest.oauthTokenUrl).toBe(`${origin}${OAUTH_TOKEN_PATH}`);
  });

  it('gives a bearer token for the app key and secret (Basic or form), an RFC 6749 error otherwise', async () => {
    expect(await token()).toEqual({
      status: 200,
      body: { access_token: ANY_TEXT, token_type: 'bearer', expires_in: 60 },
    });
    const form = await fetch(rest.oauthTokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'app-key',
        client_secret: 'app-secret',
      }),
    });
    expect(form.status).toBe(200);
    expect(await token(basic(APP.key, 'wrong'))).toMatchObject({
      status: 401,
      body: { error: 'invalid_client' },
    });
    // The token endpoint's errors are RFC 6749's shape, with a query string too.
    const query = await fetch(`${rest.oauthTokenUrl}?x=1`, {
      method: 'POST',
      body: 'grant_type=client_credentials',
    });
    expect([query.status, await query.json()]).toEqual([
      401,
      { error: 'invalid_client', error_description: 'The application key or secret is wrong.' },
    ]);
    expect(await token(undefined, 'password')).toMatchObject({
      status: 400,
      body: { error: 'unsupported_grant_type' },
    });
  });

  it('logs in with the access token only, and refuses a bad password with a JSON error', async () => {
    const access = (await token()).body.access_token as string;
    expect(await login(access)).toEqual({
      status: 200,
      body: { sessionToken: ANY_TEXT, expiresIn: 30 },
    });
    expect(await login(access, 'wrong')).toEqual({
      status: 400,
      body: { errorCode: 'InvalidCredentials', errorMessage: 'Invalid username or password.' },
    });
    expect(await login('not-a-token')).toMatchObject({
      status: 401,
      body: { errorCode: 'InvalidAccessToken' },
    });
  });

  it('registers, lists (password in clear), unregisters; the same registry the sender reads', async () => {
    const auth = await tokens();
    const registration = {
      name: 'NiddService',
      url: 'https://bridge.example/callbacks/NiddService',
      username: 'u',
      password: 'p',
    };
    expect(await call('POST', `/callbacks/${ACCOUNT}`, auth, registration)).toEqual({
      status: 200,
      body: { accountName: ACCOUNT, serviceName: 'NiddService' },
    });
    // Another spelling of a service: the catalogue's name in the answer.
    await call('POST', `/callbacks/${ACCOUNT}`, auth, {
      name: 'AlertsService',
      url: 'http://bridge.example/a',
    });
    expect(await call('GET', `/callbacks/${ACCOUNT}`, auth)).toEqual({
      status: 200,
      body: [
        {
          accountName: ACCOUNT,
          serviceName: 'NiddService',
          url: registration.url,
          username: 'u',
          password: 'p',
        },
        { accountName: ACCOUNT, serviceName: 'AlertsService', url: 'http://bridge.example/a' },
      ],
    });
    expect(registry.get(ACCOUNT, 'NiddService')).toMatchObject({ api: 'rest', username: 'u' });
    expect(await call('DELETE', `/callbacks/${ACCOUNT}/name/AlertsService`, auth)).toEqual({
      status: 200,
      body: { accountName: ACCOUNT, serviceName: 'AlertsService' },
    });
    expect(rest.registrations(ACCOUNT).map((entry) => entry.serviceName)).toEqual(['NiddService']);
  });

  it('answers 401 without either token, and once either has expired', async () => {
    const auth = await tokens();
    const list = (with_: { access: string; session: string }) => call('GET', `/callbacks/${ACCOUNT}`, with_);
    expect(await list({ ...auth, session: '' })).toMatchObject({
      status: 401,
      body: { errorCode: 'InvalidSessionToken' },
    });
    expect(await list({ ...auth, access: '' })).toMatchObject({
      status: 401,
      body: { errorCode: 'InvalidAccessToken' },
    });
    expect((await list(auth)).status).toBe(200);

    clock += 30_000; // the session's lifetime
    expect(await list(auth)).toMatchObject({ status: 401, body: { errorCode: 'InvalidSessionToken' } });
    const session = (await login(auth.access)).body.sessionToken as string;
    expect((await list({ ...auth, session })).status).toBe(200);

    clock += 30_000; // the access token's lifetime, all told
    expect(await list({ ...auth, session })).toMatchObject({
      status: 401,
      body: { errorCode: 'InvalidAccessToken' },
    });
    expect((await list(await tokens())).status).toBe(200);
  });

  it.each([
    ['an unknown account', 'GET', '/callbacks/nobody', undefined, 404, 'AccountNotFound'],
    [
      'an unknown service',
      'POST',
      `/callbacks/${ACCOUNT}`,
      { name: 'NoSuchService', url: 'https://b.example/' },
      404,
      'UnknownService',
    ],
    ['no url', 'POST', `/callbacks/${ACCOUNT}`, { name: 'DeviceUsage' }, 400, 'MissingField'],
    [
      'a bad url',
      'POST',
      `/callbacks/${ACCOUNT}`,
      { name: 'DeviceUsage', url: 'ftp://b.example/' },
      400,
      'InvalidUrl',
    ],
    [
      'a password over 40 characters',
      'POST',
      `/callbacks/${ACCOUNT}`,
      { name: 'DeviceUsage', url: 'https://b.example/', password: 'x'.repeat(41) },
      400,
      'InvalidField',
    ],
    ['not JSON', 'POST', `/callbacks/${ACCOUNT}`, '[', 400, 'InvalidJson'],
    [
      'an unregistered service',
      'DELETE',
      `/callbacks/${ACCOUNT}/name/DeviceUsage`,
      undefined,
      404,
      'CallbackNotFound',
    ],
    ['a wrong method', 'PATCH', `/callbacks/${ACCOUNT}`, undefined, 405, 'MethodNotAllowed'],
    ['an unknown path', 'GET', '/devices', undefined, 404, 'NotFound'],
  ])('%s: %s %s', async (_what, method, path, body, status, errorCode) => {
    const auth = await tokens();
    const answer = await call(method, path, auth, body);
    expect(answer).toEqual({ status, body: { errorCode, errorMessage: ANY_TEXT } });
    expect(calls.at(-1)).toMatchObject({ status });
  });

  it('refuses over REST a service registered over SOAP, and over SOAP one registered over REST', async () => {
    await withUwsSession(
      { url: uws.url, ...USER, timeoutMs: 5_000, retries: 0, retryDelayMs: 1 },
      async (session) => {
        await session.registerCallback({
          accountName: ACCOUNT,
          serviceName: 'DeviceUsage',
          url: 'https://bridge.example/soap/DeviceUsage',
          username: '',
          password: new Secret(''),
        });
        const auth = await tokens();
        expect(
          await call('POST', `/callbacks/${ACCOUNT}`, auth, {
            name: 'DeviceUsage',
            url: 'https://bridge.example/rest',
          }),
        ).toEqual({
          status: 409,
          body: {
            errorCode: 'RegisteredOverSoap',
            errorMessage: `Service 'DeviceUsage' of account '${ACCOUNT}' is registered over SOAP; unregister it there first.`,
          },
        });
        // Neither list shows the other API's registrations, and REST cannot delete a SOAP one.
        expect((await call('GET', `/callbacks/${ACCOUNT}`, auth)).body).not.toContainEqual(
          expect.objectContaining({ serviceName: 'DeviceUsage' }),
        );
        expect((await call('DELETE', `/callbacks/${ACCOUNT}/name/DeviceUsage`, auth)).status).toBe(404);
        await expect(
          session.registerCallback({
            accountName: ACCOUNT,
            serviceName: 'NiddService',
            url: 'https://bridge.example/soap/x',
            username: '',
            password: new Secret(''),
          }),
        ).rejects.toThrow(/Unknown callback service name/);
        await expect(
          session.registerCallback({
            accountName: ACCOUNT,
            serviceName: 'CarrierService',
            url: 'https://bridge.example/soap/c',
            username: '',
            password: new Secret(''),
          }),
        ).resolves.toBeUndefined();
      },
    );
    const auth = await tokens();
    await call('DELETE', `/callbacks/${ACCOUNT}/name/NiddService`, auth);
    expect(uws.registrations(ACCOUNT).map((entry) => entry.serviceName)).toEqual([
      'DeviceUsage',
      'CarrierService',
    ]);
    // SOAP cannot take over a REST registration either.
    await call('POST', `/callbacks/${ACCOUNT}`, auth, {
      name: 'SMSDeliveryConfirmation',
      url: 'https://b.example/r',
    });
    await withUwsSession(
      { url: uws.url, ...USER, timeoutMs: 5_000, retries: 0, retryDelayMs: 1 },
      async (session) => {
        await expect(
          session.registerCallback({
            accountName: ACCOUNT,
            serviceName: 'SMSDeliveryConfirmation',
            url: 'https://bridge.example/soap/s',
            username: '',
            password: new Secret(''),
          }),
        ).rejects.toThrow(/is registered over REST/);
      },
    );
  });

  it('PUT startCallbacks starts the account release', async () => {
    const auth = await tokens();
    expect(await call('PUT', `/sms/${ACCOUNT}/startCallbacks`, auth)).toEqual({
      status: 200,
      body: { success: true },
    });
    expect(started).toEqual([ACCOUNT]);
    expect((await call('PUT', '/sms/nobody/startCallbacks', auth)).status).toBe(404);
  });
});
