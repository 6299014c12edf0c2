/**
 * Temporary directories for tests, removed when the tests that made them are done, so that a test run leaves
 * nothing behind in os.tmpdir().
 *
 *   const tempDir = tempDirs('spool-unit-');   // in a describe body or at the top of a file
 *   ...
 *   const dir = tempDir();                      // anywhere, tests included: <tmpdir>/spool-unit-XXXXXX
 *   const other = tempDir('slow-');             // <tmpdir>/spool-unit-slow-XXXXXX
 *
 * tempDirs() registers an afterAll that removes every directory its maker made, so it is called where jest
 * takes hooks (a describe body or a file's top level, not inside a test or a hook), and the removal runs after
 * the tests of that block. Among afterAll hooks of the same block jest runs them in the order they were
 * declared: declare tempDirs() after the hooks that still need the directories (a server to stop first).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDirs(prefix: string): (suffix?: string) => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return (suffix = '') => {
    const dir = mkdtempSync(join(tmpdir(), `${prefix}${suffix}`));
    made.push(dir);
    return dir;
  };
}
