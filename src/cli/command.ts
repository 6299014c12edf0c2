/**
 * What every command shares: its commander definition made strict (an unknown option, a stray argument or a bad
 * value is a usage error with a hint, a near miss suggested), `--help` and `--version` answered with exit 0, and
 * the exit codes. Commands parse their own arguments through `parseCommand`, so a test can call them directly.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { packageVersion } from '../util/version';

/** The exit codes of every command (README, "The command line"). */
export const EXIT_OK = 0;
/** The command ran and failed: Kafka or the registry unreachable, the platform refused, a check failed. */
export const EXIT_FAILED = 1;
/** How it was called: an unknown option or command, a stray argument, a bad value, an invalid config. */
export const EXIT_USAGE = 2;

/** Where a command's help and errors go: the process's streams, or a test's. */
export interface CommandOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const processOutput: CommandOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** A command named `thingspace-bridge <name>`, strict, with `--version` and `--help`. */
export function defineCommand(name: string, description: string): Command {
  return new Command(`thingspace-bridge ${name}`)
    .description(description)
    .version(packageVersion(), '-v, --version')
    .allowExcessArguments(false)
    .showSuggestionAfterError(true)
    .showHelpAfterError(`(run 'thingspace-bridge ${name} --help' for usage)`);
}

export type Parsed =
  { ok: true; options: Record<string, unknown>; operands: string[] } | { ok: false; code: number };

/**
 * Parses `args` (after the command's name) with `command`: the options and operands, or the exit code when it
 * answered (help, version: 0) or refused (usage: 2).
 */
export function parseCommand(
  command: Command,
  args: readonly string[],
  output: CommandOutput = processOutput,
): Parsed {
  command.exitOverride().configureOutput({ writeOut: output.stdout, writeErr: output.stderr });
  // Without an action, operands are commander's `args`; with no declared arguments, any operand is stray.
  try {
    command.parse([...args], { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    // commander gives 0 for what it answered (--help, --version), 1 for every refusal.
    return { ok: false, code: err.exitCode === 0 ? EXIT_OK : EXIT_USAGE };
  }
  return { ok: true, options: command.opts(), operands: command.args };
}

/** commander's argParser for a positive integer (`--count 3`). */
export function positiveInteger(text: string): number {
  if (!/^[1-9]\d*$/.test(text)) throw new InvalidArgumentError('expects a positive integer.');
  return Number(text);
}

/** commander's argParser for a repeatable option: every value, in order. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
