import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markRunning, RUN_MARKER } from '../../../src/bridge/run-marker';

describe('run marker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'run-marker-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a first start is no crash; a start after a run that never cleared is; a cleared one is not', async () => {
    const state = join(dir, 'state');
    const first = await markRunning(state);
    expect(first.crashed).toBe(false);
    expect(existsSync(join(state, RUN_MARKER))).toBe(true);

    // The first run ends without clear(): killed.
    const second = await markRunning(state);
    expect(second.crashed).toBe(true);

    await second.clear();
    expect(existsSync(join(state, RUN_MARKER))).toBe(false);
    expect((await markRunning(state)).crashed).toBe(false);
  });
});
