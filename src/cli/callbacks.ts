/**
 * `thingspace-bridge callbacks <command>`: the account's callback registrations with ThingSpace (THINGSPACE.md
 * §5 SOAP, §6 REST), managed from the bridge's own config: its accounts (names and callback credentials), its
 * services, where it is reached (http.publicBaseUrl) and the API it logs in to (the `thingspace` section, whose
 * `api` picks SOAP or REST). Passwords come from the config (password, passwordFile, passwordEnv), never from the
 * command line.
 *
 *   list                         every registration of the accounts: service, URL, whether credentials are set
 *   register <service> [--url U] registers one service (the URL the config gives it, unless --url)
 *   unregister <service>         removes one service's registration
 *   sync [--dry-run] [--force]   converges the registrations to what the config wants; --dry-run prints the plan
 *                                only, --force re-registers what looks unchanged (after a password change)
 *   start-sms                    StartSmsCallback (REST: PUT startCallbacks): releases the device SMS queued
 *                                while the bridge was away
 *   recover                      StartSmsCallback for every account that takes device SMS or NIDD data (or the
 *                                --account ones), each tried even when another fails: `serve`'s recovery, by hand
 *
 *   --config FILE (or BRIDGE_CONFIG), --account NAME (repeatable; needed by register/unregister when the config
 *   has several), --allow-http and --allow-any-port (for a simulator; the platform wants https and its ports, §4)
 *
 * Exit codes, as every command's: 0 done, 1 failed (checks, the platform), 2 usage or config. `sync
 * --detailed-exitcode` adds 3 for "changed something (or, with --dry-run, would)", so a pipeline can tell drift
 * from success without a code that also means a usage error (terraform's 2 does both).
 */
import { recoverableAccounts } from '../bridge/outage';
import { ConfigError, loadConfig } from '../config';
import type { Config, Env, ThingSpaceConfig } from '../config';
import { findService, findServiceIn } from '../thingspace/catalogue';
import type { ServiceName } from '../thingspace/catalogue';
import {
  changesOf,
  checkRegistrations,
  desiredRegistration,
  formatPlan,
  formatRegistrations,
  maskedUrl,
  RegistrationError,
  syncRegistrations,
  withRegistrationApi,
} from '../registration';
import type { AppliedChange, Change, RegistrationApi, RegistrationApiOptions } from '../registration';
import { collect, defineCommand, EXIT_FAILED, EXIT_OK, EXIT_USAGE, parseCommand } from './command';
import { platformStartSms } from './start-sms';

/** Where a command writes and what it reads from outside: the process's, or a test's. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Env;
  cwd: string;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  };
}

/** `sync --detailed-exitcode`: something changed (or, with --dry-run, would). */
const EXIT_CHANGED = 3;

export const DESCRIPTION = "manage the accounts' callback registrations with ThingSpace";

const COMMANDS_HELP = `
Commands:
  list                              the accounts' registrations: service, URL, credentials set
  register <service> [--url URL]    register one service (default URL: from the config)
  unregister <service>              remove one service's registration
  sync [--dry-run] [--force]        converge the registrations to the config
       [--detailed-exitcode]        (exit 3 when something changed, or with --dry-run would)
  start-sms                         release device SMS queued during an outage (StartSmsCallback)
  recover                           start-sms for each account taking device SMS or NIDD data, all tried

Exit codes: 0 done, 1 failed, 2 usage or config error, 3 sync --detailed-exitcode changed something (or would).
`;

function command() {
  return defineCommand('callbacks', DESCRIPTION)
    .usage('<command> [options]')
    .argument('[command]')
    .argument('[operands...]')
    .option('-c, --config <file>', "the bridge's config file (default: $BRIDGE_CONFIG)")
    .option('--account <name>', 'an account of the config, repeatable (default: all)', collect)
    .option('--url <url>', "register: the URL to register instead of the config's")
    .option('--dry-run', 'sync: print the plan only')
    .option('--force', 'sync: re-register what looks unchanged (after a password change)')
    .option(
      '--detailed-exitcode',
      'sync: exit 3 when something changed (or, with --dry-run, would), 0 when not',
    )
    .option('--allow-http', 'allow http URLs (a simulator; ThingSpace wants https)')
    .option(
      '--allow-any-port',
      'allow any port (a simulator; ThingSpace wants 80, 443, 9001-9006, 28200-28220, 50551-50559)',
    )
    .addHelpText('after', COMMANDS_HELP);
}

interface Values {
  config?: string;
  account?: string[];
  url?: string;
  dryRun?: true;
  force?: true;
  detailedExitcode?: true;
  allowHttp?: true;
  allowAnyPort?: true;
}

/** A problem with how the command was called: usage is printed with it. */
class UsageError extends Error {}

interface Context {
  config: Config;
  thingspace: ThingSpaceConfig;
  apiOptions: RegistrationApiOptions;
  values: Values;
  io: CliIo;
}

export async function run(args: string[], io: CliIo = processIo()): Promise<number> {
  const parsed = parseCommand(command(), args, io);
  if (!parsed.ok) return parsed.code;
  const values = parsed.options as unknown as Values;
  const [name, ...operands] = parsed.operands;
  try {
    const action = name === undefined ? undefined : COMMANDS[name];
    if (action === undefined) throw new UsageError(name ? `unknown command '${name}'` : 'no command');
    return await action(operands, contextOf(values, io));
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`callbacks: ${err.message}\n(run 'thingspace-bridge callbacks --help' for usage)\n`);
      return EXIT_USAGE;
    }
    if (!(err instanceof ConfigError || err instanceof RegistrationError)) throw err;
    io.stderr(`callbacks: ${err.message}\n`);
    return err instanceof ConfigError ? EXIT_USAGE : EXIT_FAILED;
  }
}

type Command = (operands: string[], ctx: Context) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  list: async (operands, ctx) => {
    noOperands(operands);
    const accounts = selectedAccounts(ctx);
    const registrations = await withApi(ctx, async (api) => {
      const all = [];
      for (const account of accounts) all.push(...(await api.list(account)));
      return all;
    });
    ctx.io.stdout(formatRegistrations(registrations));
    return EXIT_OK;
  },

  register: async (operands, ctx) => {
    const service = knownService(oneOperand(operands, 'register <service>'), ctx);
    const account = oneAccount(ctx);
    const registration = desiredRegistration(
      ctx.config,
      account,
      service,
      ctx.values.url,
      ctx.thingspace.api,
    );
    checkRegistrations([registration], urlOptions(ctx.values));
    await withApi(ctx, (api) => api.register(registration));
    ctx.io.stdout(`registered ${service} for account ${account}: ${maskedUrl(registration.url)}\n`);
    return EXIT_OK;
  },

  unregister: async (operands, ctx) => {
    const name = oneOperand(operands, 'unregister <service>');
    // A service the catalogue doesn't know is passed on as written: removing a REST-only registration is the
    // operator's call, which sync never makes.
    const service = findService(name)?.name ?? name;
    const account = oneAccount(ctx);
    await withApi(ctx, (api) => api.unregister(account, service));
    ctx.io.stdout(`unregistered ${service} for account ${account}\n`);
    return EXIT_OK;
  },

  sync: async (operands, ctx) => {
    noOperands(operands);
    const { values, io } = ctx;
    const result = await syncRegistrations(
      ctx.config,
      ctx.thingspace,
      {
        ...urlOptions(values),
        dryRun: values.dryRun === true,
        force: values.force === true,
        accounts: values.account,
        onPlan: (plan) => io.stdout(formatPlan(plan)),
        onApplied: (applied) => io.stdout(appliedLine(applied)),
      },
      ctx.apiOptions,
    );
    const changes = changesOf(result.plan).length;
    if (changes === 0) return EXIT_OK;
    const changed = values.detailedExitcode ? EXIT_CHANGED : EXIT_OK;
    if (values.dryRun) {
      io.stdout('Dry run: nothing was changed.\n');
      return changed;
    }
    const failed = result.applied.filter((applied) => applied.error !== undefined).length;
    if (failed > 0) {
      io.stdout(`Apply incomplete: ${failed} of ${changes} changes failed; run sync again.\n`);
      return EXIT_FAILED;
    }
    io.stdout(`Apply complete: ${changes} changed.\n`);
    return changed;
  },

  'start-sms': async (operands, ctx) => {
    noOperands(operands);
    const accounts = selectedAccounts(ctx);
    await withApi(ctx, async (api) => {
      for (const account of accounts) {
        await api.startSms(account);
        ctx.io.stdout(`released queued device SMS of account ${account}\n`);
      }
    });
    return EXIT_OK;
  },

  recover: async (operands, ctx) => {
    noOperands(operands);
    const accounts =
      ctx.values.account === undefined ? recoverableAccounts(ctx.config) : selectedAccounts(ctx);
    if (accounts.length === 0) {
      ctx.io.stdout('no account takes EnhancedConnectivityService or NiddService: nothing to release\n');
      return EXIT_OK;
    }
    const startSms = platformStartSms(ctx.thingspace, ctx.apiOptions.onRetry);
    let failed = 0;
    for (const account of accounts) {
      try {
        await startSms(account);
        ctx.io.stdout(`released queued device messages of account ${account}\n`);
      } catch (err) {
        if (!(err instanceof RegistrationError)) throw err;
        failed += 1;
        ctx.io.stdout(`FAILED to release queued device messages of account ${account}: ${err.message}\n`);
      }
    }
    if (failed === 0) return EXIT_OK;
    ctx.io.stdout(
      `Recovery incomplete: ${failed} of ${accounts.length} accounts failed; run recover again.\n`,
    );
    return EXIT_FAILED;
  },
};

function contextOf(values: Values, io: CliIo): Context {
  const argv = values.config === undefined ? [] : ['--config', values.config];
  const { config } = loadConfig({ argv, env: io.env, cwd: io.cwd });
  if (config.thingspace === undefined) {
    throw new UsageError(
      'the config has no thingspace section: give thingspace.url (or THINGSPACE_URL; or api: rest with appKey and appSecret), thingspace.username and its password',
    );
  }
  return { config, thingspace: config.thingspace, apiOptions: apiOptions(io), values, io };
}

function withApi<T>(ctx: Context, work: (api: RegistrationApi) => Promise<T>): Promise<T> {
  return withRegistrationApi(ctx.thingspace, work, ctx.apiOptions);
}

function apiOptions(io: CliIo): RegistrationApiOptions {
  return {
    onRetry: ({ operation, attempt, delayMs, reason }) =>
      io.stderr(
        `callbacks: ${operation}: no answer (${reason}), attempt ${attempt}; retrying in ${delayMs} ms\n`,
      ),
  };
}

function urlOptions(values: Values) {
  return { allowHttp: values.allowHttp === true, allowAnyPort: values.allowAnyPort === true };
}

function selectedAccounts({ config, values }: Context): string[] {
  const names = config.accounts.map((account) => account.name);
  const wanted = values.account ?? names;
  const unknown = wanted.filter((name) => !names.includes(name));
  if (unknown.length > 0) throw new UsageError(`no account named ${unknown.join(', ')} in the config`);
  return wanted;
}

function oneAccount(ctx: Context): string {
  const accounts = selectedAccounts(ctx);
  if (accounts.length !== 1) {
    throw new UsageError(`name the account with --account (the config has ${accounts.length})`);
  }
  return accounts[0]!;
}

function knownService(name: string, ctx: Context): ServiceName {
  const { api } = ctx.thingspace;
  const entry = findServiceIn(api, name);
  if (entry === undefined) {
    throw new UsageError(`'${name}' is not a ThingSpace ${api.toUpperCase()} callback service`);
  }
  return entry.name;
}

function oneOperand(operands: string[], form: string): string {
  if (operands.length !== 1) throw new UsageError(`expected ${form}`);
  return operands[0]!;
}

function noOperands(operands: string[]): void {
  if (operands.length > 0) throw new UsageError(`unexpected '${operands.join(' ')}'`);
}

const DONE: Readonly<Record<Change['action'], string>> = {
  register: 'registered',
  reregister: 're-registered',
  unregister: 'unregistered',
};

function appliedLine({ change, error }: AppliedChange): string {
  const account = change.action === 'unregister' ? change.actual.accountName : change.desired.accountName;
  const service = change.action === 'unregister' ? change.actual.serviceName : change.desired.serviceName;
  if (error === undefined) return `${DONE[change.action]} ${service} (account ${account})\n`;
  const reason = error instanceof Error ? error.message : 'unknown failure';
  return `FAILED to ${change.action} ${service} (account ${account}): ${reason}\n`;
}
