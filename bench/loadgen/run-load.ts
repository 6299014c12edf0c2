/**
 * Runs one load generator process (bench/loadgen/main.ts) and reports its phases as they come: the orchestrators
 * (bench/run.ts, bench/overload.ts) sample the server between `measuring` and `draining`.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { LoadResult, LoadSpec } from './types';

export type LoadPhase = 'measuring' | 'draining';

export function runLoad(
  root: string,
  spec: LoadSpec,
  onPhase: (phase: LoadPhase) => void,
): Promise<LoadResult> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'bench/loadgen/main.ts'), JSON.stringify(spec)],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise<LoadResult>((resolve, reject) => {
    let got: LoadResult | undefined;
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as { type: string; phase?: LoadPhase } & LoadResult;
      if (message.type === 'phase') onPhase(message.phase!);
      else if (message.type === 'result') got = message;
    });
    child.once('exit', (code) =>
      got === undefined ? reject(new Error(`the load generator exited with ${code}`)) : resolve(got),
    );
  });
}
