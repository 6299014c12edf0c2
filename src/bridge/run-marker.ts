/**
 * The marker of a running node (config `thingspace.recovery.stateDir`): written at start, removed by a shutdown
 * that finished in time. Found at the next start, it says the last run ended otherwise (killed, crashed, cut short
 * by the grace period), so callbacks may have gone unanswered and device messages may wait at the platform.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const RUN_MARKER = 'running';

export interface RunMarker {
  /** The last run left its marker behind. */
  crashed: boolean;
  /** Removes the marker: this run ended cleanly. */
  clear(): Promise<void>;
}

export async function markRunning(dir: string): Promise<RunMarker> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, RUN_MARKER);
  // 'wx' fails when the file exists, which tells a crash without a separate read; the marker is then rewritten.
  let crashed = false;
  try {
    await writeFile(file, marker(), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    crashed = true;
    await writeFile(file, marker(), { mode: 0o600 });
  }
  return { crashed, clear: () => rm(file, { force: true }) };
}

function marker(): string {
  return `${JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() })}\n`;
}
