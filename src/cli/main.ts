#!/usr/bin/env node
/**
 * `thingspace-bridge <command>`: the one entry point. Each command lives in its own module under src/cli/ and
 * parses its own arguments (src/cli/command.ts); this one dispatches by name and answers the root's `--help` and
 * `--version`.
 */
import '../kafka/kafkajs-timer-warning';
import { Command } from 'commander';
import * as callbacks from './callbacks';
import { packageVersion } from '../util/version';
import { parseCommand, EXIT_FAILED, EXIT_USAGE } from './command';
import * as dedupe from './dedupe';
import * as replay from './replay';
import * as serve from './serve';
import * as simulate from './simulate';
import * as tail from './tail';

interface Entry {
  description: string;
  run: (args: string[]) => Promise<number>;
}

const COMMANDS: Readonly<Record<string, Entry>> = {
  serve: { description: serve.DESCRIPTION, run: (args) => serve.run(args) },
  tail: { description: tail.DESCRIPTION, run: (args) => tail.run(args) },
  callbacks: { description: callbacks.DESCRIPTION, run: (args) => callbacks.run(args) },
  simulate: { description: simulate.DESCRIPTION, run: (args) => simulate.run(args) },
  replay: { description: replay.DESCRIPTION, run: (args) => replay.run(args) },
  dedupe: { description: dedupe.DESCRIPTION, run: (args) => dedupe.run(args) },
};

/** The root: its commands listed for help and suggestions only, since each parses its own arguments. */
function root(): Command {
  const program = new Command('thingspace-bridge')
    .usage('<command> [options]')
    .version(packageVersion(), '-v, --version')
    .showSuggestionAfterError(true)
    .helpCommand(false)
    .showHelpAfterError("(run 'thingspace-bridge --help' for the commands)")
    .addHelpText('after', "\nEach command's options: thingspace-bridge <command> --help");
  for (const [name, { description }] of Object.entries(COMMANDS))
    program.command(name).description(description);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : COMMANDS[name];
  if (command !== undefined) return command.run(rest);
  const parsed = parseCommand(root(), argv);
  // Only an answer or a refusal can come back: a known name was dispatched above.
  return parsed.ok ? EXIT_USAGE : parsed.code;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`thingspace-bridge: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = EXIT_FAILED;
    },
  );
}
