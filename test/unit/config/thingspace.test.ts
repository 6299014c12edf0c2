/** The `thingspace` section (the registration API `callbacks` uses) and the overrides that come with it. */
import { parseConfig } from '../../../src/config';
import { minimal, PASSWORD, problems } from './helpers';

const withThingspace = (section: Record<string, unknown>) => ({ ...minimal(), thingspace: section });

describe('config: thingspace', () => {
  it('is optional: serve does not need it', () => {
    expect(parseConfig(minimal(), {}).config.thingspace).toBeUndefined();
  });

  it('has defaults for the transport and resolves the password like every other', () => {
    const { config } = parseConfig(
      withThingspace({ url: 'https://uws.example.com/api/v2', username: 'api', passwordEnv: 'UWS_PW' }),
      { UWS_PW: PASSWORD },
    );
    const { password, ...rest } = config.thingspace!;
    expect(rest).toEqual({
      api: 'soap',
      restUrl: 'https://thingspace.verizon.com/api/m2m/v1',
      oauthTokenUrl: 'https://thingspace.verizon.com/api/ts/v1/oauth2/token',
      url: 'https://uws.example.com/api/v2',
      username: 'api',
      timeoutMs: 30_000,
      retries: 3,
      retryDelayMs: 1_000,
      recovery: {
        enabled: false,
        quietMs: 30_000,
        checkIntervalMs: 1_000,
        retryDelayMs: 5_000,
        maxRetryDelayMs: 300_000,
      },
    });
    expect(password.reveal()).toBe(PASSWORD);
    expect(JSON.stringify(config)).not.toContain(PASSWORD);
  });

  it('recovery: the longest retry delay is not below the first', () => {
    const base = { url: 'https://uws.example.com/api/v2', username: 'api', password: PASSWORD };
    expect(
      problems(
        withThingspace({
          ...base,
          recovery: { enabled: true, retryDelayMs: 10_000, maxRetryDelayMs: 5_000 },
        }),
      ),
    ).toEqual(['thingspace.recovery.maxRetryDelayMs: must be at least retryDelayMs']);
    expect(problems(withThingspace({ ...base, recovery: { enabled: true, tries: 3 } }))).toEqual([
      'thingspace.recovery.tries: unknown key',
    ]);
  });

  it('reports every problem, the missing password and URL included', () => {
    expect(problems(withThingspace({ username: '', retries: 11 }))).toEqual([
      'thingspace.username: Too small: expected string to have >=1 characters',
      'thingspace.retries: Too big: expected number to be <=10',
      'thingspace.password: one of password, passwordFile, passwordEnv is required',
      'thingspace.url: required: give the API root here or set THINGSPACE_URL',
    ]);
  });

  it('api rest: no SOAP URL needed; the app key and secret resolve like the password', () => {
    const { config } = parseConfig(
      withThingspace({
        api: 'rest',
        username: 'api',
        password: PASSWORD,
        appKeyEnv: 'TS_APP_KEY',
        appSecret: 'fixture-app-secret',
      }),
      { TS_APP_KEY: 'fixture-app-key' },
    );
    const thingspace = config.thingspace!;
    expect(thingspace.api).toBe('rest');
    expect(thingspace.url).toBeUndefined();
    expect(thingspace.restUrl).toBe('https://thingspace.verizon.com/api/m2m/v1');
    expect(thingspace.appKey?.reveal()).toBe('fixture-app-key');
    expect(thingspace.appSecret?.reveal()).toBe('fixture-app-secret');
    expect(JSON.stringify(config)).not.toMatch(/fixture-app-(key|secret)/);
  });

  it('api rest without the app key and secret is reported, both at once', () => {
    expect(problems(withThingspace({ api: 'rest', username: 'api', password: PASSWORD }))).toEqual([
      'thingspace.appKey: one of appKey, appKeyFile, appKeyEnv is required when api is rest',
      'thingspace.appSecret: one of appSecret, appSecretFile, appSecretEnv is required when api is rest',
    ]);
  });

  it('THINGSPACE_URL and BRIDGE_PUBLIC_BASE_URL replace their keys', () => {
    const { config } = parseConfig(
      withThingspace({ url: 'https://file.example.com/api/v2', username: 'api', password: PASSWORD }),
      {
        THINGSPACE_URL: 'http://127.0.0.1:9999/api/v2',
        BRIDGE_PUBLIC_BASE_URL: 'https://bridge.example.com:9001',
      },
    );
    expect(config.thingspace?.url).toBe('http://127.0.0.1:9999/api/v2');
    expect(config.http.publicBaseUrl).toBe('https://bridge.example.com:9001');
  });

  it('a bad override is reported against its key, naming the variable', () => {
    expect(problems(minimal(), { BRIDGE_PUBLIC_BASE_URL: 'ftp://x' })).toEqual([
      'http.publicBaseUrl: expected an http(s) URL (from BRIDGE_PUBLIC_BASE_URL)',
    ]);
  });
});
