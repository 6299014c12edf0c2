/**
 * `callbacks sync` as a library against the simulator's fake UWS: from nothing to the config's registrations,
 * a second run with nothing to do, a changed URL, a removed service, --force, --dry-run, and the checks that
 * stop it before anything is sent.
 */
import { parseConfig } from '../../../src/config';
import type { Config } from '../../../src/config';
import { FakeUws } from '../../../src/simulator/fake-uws';
import type { UwsCall } from '../../../src/simulator/fake-uws';
import { SOAP_SERVICES } from '../../../src/thingspace/catalogue';
import {
  applyChanges,
  changesOf,
  countByAction,
  InvalidRegistrationError,
  syncRegistrations,
  UwsFaultError,
} from '../../../src/registration';
import type { Change, SyncOptions } from '../../../src/registration';
import type { ThingSpaceApiConfig } from '../../../src/config';
import { Secret } from '../../../src/util/secret';

const ACCOUNT = '0000555123-00001';
const CALLBACK_PASSWORD = 's3cret-fixture-pw';

function config(
  overrides: { publicBaseUrl?: string; services?: Record<string, unknown>; accounts?: unknown[] } = {},
) {
  return parseConfig(
    {
      http: { publicBaseUrl: overrides.publicBaseUrl ?? 'https://bridge.example.com' },
      services: overrides.services ?? {},
      accounts: overrides.accounts ?? [
        { name: ACCOUNT, username: 'fixture-user', password: CALLBACK_PASSWORD, services: ['*'] },
      ],
      kafka: { brokers: ['k:9092'] },
      schemaRegistry: { url: 'http://r:8081' },
    },
    {},
  ).config;
}

describe('syncRegistrations against the fake UWS', () => {
  const calls: UwsCall[] = [];
  const uws = new FakeUws(
    { users: [{ username: 'api', password: new Secret('api-pw') }], accounts: [ACCOUNT, '0000555123-00002'] },
    { onCall: (call) => calls.push(call) },
  );
  let thingspace: ThingSpaceApiConfig;

  beforeAll(async () => {
    thingspace = {
      api: 'soap',
      url: await uws.start(),
      restUrl: 'https://unused.example.com',
      oauthTokenUrl: 'https://unused.example.com',
      username: 'api',
      password: new Secret('api-pw'),
      timeoutMs: 10_000,
      retries: 0,
      retryDelayMs: 1,
    };
  });
  afterAll(() => uws.close());

  const sync = (settings: Config, options: SyncOptions = {}) =>
    syncRegistrations(settings, thingspace, options);
  const registered = () =>
    uws.registrations().map((entry) => `${entry.accountName} ${entry.serviceName} ${entry.url}`);

  it('converges: empty -> desired, no-op, changed URL, removed service, --force', async () => {
    // Dry run: the plan, nothing applied.
    const dry = await sync(config(), { dryRun: true });
    expect(countByAction(dry.plan)).toMatchObject({ register: SOAP_SERVICES.length });
    expect(dry.applied).toEqual([]);
    expect(registered()).toEqual([]);

    // From nothing to every service of the account, with its credentials.
    const first = await sync(config());
    expect(first.applied.map((entry) => [entry.change.action, entry.error])).toEqual(
      SOAP_SERVICES.map(() => ['register', undefined]),
    );
    expect(registered()).toEqual(
      SOAP_SERVICES.map(({ name }) => `${ACCOUNT} ${name} https://bridge.example.com/callbacks/${name}`),
    );
    expect(uws.registration(ACCOUNT, 'PromoChange')).toMatchObject({ username: 'fixture-user' });
    expect(uws.registration(ACCOUNT, 'PromoChange')?.password.reveal()).toBe(CALLBACK_PASSWORD);

    // A second run has nothing to do, and only reads.
    calls.length = 0;
    const second = await sync(config());
    expect(changesOf(second.plan)).toEqual([]);
    expect(calls.map((call) => call.operation)).toEqual(['LogIn', 'GetCallbackRegistrations', 'LogOut']);

    // The bridge moved: every service is registered again at the new URL, in place.
    const moved = await sync(
      config({
        publicBaseUrl: 'https://edge.example.com:9001',
        services: { CarrierService: { port: 9002 } },
      }),
    );
    expect(countByAction(moved.plan)).toMatchObject({
      reregister: SOAP_SERVICES.length,
      register: 0,
      unregister: 0,
    });
    expect(uws.registration(ACCOUNT, 'CarrierService')?.url).toBe(
      'https://edge.example.com:9002/callbacks/CarrierService',
    );
    expect(uws.registration(ACCOUNT, 'AlertService')?.url).toBe(
      'https://edge.example.com:9001/callbacks/AlertService',
    );

    // A service the bridge no longer takes is removed; the others stay.
    const fewer = await sync(
      config({
        publicBaseUrl: 'https://edge.example.com:9001',
        services: { CarrierService: { port: 9002 }, DeviceUsage: { enabled: false } },
      }),
    );
    expect(
      changesOf(fewer.plan).map(
        (change) => `${change.action} ${'actual' in change ? change.actual.serviceName : ''}`,
      ),
    ).toEqual(['unregister DeviceUsage']);
    expect(uws.registration(ACCOUNT, 'DeviceUsage')).toBeUndefined();
    expect(uws.registrations(ACCOUNT)).toHaveLength(SOAP_SERVICES.length - 1);

    // --force registers everything wanted again (a password changed), removes nothing.
    const forced = await sync(
      config({
        publicBaseUrl: 'https://edge.example.com:9001',
        services: { CarrierService: { port: 9002 }, DeviceUsage: { enabled: false } },
      }),
      { force: true },
    );
    expect(countByAction(forced.plan)).toMatchObject({ reregister: SOAP_SERVICES.length - 1, unregister: 0 });
  });

  it('manages only the accounts asked for', async () => {
    const two = config({
      accounts: [
        { name: ACCOUNT, username: 'fixture-user', password: CALLBACK_PASSWORD, services: ['PromoChange'] },
        { name: '0000555123-00002', username: 'second', password: 'pw2', services: ['AlertService'] },
      ],
    });
    await sync(two, { accounts: ['0000555123-00002'] });
    expect(uws.registrations('0000555123-00002').map((entry) => entry.serviceName)).toEqual(['AlertService']);
    // The first account was left as it was.
    expect(uws.registrations(ACCOUNT).length).toBeGreaterThan(1);
    await expect(sync(two, { accounts: ['nobody'] })).rejects.toThrow(/no account named nobody/);
  });

  it('checks the platform rules before anything is sent', async () => {
    calls.length = 0;
    const local = config({ publicBaseUrl: 'http://127.0.0.1:8080' });
    await expect(sync(local)).rejects.toBeInstanceOf(InvalidRegistrationError);
    await expect(sync(local, { allowHttp: true })).rejects.toThrow(/port 8080 is not one ThingSpace accepts/);
    expect(calls).toEqual([]);
    await expect(sync(local, { allowHttp: true, allowAnyPort: true, dryRun: true })).resolves.toBeDefined();
  });

  it("fails as a whole when an account's registrations cannot be read", async () => {
    const unknown = config({
      accounts: [{ name: '0000000000-00009', username: 'u', password: 'p', services: ['*'] }],
    });
    await expect(sync(unknown)).rejects.toBeInstanceOf(UwsFaultError);
  });
});

describe('applyChanges', () => {
  it('records a failed change and goes on with the next', async () => {
    const registration = {
      accountName: ACCOUNT,
      url: 'https://b.example.com/x',
      username: 'u',
      password: new Secret('p'),
    };
    const changes: Change[] = [
      { action: 'register', desired: { ...registration, serviceName: 'CarrierService' } },
      {
        action: 'unregister',
        actual: { accountName: ACCOUNT, serviceName: 'PromoChange', url: 'https://b.example.com/p' },
      },
      { action: 'register', desired: { ...registration, serviceName: 'AlertService' } },
    ];
    const done: string[] = [];
    const boom = new Error('refused');
    const results = await applyChanges(
      {
        register: async ({ serviceName }) => {
          if (serviceName === 'CarrierService') throw boom;
          done.push(`register ${serviceName}`);
        },
        unregister: async (_account, serviceName) => void done.push(`unregister ${serviceName}`),
      },
      changes,
    );
    expect(results.map((result) => result.error)).toEqual([boom, undefined, undefined]);
    expect(done).toEqual(['unregister PromoChange', 'register AlertService']);
  });
});
