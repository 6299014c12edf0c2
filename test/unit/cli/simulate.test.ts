/**
 * `thingspace-bridge simulate` in-process: it prints where its API is, sends every registration it takes its
 * service's callbacks, stops when told and prints the totals; bad arguments exit 1.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CliIo } from '../../../src/cli/callbacks';
import { run } from '../../../src/cli/simulate';
import { withRegistrationApi, withUwsSession } from '../../../src/registration';
import { Secret } from '../../../src/util/secret';
import { restApiConfig } from '../../support/rest-api';

function capture(env: Record<string, string | undefined>) {
  const out = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: (text) => (out.stdout += text),
    stderr: (text) => (out.stderr += text),
    env,
    cwd: process.cwd(),
  };
  return { io, out };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('thingspace-bridge simulate', () => {
  it('serves the API, sends to each registration, and prints the totals when stopped', async () => {
    const received: string[] = [];
    const bridge = createServer((req, res) => {
      received.push(req.url ?? '');
      req.resume().on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => bridge.listen(0, '127.0.0.1', resolve));
    const bridgeUrl = `http://127.0.0.1:${(bridge.address() as AddressInfo).port}`;

    const { io, out } = capture({ SIM_PW: 'sim-pw-71' });
    let stop!: () => void;
    const running = run(
      ['--user', 'api', '--password-env', 'SIM_PW', '--count', '2', '--retry-interval-ms', '10'],
      io,
      new Promise<void>((resolve) => (stop = resolve)),
    );
    await until(() => out.stdout.includes('THINGSPACE_URL='));
    const url = /^THINGSPACE_URL=(\S+)$/m.exec(out.stdout)![1]!;

    await withUwsSession(
      {
        url,
        username: 'api',
        password: new Secret('sim-pw-71'),
        timeoutMs: 5_000,
        retries: 0,
        retryDelayMs: 1,
      },
      (session) =>
        session.registerCallback({
          accountName: '0000555123-00001',
          serviceName: 'ResumeTrackingNotification',
          url: `${bridgeUrl}/callbacks/ResumeTrackingNotification`,
          username: 'u',
          password: new Secret('p'),
        }),
    );
    await until(() => out.stdout.includes('done ResumeTrackingNotification'));
    stop();
    expect(await running).toBe(0);
    await new Promise((resolve) => bridge.close(resolve));

    expect(received).toEqual([
      '/callbacks/ResumeTrackingNotification',
      '/callbacks/ResumeTrackingNotification',
    ]);
    expect(out.stdout).toContain('uws  RegisterCallback 0000555123-00001 ResumeTrackingNotification: ok\n');
    expect(out.stdout).toMatch(/^send 200 +ResumeTrackingNotification resume-tracking-\S+ CallbackCount=1$/m);
    expect(out.stdout).toContain(
      'simulator: sent 2, acknowledged 2, retried 0, given up 0, queued 0, unfinished 0; 0 device messages still queued\n',
    );
    expect(out.stdout + out.stderr).not.toContain('sim-pw-71');
  });

  it('--api rest: prints what to configure, serves the REST API, sends JSON; no secret printed', async () => {
    const types: string[] = [];
    const bridge = createServer((req, res) => {
      types.push(`${req.url} ${req.headers['content-type']}`);
      req.resume().on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => bridge.listen(0, '127.0.0.1', resolve));
    const bridgeUrl = `http://127.0.0.1:${(bridge.address() as AddressInfo).port}`;
    const { io, out } = capture({ THINGSPACE_PASSWORD: 'sim-pw-72', THINGSPACE_APP_SECRET: 'app-secret-73' });
    let stop!: () => void;
    const running = run(
      ['--api', 'rest', '--count', '1', '--app-key', 'my-app'],
      io,
      new Promise<void>((resolve) => (stop = resolve)),
    );
    await until(() => out.stdout.includes('waiting for registrations'));
    expect(out.stdout).not.toContain('THINGSPACE_URL=');
    const restUrl = /^THINGSPACE_REST_URL=(\S+)$/m.exec(out.stdout)![1]!;
    const oauthTokenUrl = /^THINGSPACE_OAUTH_TOKEN_URL=(\S+)$/m.exec(out.stdout)![1]!;
    expect(out.stdout).toContain('THINGSPACE_APP_KEY=my-app\n');
    expect(out.stdout).toContain('REST app secret: the value of THINGSPACE_APP_SECRET');

    const rest = restApiConfig({
      urls: { restUrl, oauthTokenUrl },
      app: { key: 'my-app', secret: new Secret('app-secret-73') },
      user: { username: 'simulator', password: new Secret('sim-pw-72') },
    });
    await withRegistrationApi(rest, (api) =>
      api.register({
        accountName: '0000555123-00001',
        serviceName: 'StateService',
        url: `${bridgeUrl}/callbacks/StateService`,
        username: '',
        password: new Secret(''),
      }),
    );
    await until(() => out.stdout.includes('done StateService'));
    stop();
    expect(await running).toBe(0);
    await new Promise((resolve) => bridge.close(resolve));

    expect(types).toEqual(['/callbacks/StateService application/json']);
    expect(out.stdout).toContain('rest POST /callbacks/{account} 0000555123-00001 StateService: ok\n');
    expect(out.stdout + out.stderr).not.toMatch(/sim-pw-72|app-secret-73/);
  });

  it.each([
    [[], {}, /set THINGSPACE_PASSWORD to the API user's password/],
    [['--api', 'grpc'], { THINGSPACE_PASSWORD: 'x' }, /--api expects soap, rest or both, got 'grpc'/],
    [['--api', 'both'], { THINGSPACE_PASSWORD: 'x' }, /set THINGSPACE_APP_SECRET to the REST app's secret/],
    [['--count', '0'], { THINGSPACE_PASSWORD: 'x' }, /--count expects a positive integer, got '0'/],
    [['--rate', 'fast'], { THINGSPACE_PASSWORD: 'x' }, /--rate expects a positive number, got 'fast'/],
    [['--port', '70000'], { THINGSPACE_PASSWORD: 'x' }, /--port expects 0-65535, got '70000'/],
    [['--password', 'x'], { THINGSPACE_PASSWORD: 'x' }, /unknown option '--password'/],
    [['--rat', '1'], { THINGSPACE_PASSWORD: 'x' }, /unknown option '--rat'\n\(Did you mean --rate\?\)/],
    [['extra'], { THINGSPACE_PASSWORD: 'x' }, /too many arguments/],
  ])('%j: exit 2, a usage error', async (args, env, message) => {
    const { io, out } = capture(env);
    expect(await run(args, io, Promise.resolve())).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stderr).toContain("run 'thingspace-bridge simulate --help' for usage");
  });
});
