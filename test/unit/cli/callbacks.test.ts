/**
 * `thingspace-bridge callbacks` as operators run it (in-process, its output captured), against the simulator's
 * fake UWS: every command, the exit codes (0 done or nothing to change, 2 sync changed, 1 failed), and no
 * password in any output.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../src/cli/callbacks';
import type { CliIo } from '../../../src/cli/callbacks';
import type { Env } from '../../../src/config';
import { FakeUws } from '../../../src/simulator/fake-uws';
import { SOAP_SERVICES } from '../../../src/thingspace/catalogue';
import { Secret } from '../../../src/util/secret';

const API_PASSWORD = 'api-pw-4f9d';
const CALLBACK_PASSWORD = 'cb-pw-8e1a';
const ACCOUNT = '0000555123-00001';

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

describe('thingspace-bridge callbacks', () => {
  const uws = new FakeUws({ users: [{ username: 'api', password: new Secret(API_PASSWORD) }] });
  const dir = mkdtempSync(join(tmpdir(), 'callbacks-cli-'));
  const outputs: string[] = [];

  function configFile(name: string, settings: Record<string, unknown>): string {
    const file = join(dir, name);
    writeFileSync(
      file,
      JSON.stringify({
        http: { publicBaseUrl: 'https://bridge.example.com' },
        accounts: [{ name: ACCOUNT, username: 'fixture-user', password: CALLBACK_PASSWORD, services: ['*'] }],
        kafka: { brokers: ['k:9092'] },
        schemaRegistry: { url: 'http://r:8081' },
        thingspace: { username: 'api', passwordEnv: 'UWS_PASSWORD', retries: 0 },
        ...settings,
      }),
    );
    return file;
  }

  async function callbacks(args: string[], env: Env = {}): Promise<Ran> {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      env: { UWS_PASSWORD: API_PASSWORD, THINGSPACE_URL: uws.url, ...env },
      cwd: dir,
    };
    const code = await run(args, io);
    outputs.push(stdout, stderr);
    return { code, stdout, stderr };
  }

  let config: string;
  beforeAll(async () => {
    await uws.start();
    config = configFile('bridge.json', {});
  });
  afterAll(async () => {
    await uws.close();
    rmSync(dir, { recursive: true, force: true });
    // Whatever was printed, by any test: never a password.
    for (const output of outputs) {
      expect(output).not.toContain(API_PASSWORD);
      expect(output).not.toContain(CALLBACK_PASSWORD);
    }
  });

  it('sync --dry-run prints the plan and changes nothing; --detailed-exitcode: 3 for "would change"', async () => {
    expect((await callbacks(['sync', '--dry-run', '--config', config])).code).toBe(0);
    const { code, stdout } = await callbacks([
      'sync',
      '--dry-run',
      '--detailed-exitcode',
      '--config',
      config,
    ]);
    expect(code).toBe(3);
    expect(stdout).toContain(`account ${ACCOUNT}\n  + CarrierService `);
    expect(stdout).toContain(
      `Plan: ${SOAP_SERVICES.length} to register, 0 to re-register, 0 to unregister; 0 unchanged.`,
    );
    expect(stdout.endsWith('Dry run: nothing was changed.\n')).toBe(true);
    expect(uws.registrations()).toEqual([]);
  });

  it('sync applies the plan and exits 0; run again, it has nothing to do (0 even with --detailed-exitcode)', async () => {
    const first = await callbacks(['sync', '--config', config]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`registered CarrierService (account ${ACCOUNT})\n`);
    expect(first.stdout.endsWith(`Apply complete: ${SOAP_SERVICES.length} changed.\n`)).toBe(true);
    expect(uws.registrations()).toHaveLength(SOAP_SERVICES.length);

    const second = await callbacks(['sync', '--detailed-exitcode', '--config', config]);
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(second.stdout.endsWith(`No changes: ${SOAP_SERVICES.length} unchanged.\n`)).toBe(true);
  });

  it('list: a table of service, URL and whether credentials are set', async () => {
    const { code, stdout } = await callbacks(['list', '--config', config]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ACCOUNT\s+SERVICE\s+URL\s+CREDENTIALS$/);
    expect(lines).toHaveLength(SOAP_SERVICES.length + 1);
    expect(lines).toContain(
      `${ACCOUNT}  PromoChange                  https://bridge.example.com/callbacks/PromoChange                  yes`,
    );
  });

  it('register and unregister one service; sync then puts the config back', async () => {
    const moved = await callbacks([
      'register',
      'promochanges',
      '--url',
      'https://other.example.com/p',
      '--config',
      config,
    ]);
    expect(moved).toMatchObject({
      code: 0,
      stdout: `registered PromoChange for account ${ACCOUNT}: https://other.example.com/p\n`,
    });
    const gone = await callbacks(['unregister', 'AlertService', '--config', config]);
    expect(gone).toMatchObject({ code: 0, stdout: `unregistered AlertService for account ${ACCOUNT}\n` });

    const detailed = ['sync', '--detailed-exitcode', '--config', config];
    const plan = await callbacks(['--dry-run', ...detailed]);
    expect(plan.code).toBe(3);
    expect(plan.stdout).toContain(
      '  ~ PromoChange                  https://other.example.com/p -> https://bridge.example.com/callbacks/PromoChange  (URL)\n',
    );
    expect(plan.stdout).toContain('  + AlertService ');
    expect((await callbacks(detailed)).code).toBe(3);
    expect((await callbacks(detailed)).code).toBe(0);
  });

  it('register without --url takes the URL the config gives the service', async () => {
    const own = configFile('ports.json', { services: { DeviceUsage: { port: 9004 } } });
    const { code, stdout } = await callbacks(['register', 'DeviceUsage', '--config', own]);
    expect(code).toBe(0);
    expect(stdout).toBe(
      `registered DeviceUsage for account ${ACCOUNT}: https://bridge.example.com:9004/callbacks/DeviceUsage\n`,
    );
  });

  it('start-sms releases the queued device SMS of every account', async () => {
    expect(await callbacks(['start-sms', '--config', config])).toEqual({
      code: 0,
      stdout: `released queued device SMS of account ${ACCOUNT}\n`,
      stderr: '',
    });
  });

  it('recover: start-sms for each account taking device SMS or NIDD data, every one tried, exit 1 if one failed', async () => {
    const released: string[] = [];
    const platform = new FakeUws(
      {
        users: [{ username: 'api', password: new Secret(API_PASSWORD) }],
        accounts: [ACCOUNT, '0000555123-00003'],
      },
      { onStartSmsCallback: (account) => released.push(account) },
    );
    await platform.start();
    try {
      const accounts = configFile('recover.json', {
        accounts: [
          {
            name: '0000555123-00002',
            username: 'u2',
            password: CALLBACK_PASSWORD,
            services: ['CarrierService'],
          },
          {
            name: '0000555123-00003',
            username: 'u3',
            password: CALLBACK_PASSWORD,
            services: ['NiddService'],
          },
          { name: '0000555123-00004', username: 'u4', password: CALLBACK_PASSWORD, services: ['*'] },
          {
            name: ACCOUNT,
            username: 'u1',
            password: CALLBACK_PASSWORD,
            services: ['enhancedconnectivityservice'],
          },
        ],
      });
      const env = { THINGSPACE_URL: platform.url };
      const all = await callbacks(['recover', '--config', accounts], env);
      // -00002 takes neither service; -00004 is unknown to the platform, which faults, and the others go on.
      expect(released).toEqual(['0000555123-00003', ACCOUNT]);
      expect(all.code).toBe(1);
      expect(all.stdout.split('\n')).toEqual([
        'released queued device messages of account 0000555123-00003',
        expect.stringMatching(/^FAILED to release queued device messages of account 0000555123-00004: .+/),
        `released queued device messages of account ${ACCOUNT}`,
        'Recovery incomplete: 1 of 3 accounts failed; run recover again.',
        '',
      ]);

      released.length = 0;
      const one = await callbacks(['recover', '--account', ACCOUNT, '--config', accounts], env);
      expect(one).toEqual({
        code: 0,
        stdout: `released queued device messages of account ${ACCOUNT}\n`,
        stderr: '',
      });
      expect(released).toEqual([ACCOUNT]);

      const none = configFile('no-device.json', {
        accounts: [
          { name: ACCOUNT, username: 'u1', password: CALLBACK_PASSWORD, services: ['CarrierService'] },
        ],
      });
      expect(await callbacks(['recover', '--config', none], env)).toEqual({
        code: 0,
        stdout: 'no account takes EnhancedConnectivityService or NiddService: nothing to release\n',
        stderr: '',
      });
    } finally {
      await platform.close();
    }
  });

  it('a removed service is unregistered by sync', async () => {
    const fewer = configFile('fewer.json', { services: { DeviceService: { enabled: false } } });
    const { code, stdout } = await callbacks(['sync', '--config', fewer]);
    expect(code).toBe(0);
    expect(stdout).toContain('  - DeviceService ');
    expect(stdout).toContain(`unregistered DeviceService (account ${ACCOUNT})\n`);
    expect(uws.registration(ACCOUNT, 'DeviceService')).toBeUndefined();
  });

  it('an account with a path token: registered at /callbacks/<token>/<Service>, shown masked everywhere', async () => {
    const TOKEN_ACCOUNT = '0000555123-00009';
    const TOKEN = 'cli-test-token-Zx81qLmN4vB7';
    const withToken = configFile('token.json', {
      accounts: [{ name: TOKEN_ACCOUNT, pathTokenEnv: 'ACME_TOKEN', services: ['PromoChange'] }],
    });
    const env = { ACME_TOKEN: TOKEN };
    const printed: string[] = [];
    const ran = async (args: string[]) => {
      const result = await callbacks([...args, '--config', withToken], env);
      printed.push(result.stdout, result.stderr);
      return result;
    };

    const sync = await ran(['sync']);
    expect(sync.code).toBe(0);
    expect(sync.stdout).toContain('  + PromoChange  https://bridge.example.com/callbacks/****/PromoChange\n');
    // What the platform holds: the token in the URL, no credentials.
    expect(uws.registration(TOKEN_ACCOUNT, 'PromoChange')).toMatchObject({
      url: `https://bridge.example.com/callbacks/${TOKEN}/PromoChange`,
      username: '',
    });
    expect((await ran(['list'])).stdout).toContain(
      `${TOKEN_ACCOUNT}  PromoChange  https://bridge.example.com/callbacks/****/PromoChange  no`,
    );
    expect((await ran(['register', 'PromoChange'])).stdout).toBe(
      `registered PromoChange for account ${TOKEN_ACCOUNT}: https://bridge.example.com/callbacks/****/PromoChange\n`,
    );
    // A new token is a new URL; the plan says so without showing either.
    const rotated = await callbacks(['sync', '--dry-run', '--config', withToken], {
      ACME_TOKEN: `${TOKEN}-rotated`,
    });
    printed.push(rotated.stdout, rotated.stderr);
    expect(rotated.stdout).toContain(
      '  ~ PromoChange  https://bridge.example.com/callbacks/****/PromoChange  (path token)\n',
    );
    for (const output of printed) expect(output).not.toContain(TOKEN);
  });

  describe('refuses with a clear message: 2 for usage and config, 1 for checks and the platform', () => {
    it.each<[string, string[], Env, number, RegExp]>([
      ['an unknown command', ['frobnicate'], {}, 2, /unknown command 'frobnicate'\n.*callbacks --help/],
      ['an unknown option', ['sync', '--frob'], {}, 2, /unknown option '--frob'\n.*callbacks --help/],
      ['a near miss', ['sync', '--forse'], {}, 2, /unknown option '--forse'\n\(Did you mean --force\?\)/],
      ['a stray operand', ['list', 'extra', '--config', '%'], {}, 2, /unexpected 'extra'/],
      ['no config', ['list'], {}, 2, /no config file: pass --config <path> or set BRIDGE_CONFIG/],
      [
        'an unknown service',
        ['register', 'NiddService', '--config', '%'],
        {},
        2,
        /'NiddService' is not a ThingSpace SOAP callback service/,
      ],
      [
        'an unknown account',
        ['list', '--account', 'nobody', '--config', '%'],
        {},
        2,
        /no account named nobody in the config/,
      ],
      [
        'a platform fault',
        ['unregister', 'DeviceService', '--config', '%'],
        {},
        1,
        /UnregisterCallback: ThingSpace answered a fault \(Client\): No callback is registered for service 'DeviceService'\./,
      ],
      [
        'a wrong API password',
        ['list', '--config', '%'],
        { UWS_PASSWORD: 'wrong' },
        1,
        /LogIn: ThingSpace answered a fault \(Client\): Invalid username or password\./,
      ],
      [
        'an http URL without --allow-http',
        ['register', 'PromoChange', '--url', 'http://b.example.com/p', '--config', '%'],
        {},
        1,
        /http:\/\/b.example.com\/p must be https/,
      ],
      [
        'a port the platform refuses',
        ['register', 'PromoChange', '--url', 'https://b.example.com:8443/p', '--config', '%'],
        {},
        1,
        /port 8443 is not one ThingSpace accepts/,
      ],
      [
        'the password variable unset',
        ['list', '--config', '%'],
        { UWS_PASSWORD: undefined },
        2,
        /thingspace.passwordEnv: environment variable UWS_PASSWORD is not set/,
      ],
    ])('%s: exit %d', async (_what, args, env, exit, message) => {
      const { code, stderr } = await callbacks(
        args.map((arg) => (arg === '%' ? config : arg)),
        env,
      );
      expect(code).toBe(exit);
      expect(stderr).toMatch(message);
    });

    it('a config without a thingspace section', async () => {
      const bare = configFile('bare.json', { thingspace: undefined });
      const { code, stderr } = await callbacks(['list', '--config', bare], { THINGSPACE_URL: undefined });
      expect(code).toBe(2);
      expect(stderr).toMatch(/the config has no thingspace section/);
    });

    it('register with several accounts and no --account', async () => {
      const two = configFile('two.json', {
        accounts: [
          { name: ACCOUNT, username: 'a', password: CALLBACK_PASSWORD, services: ['*'] },
          { name: '0000555123-00002', username: 'b', password: CALLBACK_PASSWORD, services: ['*'] },
        ],
      });
      const { code, stderr } = await callbacks(['register', 'PromoChange', '--config', two]);
      expect(code).toBe(2);
      expect(stderr).toMatch(/name the account with --account \(the config has 2\)/);
    });

    it('no answer from the API: retries said on stderr, then UWS_UNREACHABLE', async () => {
      const retrying = configFile('retrying.json', {
        thingspace: { username: 'api', passwordEnv: 'UWS_PASSWORD', retries: 2, retryDelayMs: 5 },
      });
      const closed = await closedPort();
      const { code, stderr } = await callbacks(['list', '--config', retrying], {
        THINGSPACE_URL: `http://127.0.0.1:${closed}/api/v2`,
      });
      expect(code).toBe(1);
      const retries = stderr.split('\n').filter((line) => line.includes('retrying in'));
      expect(retries).toEqual([
        expect.stringMatching(
          /^callbacks: LogIn: no answer \(ECONNREFUSED\), attempt 1; retrying in \d+ ms$/,
        ),
        expect.stringMatching(
          /^callbacks: LogIn: no answer \(ECONNREFUSED\), attempt 2; retrying in \d+ ms$/,
        ),
      ]);
      // 5 ms doubling, jittered down to half.
      const waits = retries.map((line) => Number(/(\d+) ms$/.exec(line)![1]));
      expect(waits[0]).toBeGreaterThanOrEqual(2);
      expect(waits[0]).toBeLessThanOrEqual(5);
      expect(waits[1]).toBeGreaterThanOrEqual(5);
      expect(waits[1]).toBeLessThanOrEqual(10);
      expect(stderr).toContain(
        `LogIn: no answer from http://127.0.0.1:${closed}/api/v2/SessionService.svc after 3 attempts (ECONNREFUSED)`,
      );
    });
  });

  it('--help prints the usage and exits 0', async () => {
    const { code, stdout } = await callbacks(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: thingspace-bridge callbacks <command> \[options\]/);
    expect(stdout).toContain('  sync [--dry-run] [--force] ');
  });

  it('--version prints the version and exits 0', async () => {
    const { code, stdout } = await callbacks(['--version']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});
