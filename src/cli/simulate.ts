/**
 * `thingspace-bridge simulate`: ThingSpace on this machine, for trying the bridge without the platform. Runs the
 * simulator's fake UWS API; every callback registration it takes (from `callbacks sync` or `register`) is sent
 * realistic callbacks of its service at once, with the platform's retry policy; StartSmsCallback releases the
 * queued device SMS. Runs until SIGINT or SIGTERM, then prints the totals.
 *
 *   thingspace-bridge simulate [--user NAME] [--password-env VAR] [--account NAME]... [--host H] [--port P]
 *                              [--count N] [--rate PER_SECOND] [--retry-interval-ms MS] [--templates DIR]
 *
 * The API user's password is read from the environment variable --password-env names (THINGSPACE_PASSWORD by
 * default), never from the command line. The first line on stdout is `THINGSPACE_URL=<API root>`.
 */
import { parseArgs } from 'node:util';
import { maskedUrl } from '../registration';
import { addReport, DEFAULT_RETRY_INTERVAL_MS, emptyReport, Simulator } from '../simulator';
import type { AttemptResult, SendReport, SimulatedRegistration, UwsCall } from '../simulator';
import { Secret } from '../util/secret';
import { EXIT_FAILED, EXIT_OK, processIo } from './callbacks';
import type { CliIo } from './callbacks';

const USAGE = `usage: thingspace-bridge simulate [options]
  --user NAME              the API user that may LogIn (default: simulator)
  --password-env VAR       the variable holding its password (default: THINGSPACE_PASSWORD)
  --account NAME           an account that exists (repeatable; default: any)
  --host H, --port P       where the fake API listens (default: 127.0.0.1, a free port)
  --count N                callbacks per registration (default: each sample of the service once)
  --rate R                 callbacks per second per registration; without --count, until stopped
  --retry-interval-ms MS   between delivery attempts (default: ${DEFAULT_RETRY_INTERVAL_MS}, as the platform)
  --templates DIR          the sample callbacks (default: test/fixtures/callbacks of this checkout)
`;

const OPTIONS = {
  user: { type: 'string', default: 'simulator' },
  'password-env': { type: 'string', default: 'THINGSPACE_PASSWORD' },
  account: { type: 'string', multiple: true },
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string', default: '0' },
  count: { type: 'string' },
  rate: { type: 'string' },
  'retry-interval-ms': { type: 'string' },
  templates: { type: 'string' },
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
    const password = io.env[values['password-env']];
    if (!password) throw new Error(`set ${values['password-env']} to the API user's password`);
    options = {
      values,
      password: new Secret(password),
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
    users: [{ username: values.user, password }],
    accounts: values.account,
    host: values.host,
    port: options.port,
    templates: values.templates,
    retryIntervalMs: options.retryIntervalMs,
    onCall: (call) => io.stdout(`uws  ${callLine(call)}\n`),
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
  io.stdout(`THINGSPACE_URL=${simulator.url}\n`);
  io.stdout(`simulator: waiting for registrations (LogIn as ${values.user}); Ctrl-C to stop\n`);

  await stop;
  abort.abort();
  await Promise.all(sending);
  addReport(totals, await simulator.settled());
  await simulator.close();
  io.stdout(`simulator: ${reportLine(totals)}; ${simulator.queued()} device SMS still queued\n`);
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
