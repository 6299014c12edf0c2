#!/usr/bin/env node
/**
 * `thingspace-bridge <command>`: the one entry point. Each command lives in its own module under src/cli/.
 */
import '../kafka/kafkajs-timer-warning';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as callbacks from './callbacks';
import * as replay from './replay';
import * as serve from './serve';
import * as simulate from './simulate';
import * as tail from './tail';

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  serve: serve.run,
  tail: tail.run,
  callbacks: (args) => callbacks.run(args),
  simulate: (args) => simulate.run(args),
  replay: (args) => replay.run(args),
};

function version(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function usage(): string {
  const names = Object.keys(commands);
  return [
    'usage: thingspace-bridge <command> [options]',
    '',
    names.length > 0 ? `commands: ${names.join(', ')}` : 'commands: (none yet)',
    'options: --version, --help',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`thingspace-bridge: unknown command '${name}'\n${usage()}\n`);
    return 2;
  }
  return command(rest);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`thingspace-bridge: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
