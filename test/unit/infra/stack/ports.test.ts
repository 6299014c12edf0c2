import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimPort, listensOn, portLock, releasePort } from '../../../infra/stack/ports';

const ROOT = join(__dirname, '..', '..', '..', '..');

/** The pid of a process that has exited. */
function deadPid(): number {
  const result = spawnSync(process.execPath, ['-e', '']);
  return result.pid;
}

describe('port claims', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ports-test-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives a port to one owner until that owner releases it', () => {
    const a = claimPort(40001, { dir, owner: '/stacks/a' });
    expect(a).toMatchObject({ port: 40001, owner: '/stacks/a', pid: process.pid });
    expect(claimPort(40001, { dir, owner: '/stacks/b' })).toBeUndefined();
    expect(claimPort(40001, { dir, owner: '/stacks/a' })).toBeUndefined(); // a claim is not re-entrant
    expect(releasePort(40001, { dir, owner: '/stacks/b' })).toBe(false);
    expect(portLock(40001, dir)?.nonce).toBe(a!.nonce);
    expect(releasePort(40001, { dir, owner: '/stacks/a' })).toBe(true);
    expect(portLock(40001, dir)).toBeUndefined();
    expect(claimPort(40001, { dir, owner: '/stacks/b' })?.owner).toBe('/stacks/b');
    expect(readdirSync(dir)).toEqual(['40001.lock']); // no drafts or markers left behind
  });

  it('takes over a claim whose process is gone, unless its owner still uses it', () => {
    const pid = deadPid();
    writeFileSync(join(dir, '40002.lock'), JSON.stringify({ port: 40002, owner: '/old', pid, nonce: 'n1' }));
    expect(claimPort(40002, { dir, owner: '/stacks/a', isStale: () => false })).toBeUndefined();
    expect(portLock(40002, dir)?.nonce).toBe('n1');
    const claim = claimPort(40002, { dir, owner: '/stacks/a' }); // default: stale when the pid is gone
    expect(claim?.owner).toBe('/stacks/a');
    expect(portLock(40002, dir)?.nonce).toBe(claim!.nonce);
  });

  it('leaves alone a lock it cannot read, and one that is being removed', () => {
    writeFileSync(join(dir, '40003.lock'), '{"half');
    expect(claimPort(40003, { dir, owner: '/stacks/a', isStale: () => true })).toBeUndefined();
    const nonce = 'n2';
    writeFileSync(
      join(dir, '40004.lock'),
      JSON.stringify({ port: 40004, owner: '/old', pid: deadPid(), nonce }),
    );
    writeFileSync(join(dir, `40004.lock.${nonce}.removing`), '1');
    expect(claimPort(40004, { dir, owner: '/stacks/a' })).toBeUndefined();
    expect(portLock(40004, dir)?.nonce).toBe(nonce);
  });

  it('never gives one port to two processes claiming at the same moment, stale locks included', async () => {
    const ports = Array.from({ length: 20 }, (_, i) => 40100 + i);
    // Half the ports hold the lock of a process that is gone: every worker finds them stale at once.
    const gone = deadPid();
    for (const port of ports.filter((_, i) => i % 2 === 0)) {
      writeFileSync(
        join(dir, `${port}.lock`),
        JSON.stringify({ port, owner: '/old', pid: gone, nonce: `old-${port}` }),
      );
    }
    const startAt = Date.now() + 1500; // every worker loaded and waiting by then
    const workers = Array.from({ length: 5 }, (_, w) => {
      const order = w % 2 === 0 ? ports : [...ports].reverse();
      return spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          join(__dirname, 'claim-worker.ts'),
          dir,
          `/stacks/${w}`,
          String(startAt),
          order.join(','),
        ],
        { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
      );
    });
    try {
      const claimed = await Promise.all(
        workers.map(
          (worker) =>
            new Promise<number[]>((resolve, reject) => {
              let out = '';
              worker.stdout.on('data', (d: Buffer) => {
                out += d.toString();
                if (out.includes('\n')) resolve(JSON.parse(out) as number[]);
              });
              worker.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${out}`)));
            }),
        ),
      );
      const all = claimed.flat().sort((a, b) => a - b);
      expect(all).toEqual(ports); // each port exactly once
      for (const [w, got] of claimed.entries()) {
        for (const port of got) expect(portLock(port, dir)?.owner).toBe(`/stacks/${w}`);
      }
    } finally {
      await Promise.all(
        workers.map((worker) => new Promise((resolve) => (worker.once('exit', resolve), worker.stdin.end()))),
      );
    }
  }, 30_000);
});

describe('listensOn', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('tells the process that listens on a port from one that does not', () => {
    expect(listensOn(process.pid, port)).toBe(true);
    const other = spawn('sleep', ['30']);
    try {
      expect(listensOn(other.pid!, port)).toBe(false);
    } finally {
      other.kill();
    }
    expect(listensOn(deadPid(), port)).toBe(false);
  });

  it('is false for a port nobody listens on', async () => {
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const freePort = (free.address() as { port: number }).port;
    await new Promise((resolve) => free.close(resolve));
    expect(listensOn(process.pid, freePort)).toBe(false);
  });
});
