/**
 * Ports for the local stack's servers, shared by every stack of this user on this machine (every checkout, every
 * test run): a port is claimed with a lock file before its server is started, so that two stacks started at the
 * same moment never pick the same port (checking that a port is free and binding it seconds later is a race).
 *
 * A claim is `<dir>/<port>.lock`, written whole to a temporary file and then hard-linked into place: link(2) fails
 * when the name exists, so exactly one claimer wins and nobody reads a half-written lock. It lasts until released
 * (`stack:down`) or until its owner finds it stale (the claiming process is gone and so are the servers that used
 * the port). Breaking a stale lock is itself guarded (one breaker per stale lock, and only that very lock is
 * removed), so two stacks that find the same stale lock cannot both end up holding the port.
 *
 * And since a claim binds only those who claim (another program may still take the port), listensOn() tells
 * whether the server we started is the one that listens on it.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  linkSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PortLock {
  port: number;
  /** Who holds the port: the stack's directory. */
  owner: string;
  /** The process that claimed it. */
  pid: number;
  /** Tells this claim from an earlier or later claim of the same port. */
  nonce: string;
}

export interface ClaimOptions {
  /** Where the lock files live. Default: defaultLockDir(). */
  dir?: string;
  owner: string;
  /** Whether a lock someone else holds is abandoned. Default: its claiming process is gone. */
  isStale?: (lock: PortLock) => boolean;
}

/** Per user (a directory another user made in /tmp would not be writable). */
export function defaultLockDir(): string {
  return join(tmpdir(), `thingspace-bridge-ports-${process.getuid?.() ?? 'user'}`);
}

const lockFile = (dir: string, port: number) => join(dir, `${port}.lock`);

/** Claims `port` for `owner`: the lock, or undefined when someone else holds the port. */
export function claimPort(port: number, options: ClaimOptions): PortLock | undefined {
  const dir = options.dir ?? defaultLockDir();
  const isStale = options.isStale ?? ((lock: PortLock) => !processExists(lock.pid));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lock: PortLock = { port, owner: options.owner, pid: process.pid, nonce: randomUUID() };
  const file = lockFile(dir, port);
  const draft = `${file}.${lock.nonce}.draft`;
  writeFileSync(draft, JSON.stringify(lock));
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(draft, file);
        return lock;
      } catch (err) {
        if (errorCode(err) !== 'EEXIST') throw err;
      }
      const held = readLock(file);
      if (held === 'absent') continue; // released meanwhile: try again
      if (held === 'unreadable' || !isStale(held)) return undefined;
      removeLock(file, held);
    }
    return undefined;
  } finally {
    rmSync(draft, { force: true });
  }
}

/** Releases `owner`'s claim of `port`, if it holds one. */
export function releasePort(port: number, options: { dir?: string; owner: string }): boolean {
  const file = lockFile(options.dir ?? defaultLockDir(), port);
  const held = readLock(file);
  return typeof held === 'object' && held.owner === options.owner && removeLock(file, held);
}

/** The lock on `port`, if there is one. */
export function portLock(port: number, dir = defaultLockDir()): PortLock | undefined {
  const held = readLock(lockFile(dir, port));
  return typeof held === 'object' ? held : undefined;
}

function readLock(file: string): PortLock | 'absent' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return 'absent';
    throw err;
  }
  try {
    const lock = JSON.parse(text) as PortLock;
    return typeof lock.nonce === 'string' && typeof lock.pid === 'number' ? lock : 'unreadable';
  } catch {
    return 'unreadable'; // not ours to judge: the port stays taken
  }
}

/**
 * Removes the lock file if it is still `expected` (same nonce). A marker file per nonce admits one remover at a
 * time, and a lock with that nonce can only go away through its holder of the marker: so when the file still
 * holds `expected` after the marker is taken, it is the file unlinked, never a newer claim made meanwhile.
 */
function removeLock(file: string, expected: PortLock): boolean {
  const marker = `${file}.${expected.nonce}.removing`;
  try {
    writeFileSync(marker, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if (errorCode(err) !== 'EEXIST') throw err;
    // Someone is removing it right now; a marker left by a remover that died there is cleared after a minute.
    if (Date.now() - mtimeMs(marker) > 60_000) rmSync(marker, { force: true });
    return false;
  }
  try {
    const held = readLock(file);
    if (typeof held !== 'object' || held.nonce !== expected.nonce) return false;
    unlinkSync(file);
    return true;
  } finally {
    rmSync(marker, { force: true });
  }
}

function mtimeMs(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return Date.now();
  }
}

export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) === 'EPERM'; // it exists, as another user's
  }
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Whether process `pid` holds the socket that listens on TCP `port`: from /proc on Linux (the listening socket's
 * inode among the process's open files), else from lsof; undefined where neither can tell.
 */
export function listensOn(pid: number, port: number): boolean | undefined {
  const inodes = listeningInodes(port);
  if (inodes === undefined) return lsofListens(pid, port);
  if (inodes.size === 0) return false;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // gone
  }
  return fds.some((fd) => {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      return inode !== undefined && inodes.has(inode);
    } catch {
      return false; // closed meanwhile
    }
  });
}

/** Inodes of the sockets listening on `port` (any address, IPv4 and IPv6); undefined without /proc/net. */
function listeningInodes(port: number): Set<string> | undefined {
  const inodes = new Set<string>();
  let found = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    found = true;
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
      const fields = line.trim().split(/\s+/);
      const local = fields[1]?.split(':');
      if (fields[3] === '0A' && local && parseInt(local[1] ?? '', 16) === port) inodes.add(fields[9]!);
    }
  }
  return found ? inodes : undefined;
}

function lsofListens(pid: number, port: number): boolean | undefined {
  try {
    const out = execFileSync(
      'lsof',
      ['-nP', '-a', '-p', String(pid), `-iTCP:${port}`, '-sTCP:LISTEN', '-t'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    return out.split('\n').includes(String(pid));
  } catch (err) {
    // lsof exits 1 when nothing matches; missing altogether, it cannot tell.
    return errorCode(err) === 'ENOENT' ? undefined : false;
  }
}
