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
import { parseArgs } from 'node:util';
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
import { EXIT_FAILED, EXIT_OK, processIo } from './callbacks';
import type { CliIo } from './callbacks';

const USAGE = `usage: thingspace-bridge simulate [options]
  --api soap|rest|both     the registration API(s) served, both on one port (default: soap)
  --user NAME              the API user that may log in (default: simulator)
  --password-env VAR       the variable holding its password (default: THINGSPACE_PASSWORD)
  --app-key KEY            REST: the OAuth2 app key that may take tokens (default: simulator-app)
  --app-secret-env VAR     REST: the variable holding the app secret (default: THINGSPACE_APP_SECRET)
  --access-token-ttl-ms MS, --session-ttl-ms MS
                           REST: token lifetimes (default: an hour, 30 minutes)
  --account NAME           an account that exists (repeatable; default: any)
  --host H, --port P       where the fake API listens (default: 127.0.0.1, a free port)
  --count N                callbacks per registration (default: each sample of the service once)
  --rate R                 callbacks per second per registration; without --count, until stopped
  --retry-interval-ms MS   between delivery attempts (default: ${DEFAULT_RETRY_INTERVAL_MS}, as the platform)
  --templates DIR          the sample callbacks, repeatable (default: test/fixtures/callbacks and
                           test/fixtures/rest of this checkout)
`;

/** What --api takes: the APIs served. */
const API_CHOICES: Readonly<Record<string, readonly RegistrationApi[]>> = {
  soap: ['soap'],
  rest: ['rest'],
  both: ['soap', 'rest'],
};

const OPTIONS = {
  api: { type: 'string', default: 'soap' },
  user: { type: 'string', default: 'simulator' },
  'password-env': { type: 'string', default: 'THINGSPACE_PASSWORD' },
  'app-key': { type: 'string', default: 'simulator-app' },
  'app-secret-env': { type: 'string', default: 'THINGSPACE_APP_SECRET' },
  'access-token-ttl-ms': { type: 'string' },
  'session-ttl-ms': { type: 'string' },
  account: { type: 'string', multiple: true },
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string', default: '0' },
  count: { type: 'string' },
  rate: { type: 'string' },
  'retry-interval-ms': { type: 'string' },
  templates: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

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
    const { values } = parseArgs({ args, options: OPTIONS });
    if (values.help) {
      io.stdout(USAGE);
      return EXIT_OK;
    }
    const apis = API_CHOICES[values.api];
    if (apis === undefined) throw new Error(`--api expects soap, rest or both, got '${values.api}'`);
    const password = io.env[values['password-env']];
    if (!password) throw new Error(`set ${values['password-env']} to the API user's password`);
    const appSecret = io.env[values['app-secret-env']];
    if (apis.includes('rest') && !appSecret) {
      throw new Error(`set ${values['app-secret-env']} to the REST app's secret`);
    }
    options = {
      values,
      apis,
      password: new Secret(password),
      app: { key: values['app-key'], secret: new Secret(appSecret ?? '') },
      accessTokenTtlMs: positive('access-token-ttl-ms', values['access-token-ttl-ms'], true),
      sessionTtlMs: positive('session-ttl-ms', values['session-ttl-ms'], true),
      port: portNumber(values.port),
      count: positive('count', values.count, true),
      rate: positive('rate', values.rate, false),
      retryIntervalMs: positive('retry-interval-ms', values['retry-interval-ms'], true),
    };
  } catch (err) {
    io.stderr(`simulate: ${(err as Error).message}\n${USAGE}`);
    return EXIT_FAILED;
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
        `THINGSPACE_APP_KEY=${values['app-key']}\n` +
        `simulator: REST app secret: the value of ${values['app-secret-env']}\n`,
    );
  }
  io.stdout(
    `simulator: serving ${values.api === 'both' ? 'SOAP and REST' : values.api.toUpperCase()}; ` +
      `waiting for registrations (log in as ${values.user}, password: the value of ${values['password-env']}); ` +
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
