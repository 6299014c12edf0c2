/**
 * The bridge as it was at another commit, for a before/after in one run (`BENCH_BASELINE=<git ref>`): the
 * machine's speed drifts between runs minutes apart (bare HTTP moved 15,400-23,300/s in one morning), so a
 * change is judged against its parent running beside it, alternately, not against yesterday's table.
 *
 * The ref is checked out as a detached worktree inside the checkout (`.bench-baseline/`, ignored by git), so its
 * build resolves this checkout's node_modules: a ref with other dependencies than today's is not comparable here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface Baseline {
  root: string;
  commit: string;
  /** Removes the worktree (left behind, jest would find a second copy of every test). */
  remove(): void;
}

export function buildBaseline(root: string, ref: string): Baseline {
  const dir = join(root, '.bench-baseline');
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const commit = git('rev-parse', '--short', `${ref}^{commit}`);
  if (existsSync(dir)) git('worktree', 'remove', '--force', dir);
  git('worktree', 'add', '--detach', dir, commit);
  execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], {
    cwd: dir,
    stdio: 'inherit',
  });
  return { root: dir, commit, remove: () => git('worktree', 'remove', '--force', dir) };
}
