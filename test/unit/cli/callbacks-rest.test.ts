/**
 * `thingspace-bridge callbacks` with `thingspace.api: rest`, against the simulator serving both APIs: sync
 * registers every REST service of the config, a second run changes nothing, a changed URL gives the plan
 * (`--detailed-exitcode`: 3 for a change, 0 for none), as over SOAP (test/unit/cli/callbacks.test.ts); list never prints the passwords the REST
 * list holds in clear; a session and an access token expiring mid-run (the simulator's clock moved on) fail
 * nothing; a service the account registered over SOAP is explained.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../src/cli/callbacks';
import type { CliIo } from '../../../src/cli/callbacks';
import { withUwsSession } from '../../../src/registration';
import { OAUTH_TOKEN_PATH, Simulator } from '../../../src/simulator';
import type { RestCall } from '../../../src/simulator';
import { servicesIn } from '../../../src/thingspace/catalogue';
import { Secret } from '../../../src/util/secret';

const API_PASSWORD = 'api-pw-20c4';
const APP_SECRET = 'app-secret-d1e7';
const CALLBACK_PASSWORD = 'cb-pw-77b0';
const ACCOUNT = '0000555123-00001';
const REST_COUNT = servicesIn('rest').length;
const APP = { key: 'app-key', secret: new Secret(APP_SECRET) };
const USER = { username: 'api', password: new Secret(API_PASSWORD) };
const MINUTE_MS = 60_000;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

describe('thingspace-bridge callbacks over REST', () => {
  let simulator: Simulator;
  /** The simulator's clock, which its tokens expire by (an hour for the access token, 30 minutes a session). */
  let clock = Date.now();
  const calls: RestCall[] = [];
  /** Told of each REST call the simulator answered, while a test sets it. */
  let onRestCall: ((call: RestCall) => void) | undefined;
  const smsStarted: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'callbacks-rest-'));
  const outputs: string[] = [];

  function configFile(name: string, publicBaseUrl = 'https://bridge.example.com'): string {
    const file = join(dir, name);
    writeFileSync(
      file,
      JSON.stringify({
        http: { publicBaseUrl },
        accounts: [{ name: ACCOUNT, username: 'fixture-user', password: CALLBACK_PASSWORD, services: ['*'] }],
        kafka: { brokers: ['k:9092'] },
        schemaRegistry: { url: 'http://r:8081' },
        thingspace: {
          api: 'rest',
          ...simulator.restUrls,
          username: 'api',
          passwordEnv: 'TS_PASSWORD',
          appKey: 'app-key',
          appSecretEnv: 'TS_APP_SECRET',
          retries: 0,
        },
      }),
    );
    return file;
  }

  async function callbacks(args: string[]): Promise<Ran> {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      env: { TS_PASSWORD: API_PASSWORD, TS_APP_SECRET: APP_SECRET },
      cwd: dir,
    };
    const code = await run(args, io);
    outputs.push(stdout, stderr);
    return { code, stdout, stderr };
  }

  const restRegistrations = () => simulator.rest!.registrations(ACCOUNT);
  let config: string;
  beforeAll(async () => {
    simulator = await Simulator.start({
      users: [USER],
      accounts: [ACCOUNT],
      apis: ['soap', 'rest'],
      rest: { app: APP, now: () => clock },
      onRestCall: (call) => {
        calls.push(call);
        onRestCall?.(call);
      },
      onStartCallbacks: (account) => smsStarted.push(account),
    });
    config = configFile('bridge.json');
  });
  afterAll(async () => {
    await simulator.close();
    rmSync(dir, { recursive: true, force: true });
    for (const output of outputs) {
      expect(output).not.toContain(API_PASSWORD);
      expect(output).not.toContain(APP_SECRET);
      expect(output).not.toContain(CALLBACK_PASSWORD);
    }
  });

  it('sync registers every REST service (exit 3 with --detailed-exitcode); a second run changes nothing (0)', async () => {
    const first = await callbacks(['sync', '--detailed-exitcode', '--config', config]);
    expect(first).toMatchObject({ code: 3, stderr: '' });
    expect(first.stdout).toContain(`account ${ACCOUNT}\n  + CarrierService `);
    expect(first.stdout).toContain('  + NiddService ');
    expect(first.stdout).toContain(
      `Plan: ${REST_COUNT} to register, 0 to re-register, 0 to unregister; 0 unchanged.`,
    );
    expect(first.stdout.endsWith(`Apply complete: ${REST_COUNT} changed.\n`)).toBe(true);
    expect(restRegistrations().map((entry) => entry.serviceName)).toEqual(
      expect.arrayContaining(['PromoChange', 'AlertService', 'NiddService']),
    );
    expect(restRegistrations()).toHaveLength(REST_COUNT);

    const second = await callbacks(['sync', '--detailed-exitcode', '--config', config]);
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(second.stdout.endsWith(`No changes: ${REST_COUNT} unchanged.\n`)).toBe(true);
  });

  it('a changed URL: the plan and exit 3 (--detailed-exitcode), then nothing to do again', async () => {
    const moved = configFile('moved.json', 'https://moved.example.com');
    const dry = await callbacks(['sync', '--dry-run', '--detailed-exitcode', '--config', moved]);
    expect(dry.code).toBe(3);
    expect(dry.stdout).toMatch(
      /^ {2}~ CarrierService +https:\/\/bridge\.example\.com\/callbacks\/CarrierService -> https:\/\/moved\.example\.com\/callbacks\/CarrierService {2}\(URL\)$/m,
    );
    expect(dry.stdout).toContain(
      `Plan: 0 to register, ${REST_COUNT} to re-register, 0 to unregister; 0 unchanged.`,
    );
    const applied = await callbacks(['sync', '--config', moved]);
    expect(applied.code).toBe(0);
    expect(restRegistrations().every((entry) => entry.url.startsWith('https://moved.example.com/'))).toBe(
      true,
    );
    expect((await callbacks(['sync', '--detailed-exitcode', '--config', moved])).code).toBe(0);
    expect((await callbacks(['sync', '--detailed-exitcode', '--config', config])).code).toBe(3);
  });

  it('a session, then an access token, expiring mid-sync: both fetched anew, the sync completes', async () => {
    const expiring = configFile('expiring.json', 'https://expiring.example.com');
    const from = calls.length;
    let registered = 0;
    onRestCall = (call) => {
      if (call.operation !== 'POST /callbacks/{account}' || call.status !== 200) return;
      registered += 1;
      if (registered === 1) clock += 31 * MINUTE_MS; // the session's 30 minutes are over, the token's hour not
      if (registered === 3) clock += 61 * MINUTE_MS; // both are over
    };
    const ran = await callbacks(['sync', '--config', expiring]);
    onRestCall = undefined;
    expect(ran).toMatchObject({ code: 0, stderr: '' });
    expect(ran.stdout.endsWith(`Apply complete: ${REST_COUNT} changed.\n`)).toBe(true);
    expect(restRegistrations().every((entry) => entry.url.startsWith('https://expiring.example.com/'))).toBe(
      true,
    );
    const during = calls.slice(from);
    expect(during.filter((call) => call.status === 401).map((call) => call.error)).toEqual([
      expect.stringMatching(/^The session token is missing, invalid or expired/),
      expect.stringMatching(/^The access token is missing, invalid or expired/),
    ]);
    // The first token and session, then both anew after each 401.
    const operations = during.map((call) => call.operation);
    expect(operations.filter((operation) => operation === `POST ${OAUTH_TOKEN_PATH}`)).toHaveLength(3);
    expect(operations.filter((operation) => operation === 'POST /session/login')).toHaveLength(3);
    expect((await callbacks(['sync', '--config', config])).code).toBe(0);
  });

  it('list prints whether credentials are set, never the passwords the REST list holds in clear', async () => {
    expect(restRegistrations()[0]?.password.reveal()).toBe(CALLBACK_PASSWORD);
    const { code, stdout } = await callbacks(['list', '--config', config]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      new RegExp(
        `^${ACCOUNT}\\s+PromoChanges\\s+https://bridge.example.com/callbacks/PromoChange\\s+yes$`,
        'm',
      ),
    );
    expect(stdout).not.toContain(CALLBACK_PASSWORD);
  });

  it('start-sms calls PUT /sms/{account}/startCallbacks', async () => {
    const { code, stdout } = await callbacks(['start-sms', '--config', config]);
    expect(code).toBe(0);
    expect(stdout).toBe(`released queued device SMS of account ${ACCOUNT}\n`);
    expect(smsStarted).toEqual([ACCOUNT]);
  });

  it('register and unregister one service by its canonical name', async () => {
    expect((await callbacks(['unregister', 'PromoChange', '--config', config])).code).toBe(0);
    expect(restRegistrations().some((entry) => entry.serviceName === 'PromoChange')).toBe(false);
    const registered = await callbacks(['register', 'PromoChange', '--config', config]);
    expect(registered.code).toBe(0);
    expect(restRegistrations().some((entry) => entry.serviceName === 'PromoChange')).toBe(true);
  });

  it('a service registered over SOAP: sync reports it and exits 1; the rest is applied', async () => {
    const moved = configFile('moved-again.json', 'https://moved.example.com');
    // Over SOAP instead: not in the REST list, and the platform refuses it over REST.
    expect((await callbacks(['unregister', 'DeviceUsage', '--config', config])).code).toBe(0);
    const soap = { url: simulator.url, ...USER, timeoutMs: 5_000, retries: 0, retryDelayMs: 1 };
    await withUwsSession(soap, (session) =>
      session.registerCallback({
        accountName: ACCOUNT,
        serviceName: 'DeviceUsage',
        url: 'https://bridge.example.com/callbacks/DeviceUsage',
        username: '',
        password: new Secret(''),
      }),
    );
    const { code, stdout } = await callbacks(['sync', '--config', moved]);
    expect(code).toBe(1);
    expect(stdout).toContain(
      `FAILED to register DeviceUsage (account ${ACCOUNT}): cannot register DeviceUsage for account ${ACCOUNT} over REST: the account has it registered over SOAP`,
    );
    expect(stdout).toContain(`Apply incomplete: 1 of ${REST_COUNT} changes failed; run sync again.`);
    expect(simulator.registrations(ACCOUNT).find((entry) => entry.serviceName === 'DeviceUsage')?.api).toBe(
      'soap',
    );
  });
});
