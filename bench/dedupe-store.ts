/**
 * The dedupe service's embedded store, measured before it was chosen: for LMDB (src/dedupe/disk-store.ts, the
 * one in use) and node:sqlite (built into Node, no dependency; a SeenStore of one table here), each in its own
 * process so that its memory is its own:
 *
 * - remember() throughput, batches of 500 (the dedupe service remembers one consumed batch at a time);
 * - seenAt() per second for ids remembered (hits) and not (misses), random order;
 * - expireBefore() forgetting the oldest 10% of the ids, and flush() after it;
 * - bytes on disk per remembered event (36-character UUID eventId + epoch ms), after flush();
 * - RSS growth from opening the store to the last id remembered and flushed (after a full GC), split into
 *   anonymous memory (the process's own; how much of it is live JS) and file pages (the store's memory map:
 *   page cache the OS can drop, not memory the process holds).
 *
 * Run with `npm run bench:dedupe-store`; BENCH_IDS sets the ids remembered (default 5,000,000),
 * BENCH_DEDUPE_DIR the disk (default: the OS temp dir), BENCH_STORES which stores (default: all, comma-separated).
 * Numbers are printed, never asserted.
 */
import { spawnSync } from 'node:child_process';
import { hash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { DiskSeenStore } from '../src/dedupe/disk-store';
import type { SeenEntry, SeenStore } from '../src/dedupe/seen-store';

const IDS = Number(process.env.BENCH_IDS ?? 5_000_000);
const BATCH = 500;
const LOOKUPS = 200_000;
/** Times start here and advance 1 ms per id: ordered like a partition's record timestamps. */
const T0 = Date.UTC(2026, 0, 1);

type Candidate = Pick<SeenStore, 'remember' | 'seenAt' | 'expireBefore' | 'flush' | 'close'>;

const CANDIDATES: Readonly<Record<string, (dir: string) => Candidate>> = {
  lmdb: (dir) => DiskSeenStore.open(dir, 'bench', 0),
  'node:sqlite': (dir) => new SqliteSeenStore(join(dir, 'bench.0.sqlite')),
};

/**
 * The alternative: one WITHOUT ROWID table keyed by id (the id is the B-tree key, stored once) and an index on
 * time for expiry. WAL with synchronous=NORMAL: commits do not fsync, a checkpoint does (flush()).
 */
class SqliteSeenStore implements Candidate {
  readonly #db: DatabaseSync;
  readonly #get;
  readonly #upsert;
  readonly #expire;

  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    this.#db.exec(
      'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;' +
        'CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;' +
        'CREATE INDEX IF NOT EXISTS seen_at ON seen (at);',
    );
    this.#get = this.#db.prepare('SELECT at FROM seen WHERE id = ?');
    this.#upsert = this.#db.prepare(
      'INSERT INTO seen (id, at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at WHERE excluded.at > at',
    );
    this.#expire = this.#db.prepare('DELETE FROM seen WHERE at < ?');
  }

  seenAt(eventId: string): number | undefined {
    return (this.#get.get(eventId) as { at: number } | undefined)?.at;
  }

  remember(entries: readonly SeenEntry[]): void {
    this.#db.exec('BEGIN');
    for (const { eventId, at } of entries) this.#upsert.run(eventId, at);
    this.#db.exec('COMMIT');
  }

  async expireBefore(before: number): Promise<number> {
    return Number(this.#expire.run(before).changes);
  }

  async flush(): Promise<void> {
    this.#db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}

/** The i-th eventId: UUID-shaped and spread like the real ones (they are hashes too). */
function eventId(i: number): string {
  const h = hash('sha256', String(i), 'hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * After a full GC: anonymous and file-backed resident memory, from /proc (Linux), and how much of the anonymous
 * part is live (V8's heap in use, and memory outside it that JS objects hold), in bytes.
 */
function memory(): { anon: number; file: number; live: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  const { heapUsed, external } = process.memoryUsage();
  return { anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem'), live: heapUsed + external };
}

function diskBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).blocks * 512, 0);
}

interface Figures {
  rememberPerSecond: number;
  hitsPerSecond: number;
  missesPerSecond: number;
  expireMs: number;
  expireFlushMs: number;
  bytesPerEvent: number;
  anonGrowthMb: number;
  liveGrowthMb: number;
  fileGrowthMb: number;
}

async function measure(name: string): Promise<Figures> {
  const dir = mkdtempSync(join(process.env.BENCH_DEDUPE_DIR ?? tmpdir(), 'dedupe-store-bench-'));
  const before = memory();
  const store = CANDIDATES[name]!(dir);

  let rememberMs = 0;
  for (let first = 0; first < IDS; first += BATCH) {
    const batch: SeenEntry[] = [];
    for (let i = first; i < Math.min(first + BATCH, IDS); i++)
      batch.push({ eventId: eventId(i), at: T0 + i });
    const started = performance.now();
    store.remember(batch);
    rememberMs += performance.now() - started;
  }
  const flushStarted = performance.now();
  await store.flush();
  rememberMs += performance.now() - flushStarted;
  const bytesPerEvent = diskBytes(dir) / IDS;
  const after = memory();

  const lookups = (offset: number) => {
    const ids = Array.from({ length: LOOKUPS }, () => eventId(offset + Math.floor(Math.random() * IDS)));
    const started = performance.now();
    let found = 0;
    for (const id of ids) if (store.seenAt(id) !== undefined) found++;
    const perSecond = LOOKUPS / ((performance.now() - started) / 1000);
    return { found, perSecond };
  };
  const hits = lookups(0);
  const misses = lookups(IDS);
  if (hits.found !== LOOKUPS || misses.found !== 0) throw new Error(`${name}: lookups found the wrong ids`);

  const expireStarted = performance.now();
  const forgotten = await store.expireBefore(T0 + IDS / 10);
  const expireMs = performance.now() - expireStarted;
  if (forgotten !== IDS / 10) throw new Error(`${name}: expired ${forgotten}, not ${IDS / 10}`);
  const expireFlushStarted = performance.now();
  await store.flush();
  const expireFlushMs = performance.now() - expireFlushStarted;

  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    rememberPerSecond: IDS / (rememberMs / 1000),
    hitsPerSecond: hits.perSecond,
    missesPerSecond: misses.perSecond,
    expireMs,
    expireFlushMs,
    bytesPerEvent,
    anonGrowthMb: (after.anon - before.anon) / 1e6,
    liveGrowthMb: (after.live - before.live) / 1e6,
    fileGrowthMb: (after.file - before.file) / 1e6,
  };
}

function table(rows: Readonly<Record<string, Figures>>): string {
  const k = (n: number) => `${Math.round(n / 1000)}k`;
  const lines = [
    `| store | remember/s (batches of ${BATCH}) | seenAt hits/s | seenAt misses/s | expire ${IDS / 10} ids | ` +
      'flush after | disk bytes/event | RSS growth: anon | of which live JS | RSS growth: file pages |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
  ];
  for (const [name, f] of Object.entries(rows)) {
    lines.push(
      `| ${name} | ${k(f.rememberPerSecond)} | ${k(f.hitsPerSecond)} | ${k(f.missesPerSecond)} | ` +
        `${Math.round(f.expireMs)} ms | ${Math.round(f.expireFlushMs)} ms | ${f.bytesPerEvent.toFixed(1)} | ` +
        `${f.anonGrowthMb.toFixed(0)} MB | ${f.liveGrowthMb.toFixed(1)} MB | ${f.fileGrowthMb.toFixed(0)} MB |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const only = process.argv[2];
  if (only !== undefined) {
    process.stdout.write(JSON.stringify(await measure(only)));
    return;
  }
  process.stderr.write(`${IDS} ids per store, each store in its own process\n`);
  const rows: Record<string, Figures> = {};
  const names = process.env.BENCH_STORES?.split(',') ?? Object.keys(CANDIDATES);
  for (const name of names) {
    if (!(name in CANDIDATES))
      throw new Error(`BENCH_STORES: no store ${name} (${Object.keys(CANDIDATES).join(', ')})`);
    const child = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', __filename, name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1024 ** 2,
    });
    if (child.status !== 0) throw new Error(`${name}: the measuring process failed (${child.status})`);
    rows[name] = JSON.parse(child.stdout) as Figures;
    process.stderr.write(`${name}: done\n`);
  }
  process.stdout.write(`${table(rows)}\n`);
}

void main();
