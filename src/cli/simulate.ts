/**
 * `thingspace-bridge simulate`: ThingSpace on this machine, for trying the bridge without the platform. Runs the
 * simulator's fake registration API (SOAP UWS v2, REST, or both on one port); every callback registration it
 * takes (from `callbacks sync` or `register`) is sent realistic callbacks of its service at once, SOAP or JSON
 * as the API it came through, with the platform's retry policy; StartSmsCallback (SOAP) or startCallbacks
 * (REST) releases the queued device messages. Runs until SIGINT or SIGTERM, then prints the totals.
 *
 *   thingspace-bridge simulate [--api soap|rest|both] [--user NAME] [--password-env VAR] [--app-key KEY]
 *                              [--app-secret-env VAR] [--account NAME]... [--host H] [--port P] [--count N]
 *                              [--rate PER_SECOND] [--retry-interval-ms MS] [--access-token-ttl-ms MS]
 *                              [--session-ttl-ms MS] [--templates DIR]...
 *
 * Passwords and the app secret are read from the environment variables the options name, never from the command
 * line, and never printed. The first lines on stdout are what to configure: `THINGSPACE_URL=<SOAP API root>`,
 * and for REST `THINGSPACE_REST_URL=`, `THINGSPACE_OAUTH_TOKEN_URL=` and `THINGSPACE_APP_KEY=`.
 */
import { maskedUrl } from '../registration';
import { addReport, DEFAULT_RETRY_INTERVAL_MS, emptyReport, Simulator } from '../simulator';
import type {
  AttemptResult,
  RegistrationApi,
  RestCall,
  SendReport,
  SimulatedRegistration,
  UwsCall,
} from '../simulator';
import { Secret } from '../util/secret';
import { processIo } from './callbacks';
import { collect, defineCommand, EXIT_OK, EXIT_USAGE, parseCommand } from './command';
import type { CliIo } from './callbacks';

/** What --api takes: the APIs served. */
const API_CHOICES: Readonly<Record<string, readonly RegistrationApi[]>> = {
  soap: ['soap'],
  rest: ['rest'],
  both: ['soap', 'rest'],
};

export const DESCRIPTION = 'ThingSpace on this machine: a fake registration API that sends callbacks';

function command() {
  return defineCommand('simulate', DESCRIPTION)
    .option('--api <api>', 'the registration API(s) served, both on one port: soap, rest or both', 'soap')
    .option('--user <name>', 'the API user that may log in', 'simulator')
    .option('--password-env <var>', 'the variable holding its password', 'THINGSPACE_PASSWORD')
    .option('--app-key <key>', 'REST: the OAuth2 app key that may take tokens', 'simulator-app')
    .option('--app-secret-env <var>', 'REST: the variable holding the app secret', 'THINGSPACE_APP_SECRET')
    .option('--access-token-ttl-ms <ms>', 'REST: access token lifetime (default: an hour)')
    .option('--session-ttl-ms <ms>', 'REST: M2M session lifetime (default: 30 minutes)')
    .option('--account <name>', 'an account that exists, repeatable (default: any)', collect)
    .option('--host <host>', 'where the fake API listens', '127.0.0.1')
    .option('--port <port>', 'its port (0: a free one)', '0')
    .option('--count <n>', 'callbacks per registration (default: each sample of the service once)')
    .option('--rate <r>', 'callbacks per second per registration; without --count, until stopped')
    .option(
      '--retry-interval-ms <ms>',
      `between delivery attempts (default: ${DEFAULT_RETRY_INTERVAL_MS}, as the platform)`,
    )
    .option(
      '--templates <dir>',
      'the sample callbacks, repeatable (default: test/fixtures/callbacks and test/fixtures/rest of this checkout)',
      collect,
    );
}

interface Values {
  api: string;
  user: string;
  passwordEnv: string;
  appKey: string;
  appSecretEnv: string;
  accessTokenTtlMs?: string;
  sessionTtlMs?: string;
  account?: string[];
  host: string;
  port: string;
  count?: string;
  rate?: string;
  retryIntervalMs?: string;
  templates?: string[];
}

/** A positive number given as text, or a usage error naming the option. */
function positive(name: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} expects a positive ${integer ? 'integer' : 'number'}, got '${text}'`);
  }
  return value;
}

function portNumber(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port expects 0-65535, got '${text}'`);
  return port;
}

export async function run(
  args: string[],
  io: CliIo = processIo(),
  stop: Promise<unknown> = stopSignal(),
): Promise<number> {
  let options;
  try {
    const parsed = parseCommand(command(), args, io);
    if (!parsed.ok) return parsed.code;
    const values = parsed.options as unknown as Values;
    const apis = API_CHOICES[values.api];
    if (apis === undefined) throw new Error(`--api expects soap, rest or both, got '${values.api}'`);
    const password = io.env[values.passwordEnv];
    if (!password) throw new Error(`set ${values.passwordEnv} to the API user's password`);
    const appSecret = io.env[values.appSecretEnv];
    if (apis.includes('rest') && !appSecret) {
      throw new Error(`set ${values.appSecretEnv} to the REST app's secret`);
    }
    options = {
      values,
      apis,
      password: new Secret(password),
      app: { key: values.appKey, secret: new Secret(appSecret ?? '') },
      accessTokenTtlMs: positive('access-token-ttl-ms', values.accessTokenTtlMs, true),
      sessionTtlMs: positive('session-ttl-ms', values.sessionTtlMs, true),
      port: portNumber(values.port),
      count: positive('count', values.count, true),
      rate: positive('rate', values.rate, false),
      retryIntervalMs: positive('retry-interval-ms', values.retryIntervalMs, true),
    };
  } catch (err) {
    io.stderr(`simulate: ${(err as Error).message}\n(run 'thingspace-bridge simulate --help' for usage)\n`);
    return EXIT_USAGE;
  }
  const { values, password, rate } = options;
  const totals = emptyReport();
  const abort = new AbortController();
  const sending = new Set<Promise<void>>();

  const simulator = await Simulator.start({
    apis: options.apis,
    rest: {
      app: options.app,
      accessTokenTtlMs: options.accessTokenTtlMs,
      sessionTtlMs: options.sessionTtlMs,
    },
    users: [{ username: values.user, password }],
    accounts: values.account,
    host: values.host,
    port: options.port,
    templates: values.templates,
    retryIntervalMs: options.retryIntervalMs,
    onCall: (call) => io.stdout(`uws  ${callLine(call)}\n`),
    onRestCall: (call) => io.stdout(`rest ${restCallLine(call)}\n`),
    onAttempt: (attempt) => io.stdout(`send ${attemptLine(attempt)}\n`),
    onRegistered: (registration) => {
      const done = simulator
        .send({
          targets: [registration],
          // A rate without a count runs until stopped.
          count: options.count ?? (rate === undefined ? undefined : Infinity),
          ratePerSecond: rate,
          signal: abort.signal,
        })
        .then((report) => {
          addReport(totals, report);
          io.stdout(`done ${registrationName(registration)}: ${reportLine(report)}\n`);
        });
      sending.add(done);
      void done.finally(() => sending.delete(done));
    },
  });
  if (simulator.uws !== undefined) io.stdout(`THINGSPACE_URL=${simulator.url}\n`);
  if (simulator.rest !== undefined) {
    const { restUrl, oauthTokenUrl } = simulator.restUrls;
    io.stdout(
      `THINGSPACE_REST_URL=${restUrl}\nTHINGSPACE_OAUTH_TOKEN_URL=${oauthTokenUrl}\n` +
        `THINGSPACE_APP_KEY=${values.appKey}\n` +
        `simulator: REST app secret: the value of ${values.appSecretEnv}\n`,
    );
  }
  io.stdout(
    `simulator: serving ${values.api === 'both' ? 'SOAP and REST' : values.api.toUpperCase()}; ` +
      `waiting for registrations (log in as ${values.user}, password: the value of ${values.passwordEnv}); ` +
      'Ctrl-C to stop\n',
  );

  await stop;
  abort.abort();
  await Promise.all(sending);
  addReport(totals, await simulator.settled());
  await simulator.close();
  io.stdout(`simulator: ${reportLine(totals)}; ${simulator.queued()} device messages still queued\n`);
  return EXIT_OK;
}

function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

function registrationName(registration: Pick<SimulatedRegistration, 'accountName' | 'serviceName' | 'url'>) {
  return `${registration.serviceName} (account ${registration.accountName}) -> ${maskedUrl(registration.url)}`;
}

function callLine(call: UwsCall): string {
  const about = [call.accountName, call.serviceName].filter(Boolean).join(' ');
  return `${call.operation}${about ? ` ${about}` : ''}: ${call.fault === undefined ? 'ok' : `fault: ${call.fault}`}`;
}

function restCallLine(call: RestCall): string {
  const about = [call.accountName, call.serviceName].filter(Boolean).join(' ');
  const outcome = call.error === undefined ? 'ok' : `${call.status} ${call.error}`;
  return `${call.operation}${about ? ` ${about}` : ''}: ${outcome}`;
}

function attemptLine(attempt: AttemptResult): string {
  return (
    `${String(attempt.status ?? 'no answer').padEnd(9)} ${attempt.target.serviceName} ${attempt.template} ` +
    `CallbackCount=${attempt.callbackCount}`
  );
}

export function reportLine(report: SendReport): string {
  return (
    `sent ${report.sent}, acknowledged ${report.acknowledged}, retried ${report.retried}, ` +
    `given up ${report.givenUp}, queued ${report.queued}, unfinished ${report.unfinished}`
  );
}
