/**
 * The SeenStore on local disk: one LMDB file per input (topic, partition), `<dir>/<topic>.<partition>.lmdb`, so
 * that a partition the node loses is one file to delete and two partitions never share a lock or a transaction.
 * LMDB was chosen over node:sqlite by measurement (docs/dedupe-store.md, `npm run bench:dedupe-store`).
 *
 * Two trees in the file: `ids` (eventId -> time) answers seenAt; `by-time` ([time, eventId] -> nothing) orders
 * the same entries by time, so expiry walks only the entries it forgets, never the whole window. Memory stays
 * bounded whatever the window: the trees live in the memory-mapped file, which the OS pages in and out.
 *
 * Writes are synchronous LMDB transactions (one per remember() call), visible to seenAt at once. They are
 * committed without fsync (MDB_NOSYNC) into a writable memory map (MDB_WRITEMAP): 119k ids/s remembered against
 * 72k/s without the writable map and 43k/s with a sync per commit (batches of 500 into 2M ids, this machine);
 * expiry is twice as fast with it too. flush() syncs the file, so what was remembered before it survives a
 * machine crash. A machine crash between flushes can leave the file torn, and a writable map lets a stray
 * native write reach it: either way this file is only the local copy of the changelog (issue 19), so a node
 * that did not close its stores cleanly rebuilds them from there.
 *
 * The checkpoint (a third tree, `meta`) is the changelog offset the ids reflect everything before, written in
 * the same transaction as the ids it comes with. A marker file `<topic>.<partition>.clean` is written once
 * close() has synced and closed the file, and removed at open: a store opened without it was not closed
 * cleanly, so its file is deleted unread (it may be torn) and the store starts empty, without a checkpoint.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { promisify } from 'node:util';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { SeenEntry, SeenStore } from './seen-store';

/** Kafka's own rule for topic names (and not `.` or `..`), so the name is also a safe file name. */
const TOPIC_NAME = /^(?!\.{1,2}$)[a-zA-Z0-9._-]{1,249}$/;
/** Event ids are 36-character UUIDs (src/thingspace/event-id.ts); room to spare, far below LMDB's key limit. */
const MAX_EVENT_ID_LENGTH = 128;
/** Entries forgotten per write transaction, so one expiry of a large window never blocks the loop for long. */
const EXPIRE_CHUNK = 10_000;
/** `by-time` holds only keys; LMDB stores an empty value in no bytes. */
const NO_VALUE = Buffer.alloc(0);
/** The key of the checkpoint in `meta`; its value an int64 big-endian. */
const NEXT_OFFSET = 'next-offset';

/** The fields of LMDB's mdb_stat this store reads (lmdb-js types getStats() as `{}`). */
interface TreeStats {
  entryCount: number;
}

/** mdb_env_sync, which lmdb-js 3.5 has but does not declare. */
interface Syncable {
  sync(done: (error?: Error) => void): void;
}

export class DiskSeenStore implements SeenStore {
  #size: number;

  private constructor(
    private readonly root: RootDatabase,
    private readonly ids: Database<number, string>,
    private readonly byTime: Database<Buffer, [number, string]>,
    private readonly meta: Database<Buffer, string>,
    private readonly marker: string,
  ) {
    // mdb_stat's count is kept in the tree's header: reading it is O(1), not a scan.
    this.#size = (ids.getStats() as TreeStats).entryCount;
  }

  /** Opens (creating when absent) the store of one input partition under `dir`. */
  static open(dir: string, topic: string, partition: number): DiskSeenStore {
    if (!TOPIC_NAME.test(topic)) throw new RangeError(`Not a Kafka topic name: ${JSON.stringify(topic)}`);
    if (!Number.isSafeInteger(partition) || partition < 0) {
      throw new RangeError(`Not a partition number: ${partition}`);
    }
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${topic}.${partition}.lmdb`);
    const marker = join(dir, `${topic}.${partition}.clean`);
    if (!takeMarker(marker)) {
      rmSync(path, { force: true });
      rmSync(`${path}-lock`, { force: true });
    }
    const root = open({
      path,
      maxDbs: 3,
      noSync: true,
      useWritemap: true,
    });
    const ids = root.openDB<number, string>('ids', { encoding: 'ordered-binary' });
    const byTime = root.openDB<Buffer, [number, string]>('by-time', { encoding: 'binary' });
    const meta = root.openDB<Buffer, string>('meta', { encoding: 'binary' });
    return new DiskSeenStore(root, ids, byTime, meta, marker);
  }

  get checkpoint(): bigint | undefined {
    return this.meta.get(NEXT_OFFSET)?.readBigInt64BE();
  }

  get size(): number {
    return this.#size;
  }

  seenAt(eventId: string): number | undefined {
    return this.ids.get(eventId);
  }

  remember(entries: readonly SeenEntry[], nextOffset?: bigint): void {
    for (const { eventId, at } of entries) checkEntry(eventId, at);
    if (nextOffset !== undefined && nextOffset < 0n) throw new RangeError(`Not an offset: ${nextOffset}`);
    let added = 0;
    this.root.transactionSync(() => {
      for (const { eventId, at } of entries) {
        const earlier = this.ids.get(eventId);
        if (earlier === undefined) added++;
        else if (earlier >= at) continue;
        else this.byTime.removeSync([earlier, eventId]);
        this.ids.putSync(eventId, at);
        this.byTime.putSync([at, eventId], NO_VALUE);
      }
      if (nextOffset !== undefined) {
        const value = Buffer.allocUnsafe(8);
        value.writeBigInt64BE(nextOffset);
        this.meta.putSync(NEXT_OFFSET, value);
      }
    });
    this.#size += added;
  }

  async expireBefore(before: number): Promise<number> {
    let forgotten = 0;
    for (;;) {
      const keys = [...this.byTime.getKeys({ end: [before], limit: EXPIRE_CHUNK })];
      if (keys.length === 0) return forgotten;
      this.root.transactionSync(() => {
        for (const key of keys) {
          this.byTime.removeSync(key);
          this.ids.removeSync(key[1]);
        }
      });
      forgotten += keys.length;
      this.#size -= keys.length;
      await nextTurn();
    }
  }

  async flush(): Promise<void> {
    await this.#sync();
  }

  async clear(): Promise<void> {
    this.root.transactionSync(() => {
      this.ids.clearSync();
      this.byTime.clearSync();
      this.meta.clearSync();
    });
    this.#size = 0;
    await this.#sync();
  }

  /** mdb_env_sync: lmdb-js's `flushed` resolves at once under noSync, so the file is synced explicitly. */
  readonly #sync = (): Promise<void> =>
    promisify((done: (error?: Error) => void) => (this.root as unknown as Syncable).sync(done))();

  /** Syncs and closes the file, then leaves the marker that says it was closed cleanly. */
  async close(): Promise<void> {
    await this.#sync();
    await this.root.close();
    closeSync(openSync(this.marker, 'w'));
    syncDirectory(dirname(this.marker));
  }
}

/** Whether the clean-close marker was there; removed (durably) so that a crash from now on leaves none. */
function takeMarker(marker: string): boolean {
  try {
    unlinkSync(marker);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  syncDirectory(dirname(marker));
  return true;
}

/** fsync of a directory, so that a file created or removed in it stays so after a machine crash. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function checkEntry(eventId: string, at: number): void {
  if (typeof eventId !== 'string' || eventId.length === 0 || eventId.length > MAX_EVENT_ID_LENGTH) {
    throw new RangeError(`An eventId must be 1 to ${MAX_EVENT_ID_LENGTH} characters`);
  }
  if (!Number.isSafeInteger(at) || at < 0) throw new RangeError(`Not a time in epoch ms: ${at}`);
}
