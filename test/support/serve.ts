/**
 * `thingspace-bridge serve` as a child process, the way operators run it, for tests of process behaviour
 * (signals, exit codes, crashes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = join(__dirname, '../..');

/**
 * Starts `serve --config <file>` from source. Its stdout (JSON log lines) is piped for listeningPort(); stderr
 * is piped only when a test reads it: an unread pipe fills up and blocks the child.
 */
export function serve(
  configFile: string,
  options: { env?: NodeJS.ProcessEnv; stderr?: 'pipe' | 'ignore' } = {},
): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'serve', '--config', configFile],
    { cwd: root, env: options.env ?? process.env, stdio: ['ignore', 'pipe', options.stderr ?? 'ignore'] },
  );
}

/** The port of the main listener, from the `listening` log line. */
export function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; listeners?: { port: number }[] };
      if (entry.msg === 'listening') resolve(entry.listeners![0]!.port);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before listening`)));
  });
}
