/**
 * `thingspace-bridge callbacks` with `thingspace.api: rest`, against an in-test REST API (test/support/fake-rest):
 * sync registers every REST service of the config (exit 2), a second run changes nothing (exit 0), a changed URL
 * gives the plan and exit 2, as over SOAP; list never prints the passwords the REST list holds in clear; a token
 * expired mid-run fails nothing; a service held over SOAP is explained.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../src/cli/callbacks';
import type { CliIo } from '../../../src/cli/callbacks';
import { servicesIn } from '../../../src/thingspace/catalogue';
import { FakeRestApi } from '../../support/fake-rest';

const API_PASSWORD = 'api-pw-20c4';
const APP_SECRET = 'app-secret-d1e7';
const CALLBACK_PASSWORD = 'cb-pw-77b0';
const ACCOUNT = '0000555123-00001';
const REST_COUNT = servicesIn('rest').length;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

describe('thingspace-bridge callbacks over REST', () => {
  const fake = new FakeRestApi({
    appKey: 'app-key',
    appSecret: APP_SECRET,
    username: 'api',
    password: API_PASSWORD,
    accounts: [ACCOUNT],
  });
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
          restUrl: `${fake.origin}/api/m2m/v1`,
          oauthTokenUrl: `${fake.origin}/oauth2/token`,
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

  let config: string;
  beforeAll(async () => {
    await fake.start();
    config = configFile('bridge.json');
  });
  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
    for (const output of outputs) {
      expect(output).not.toContain(API_PASSWORD);
      expect(output).not.toContain(APP_SECRET);
      expect(output).not.toContain(CALLBACK_PASSWORD);
    }
  });

  it('sync registers every REST service (exit 2); a second run changes nothing (exit 0)', async () => {
    const first = await callbacks(['sync', '--config', config]);
    expect(first).toMatchObject({ code: 2, stderr: '' });
    expect(first.stdout).toContain(`account ${ACCOUNT}\n  + CarrierService `);
    expect(first.stdout).toContain('  + NiddService ');
    expect(first.stdout).toContain(
      `Plan: ${REST_COUNT} to register, 0 to re-register, 0 to unregister; 0 unchanged.`,
    );
    expect(first.stdout.endsWith(`Apply complete: ${REST_COUNT} changed.\n`)).toBe(true);
    // REST spellings on the wire (§6).
    expect(fake.registrations().map((entry) => entry.serviceName)).toEqual(
      expect.arrayContaining(['PromoChanges', 'AlertsService', 'NiddService']),
    );
    expect(fake.registrations()).toHaveLength(REST_COUNT);

    const second = await callbacks(['sync', '--config', config]);
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(second.stdout.endsWith(`No changes: ${REST_COUNT} unchanged.\n`)).toBe(true);
  });

  it('a changed URL: the plan and exit 2, then nothing to do again', async () => {
    const moved = configFile('moved.json', 'https://moved.example.com');
    const dry = await callbacks(['sync', '--dry-run', '--config', moved]);
    expect(dry.code).toBe(2);
    expect(dry.stdout).toMatch(
      /^ {2}~ CarrierService +https:\/\/bridge\.example\.com\/callbacks\/CarrierService -> https:\/\/moved\.example\.com\/callbacks\/CarrierService {2}\(URL\)$/m,
    );
    expect(dry.stdout).toContain(
      `Plan: 0 to register, ${REST_COUNT} to re-register, 0 to unregister; 0 unchanged.`,
    );
    const applied = await callbacks(['sync', '--config', moved]);
    expect(applied.code).toBe(2);
    expect(fake.registrations().every((entry) => entry.url.startsWith('https://moved.example.com/'))).toBe(
      true,
    );
    expect((await callbacks(['sync', '--config', moved])).code).toBe(0);
    expect((await callbacks(['sync', '--config', config])).code).toBe(2);
  });

  it('list prints whether credentials are set, never the passwords the REST list holds in clear', async () => {
    expect(fake.registrations()[0]?.password).toBe(CALLBACK_PASSWORD);
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
    expect(fake.smsStarted).toEqual([ACCOUNT]);
  });

  it('register and unregister one service by its canonical name', async () => {
    expect((await callbacks(['unregister', 'PromoChange', '--config', config])).code).toBe(0);
    expect(fake.registrations().some((entry) => entry.serviceName === 'PromoChanges')).toBe(false);
    const registered = await callbacks(['register', 'PromoChange', '--config', config]);
    expect(registered.code).toBe(0);
    expect(fake.registrations().some((entry) => entry.serviceName === 'PromoChanges')).toBe(true);
  });

  it('a service held over SOAP: sync reports it and exits 1; the rest is applied', async () => {
    const moved = configFile('moved-again.json', 'https://moved.example.com');
    // Over SOAP instead: not in the REST list, and the platform refuses it over REST.
    await callbacks(['unregister', 'DeviceUsage', '--config', config]);
    fake.soapHeld.add(`${ACCOUNT}/DeviceUsage`);
    const { code, stdout } = await callbacks(['sync', '--config', moved]);
    expect(code).toBe(1);
    expect(stdout).toContain(
      `FAILED to register DeviceUsage (account ${ACCOUNT}): cannot register DeviceUsage for account ${ACCOUNT} over REST: the account has it registered over SOAP`,
    );
    expect(stdout).toContain(`Apply incomplete: 1 of ${REST_COUNT} changes failed; run sync again.`);
    fake.soapHeld.clear();
  });
});
