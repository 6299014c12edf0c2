/**
 * The durable spool: an append-only log of encoded records in segment files, and a checkpoint (the position up
 * to which Kafka acknowledged the replayed records).
 *
 * Positions are byte offsets in one logical log; a segment file is named after the position of its first byte
 * (`00000000000000000000.seg`), so a position finds its segment without an index.
 *
 * append(): group commit. Appends that arrive while a write is under way wait for the next one, which writes
 *   them all with one writev and one fdatasync; each append resolves after the fsync that covers it.
 * read(): the replayer's cursor, from the checkpoint towards the durable tail; rewind() goes back to the
 *   checkpoint after a failed replay.
 * acknowledge(): writes the checkpoint atomically (temp file + fsync + rename + directory fsync), then deletes
 *   the segments wholly before it.
 * open(): scans from the checkpoint; a torn or corrupt tail (bad length or checksum) is cut off with a log line,
 *   never a crash: what follows a bad frame cannot be trusted, and everything before it is intact.
 */
import { mkdirSync } from 'node:fs';
import { chmod, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeFrame, encodeFrame, FRAME_HEADER_BYTES, type DecodedRecord, type SpoolRecord } from './frame';
import { SpoolFullError, SpoolUnavailableError } from './errors';

export interface SpoolOptions {
  dir: string;
  /** Bytes on disk (segments not yet deleted, plus appends under way) beyond which append() refuses. */
  maxBytes: number;
  /** fdatasync before an append resolves. Off only for tests and benchmarks of the rest. */
  fsync: boolean;
  /** A new segment starts once the current one reaches this size. */
  segmentBytes?: number;
  /** Where a cut tail and deleted segments are reported. */
  log?: (level: 'info' | 'warn', fields: Record<string, unknown>, message: string) => void;
}

export interface SpoolStats {
  /** Records appended and not yet acknowledged. */
  records: number;
  /** Their bytes (frames). */
  bytes: number;
  /** Bytes the segment files take, appends under way included: what maxBytes bounds. */
  diskBytes: number;
  /** Date.now() of the oldest unacknowledged record's append, if any. */
  oldestAppendedAt: number | undefined;
}

/** A record read back, with its position and the one just after it (what acknowledge() takes). */
export interface SpooledRecord extends DecodedRecord {
  /** Its position (as in its append's SpoolPosition). */
  start: number;
  end: number;
}

interface Segment {
  base: number;
  /** Durable bytes: written and (with fsync) synced. */
  size: number;
}

/** Where an appended record lies: its segment file and its position in the log (both in receipts). */
export interface SpoolPosition {
  segment: string;
  position: number;
}

interface PendingAppend {
  frame: Buffer;
  resolve(at: SpoolPosition): void;
  reject(error: Error): void;
}

const SEGMENT_SUFFIX = '.seg';
const CHECKPOINT = 'checkpoint';
const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/** Bytes read at a time by the replayer and the scan. */
const READ_CHUNK = 1024 * 1024;

/** Records hold device identifiers and SMS text: the spool is the node's user's alone. */
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

const segmentName = (base: number) => `${String(base).padStart(20, '0')}${SEGMENT_SUFFIX}`;

export class Spool {
  private readonly segments: Segment[];
  private active: FileHandle;
  private checkpoint: number;
  private readPos: number;
  /** Position after the last durable byte. */
  private durableTail: number;
  /** Bytes of appends accepted but not yet durable: counted against maxBytes from the moment they are taken. */
  private reservedBytes = 0;
  private records: number;
  private oldestAppendedAt: number | undefined;
  private pending: PendingAppend[] = [];
  private writing: Promise<void> | undefined;
  private closed = false;
  /** A failed write's bytes are still past the active segment's size (cutting them failed too). */
  private uncut = false;
  /** A roll failed half-way (its file may exist): the next write finishes it, whatever its size. */
  private rolling = false;
  /** acknowledge() found the active segment wholly acknowledged: the writer empties it (emptyActive). */
  private emptyWanted = false;
  /** The last checkpoint write failed: logged once, until one succeeds. */
  private checkpointFailing = false;
  private readonly segmentBytes: number;
  /** Called whenever records became durable: the replayer waits on it instead of polling. */
  private readonly appendListeners = new Set<() => void>();

  private constructor(
    private readonly options: SpoolOptions,
    state: { segments: Segment[]; active: FileHandle; checkpoint: number; records: number; oldest?: number },
  ) {
    this.segments = state.segments;
    this.active = state.active;
    this.checkpoint = state.checkpoint;
    this.readPos = state.checkpoint;
    const last = state.segments[state.segments.length - 1]!;
    this.durableTail = last.base + last.size;
    this.records = state.records;
    this.oldestAppendedAt = state.oldest;
    this.segmentBytes = Math.max(
      1,
      Math.min(options.segmentBytes ?? DEFAULT_SEGMENT_BYTES, Math.floor(options.maxBytes / 4) || 1),
    );
  }

  static async open(options: SpoolOptions): Promise<Spool> {
    const log = options.log ?? (() => undefined);
    mkdirSync(options.dir, { recursive: true, mode: DIR_MODE });
    const names = (await readdir(options.dir)).filter((name) => /^\d{20}\.seg$/.test(name)).sort();
    await restrict(options.dir, names, log);
    const segments: Segment[] = [];
    for (const name of names) {
      const base = Number(name.slice(0, 20));
      const handle = await open(join(options.dir, name), 'r');
      const { size } = await handle.stat();
      await handle.close();
      segments.push({ base, size });
    }
    let checkpoint = await readCheckpoint(options.dir);
    const first = segments[0];
    if (first !== undefined && (checkpoint === undefined || checkpoint < first.base)) checkpoint = first.base;
    checkpoint ??= 0;

    // Segments wholly before the checkpoint: a crash came between the checkpoint and their deletion.
    while (
      segments.length > 0 &&
      segments[0]!.base + segments[0]!.size <= checkpoint &&
      segments.length > 1
    ) {
      const gone = segments.shift()!;
      await rm(join(options.dir, segmentName(gone.base)), { force: true });
    }
    const scan = await scanFrom(options.dir, segments, checkpoint, log);
    if (scan.cutAt !== undefined) checkpoint = Math.min(checkpoint, scan.cutAt);

    let last = segments[segments.length - 1];
    if (last === undefined || checkpoint > last.base + last.size) {
      // No segment, or the log ends before the checkpoint (cut): start a fresh one at the checkpoint.
      for (const segment of segments.splice(0)) {
        await rm(join(options.dir, segmentName(segment.base)), { force: true });
      }
      last = { base: checkpoint, size: 0 };
      segments.push(last);
      await (await open(join(options.dir, segmentName(last.base)), 'w', FILE_MODE)).close();
      await syncDir(options.dir, options.fsync);
    }
    const active = await open(join(options.dir, segmentName(last.base)), 'r+');
    return new Spool(options, {
      segments,
      active,
      checkpoint,
      records: scan.records,
      ...(scan.oldest !== undefined ? { oldest: scan.oldest } : {}),
    });
  }

  /**
   * Resolves with the record's position once it is durable (fsynced when options.fsync); rejects with
   * SpoolFullError when full (maxBytes, or the disk itself).
   */
  append(record: SpoolRecord): Promise<SpoolPosition> {
    if (this.closed) return Promise.reject(new SpoolUnavailableError('The spool is closed'));
    const frame = encodeFrame(record, Date.now());
    if (this.diskBytes() + frame.length > this.options.maxBytes) {
      return Promise.reject(new SpoolFullError(this.options.maxBytes));
    }
    this.reservedBytes += frame.length;
    return new Promise<SpoolPosition>((resolve, reject) => {
      this.pending.push({ frame, resolve, reject });
      this.writing ??= this.writeGroups();
    });
  }

  /** Whether every appended record, those under way included, has been acknowledged. */
  isEmpty(): boolean {
    return this.checkpoint === this.durableTail && this.reservedBytes === 0;
  }

  stats(): SpoolStats {
    return {
      records: this.records,
      bytes: this.durableTail + this.reservedBytes - this.checkpoint,
      diskBytes: this.diskBytes(),
      oldestAppendedAt: this.oldestAppendedAt,
    };
  }

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  /**
   * Up to `maxRecords` durable records from the read cursor, advancing it, stopping before a record that would
   * take the batch past `maxBytes` (a first record larger than that comes alone). Empty when the cursor is at the
   * durable tail.
   */
  async read(maxRecords: number, maxBytes: number): Promise<SpooledRecord[]> {
    const out: SpooledRecord[] = [];
    let bytes = 0;
    while (out.length < maxRecords && this.readPos < this.durableTail) {
      const segment = this.segmentAt(this.readPos);
      if (segment === undefined) throw new Error(`spool: no segment holds position ${this.readPos}`);
      const within = this.readPos - segment.base;
      if (within >= segment.size) {
        // The end of a finished segment: the next one starts here.
        const next = this.segments[this.segments.indexOf(segment) + 1];
        if (next === undefined) break;
        this.readPos = next.base;
        continue;
      }
      const chunk = await this.readAt(segment, within, Math.min(READ_CHUNK, segment.size - within));
      let offset = 0;
      let progressed = false;
      while (out.length < maxRecords && offset < chunk.length) {
        let decoded = decodeFrame(chunk, offset);
        if (!decoded.ok && decoded.reason === 'incomplete' && offset === 0) {
          // One record larger than the chunk: read exactly it.
          const whole = await this.readAt(segment, within, decoded.needed);
          decoded = decodeFrame(whole, 0);
        }
        if (!decoded.ok) {
          if (decoded.reason === 'incomplete') break;
          // Durable bytes that no longer check: the disk changed under us. Never skip silently.
          throw new Error(`spool: corrupt record at ${this.readPos} (${decoded.detail})`);
        }
        const size = decoded.record.value.length + decoded.record.key.length;
        if (out.length > 0 && bytes + size > maxBytes) return out;
        bytes += size;
        offset += decoded.bytes;
        const start = this.readPos;
        this.readPos += decoded.bytes;
        progressed = true;
        out.push({ ...decoded.record, start, end: this.readPos });
      }
      if (!progressed || bytes >= maxBytes) break;
    }
    return out;
  }

  /** Back to the checkpoint: the records read since are read again (a replay that failed). */
  rewind(): void {
    this.readPos = this.checkpoint;
  }

  /**
   * Kafka acknowledged every record before `position` (`records` of them since the last checkpoint). In this
   * order, so that a full disk cannot hold the spool up:
   *
   * 1. In memory: whatever becomes of the file below, Kafka holds these records, and replaying them again would
   *    only duplicate them.
   * 2. The segments wholly before it are deleted. Safe before the checkpoint is written (open() starts at the
   *    first segment left when the checkpoint it finds is older), and on a full disk they are the room it needs.
   * 3. An active segment wholly acknowledged is emptied and renamed to the checkpoint's position, by the writer,
   *    between two groups: the disk a drained spool held is given back at once, not at the next roll.
   * 4. The checkpoint file, durably. A failure (ENOSPC) is logged and mended by the next acknowledgement.
   */
  async acknowledge(position: number, records: number): Promise<void> {
    if (position <= this.checkpoint) return;
    this.checkpoint = position;
    if (this.readPos < position) this.readPos = position;
    this.records = Math.max(0, this.records - records);
    this.oldestAppendedAt = this.records === 0 ? undefined : await this.appendedAtOf(position);
    // The active segment stays even when wholly acknowledged: appends go on in it.
    const victims: Segment[] = [];
    while (this.segments.length > 1) {
      const first = this.segments[0]!;
      if (first.base + first.size > position) break;
      victims.push(this.segments.shift()!);
    }
    for (const segment of victims) {
      await rm(join(this.options.dir, segmentName(segment.base)), { force: true });
    }
    // A deleted segment that ended short of the next (its tail lost) leaves the checkpoint in a gap before every
    // segment: go on where the log does, as open() would.
    const first = this.segments[0]!;
    if (this.checkpoint < first.base) this.checkpoint = first.base;
    if (this.readPos < this.checkpoint) this.readPos = this.checkpoint;
    if (victims.length > 0) {
      this.options.log?.(
        'info',
        { segments: victims.length, checkpoint: position },
        'spool segments deleted',
      );
    }
    if (this.checkpoint === this.durableTail && first.size > 0) {
      this.emptyWanted = true;
      this.writing ??= this.writeGroups();
    }
    await this.writeCheckpoint(this.checkpoint);
  }

  /** Resolves at the next durable append (or at once if records are already readable). */
  whenAppended(): Promise<void> {
    if (this.readPos < this.durableTail) return Promise.resolve();
    return new Promise((resolve) => {
      const listener = () => {
        this.appendListeners.delete(listener);
        resolve();
      };
      this.appendListeners.add(listener);
    });
  }

  /** Finishes the appends under way, then closes the active segment. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writing;
    await this.active.close();
    for (const listener of [...this.appendListeners]) listener();
  }

  private diskBytes(): number {
    return this.durableTail + this.reservedBytes - this.segments[0]!.base;
  }

  private segmentAt(position: number): Segment | undefined {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      if (this.segments[i]!.base <= position) return this.segments[i];
    }
    return undefined;
  }

  private async readAt(segment: Segment, offset: number, length: number): Promise<Buffer> {
    const last = this.segments[this.segments.length - 1];
    const handle =
      segment === last ? this.active : await open(join(this.options.dir, segmentName(segment.base)), 'r');
    try {
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    } finally {
      if (handle !== this.active) await handle.close();
    }
  }

  private async appendedAtOf(position: number): Promise<number | undefined> {
    const segment = this.segmentAt(position);
    if (segment === undefined) return undefined;
    let within = position - segment.base;
    let target = segment;
    if (within >= segment.size) {
      const next = this.segments[this.segments.indexOf(segment) + 1];
      if (next === undefined) return undefined;
      target = next;
      within = 0;
    }
    const head = await this.readAt(target, within, FRAME_HEADER_BYTES + 9);
    return head.length === FRAME_HEADER_BYTES + 9 ? head.readDoubleBE(FRAME_HEADER_BYTES + 1) : undefined;
  }

  /** The checkpoint file, atomically (temp file + fsync + rename + directory fsync); a failure is logged. */
  private async writeCheckpoint(position: number): Promise<void> {
    const tmp = join(this.options.dir, `${CHECKPOINT}.tmp`);
    try {
      const handle = await open(tmp, 'w', FILE_MODE);
      try {
        await handle.writeFile(`${position}\n`);
        if (this.options.fsync) await handle.datasync();
      } finally {
        await handle.close();
      }
      await rename(tmp, join(this.options.dir, CHECKPOINT));
      await syncDir(this.options.dir, this.options.fsync);
      if (this.checkpointFailing) this.options.log?.('info', { position }, 'spool checkpoint written again');
      this.checkpointFailing = false;
    } catch (err) {
      if (!this.checkpointFailing) {
        this.options.log?.(
          'warn',
          { position, err: String(err) },
          'spool checkpoint not written (a restart would replay more, duplicates); retrying at the next one',
        );
      }
      this.checkpointFailing = true;
    }
  }

  /**
   * Empties the active segment once everything in it is acknowledged, and renames it to the checkpoint's
   * position (where the log goes on). A crash between the two leaves either an empty segment before the
   * checkpoint (open() starts a fresh one there) or the renamed one: nothing to replay either way.
   */
  private async emptyActive(): Promise<void> {
    this.emptyWanted = false;
    const segment = this.segments[this.segments.length - 1]!;
    if (this.segments.length > 1 || this.checkpoint !== this.durableTail || segment.size === 0) return;
    if (this.rolling || this.uncut) return;
    try {
      await this.active.truncate(0);
      const base = this.checkpoint;
      await rename(
        join(this.options.dir, segmentName(segment.base)),
        join(this.options.dir, segmentName(base)),
      );
      segment.base = base;
      segment.size = 0;
      await syncDir(this.options.dir, this.options.fsync);
    } catch (err) {
      // Emptied but not renamed: appends go on at its old size (a hole before them, never read).
      this.options.log?.('warn', { err: String(err) }, 'spool: could not empty the drained segment');
    }
  }

  /** Writes the pending appends in groups, one writev + one fdatasync each, until none are left. */
  private async writeGroups(): Promise<void> {
    while (this.pending.length > 0 || this.emptyWanted) {
      if (this.emptyWanted) {
        await this.emptyActive();
        continue;
      }
      const group = this.pending;
      this.pending = [];
      const bytes = group.reduce((sum, p) => sum + p.frame.length, 0);
      let segment: Segment;
      try {
        segment = await this.writeGroup(group, bytes);
      } catch (err) {
        this.reservedBytes -= bytes;
        const error =
          // Not `instanceof Error`: fs errors may come from another realm (a vm context, as under jest).
          (err as NodeJS.ErrnoException | undefined)?.code === 'ENOSPC'
            ? new SpoolFullError()
            : new SpoolUnavailableError('Could not write to the spool', { cause: err });
        for (const p of group) p.reject(error);
        continue;
      }
      this.reservedBytes -= bytes;
      this.durableTail += bytes;
      this.records += group.length;
      this.oldestAppendedAt ??= group[0]!.frame.readDoubleBE(FRAME_HEADER_BYTES + 1);
      const name = segmentName(segment.base);
      let position = this.durableTail - bytes;
      for (const p of group) {
        p.resolve({ segment: name, position });
        position += p.frame.length;
      }
      for (const listener of [...this.appendListeners]) listener();
    }
    this.writing = undefined;
  }

  /** Writes the group at the end of the log; returns the segment it went to. */
  private async writeGroup(group: PendingAppend[], bytes: number): Promise<Segment> {
    let segment = this.segments[this.segments.length - 1]!;
    if (this.uncut) {
      // Left in a segment that is then finished, they would be cut on open as a torn tail, and every later
      // segment with them: nothing is written until they are gone.
      await this.active.truncate(segment.size);
      this.uncut = false;
    }
    if (segment.size > 0 && (this.rolling || segment.size + bytes > this.segmentBytes)) {
      // Roll: the old segment is durable already (every group ends with its fsync). Nothing more goes to it once
      // a roll began: on open, the log goes on at the next segment's base, past anything written there.
      this.rolling = true;
      const next: Segment = { base: segment.base + segment.size, size: 0 };
      const handle = await open(join(this.options.dir, segmentName(next.base)), 'w+', FILE_MODE);
      try {
        await syncDir(this.options.dir, this.options.fsync);
        await this.active.close();
      } catch (err) {
        await handle.close().catch(() => undefined);
        throw err;
      }
      this.active = handle;
      this.segments.push(next);
      this.rolling = false;
      segment = next;
    }
    try {
      let written = 0;
      const buffers = group.map((p) => p.frame);
      while (written < bytes) {
        const { bytesWritten } = await this.active.writev(
          sliceFrom(buffers, written),
          segment.size + written,
        );
        written += bytesWritten;
      }
      if (this.options.fsync) await this.active.datasync();
    } catch (err) {
      // Whatever part was written is not a record anybody got a 200 for: cut it so the next group starts clean.
      await this.active.truncate(segment.size).catch(() => {
        this.uncut = true;
      });
      throw err;
    }
    segment.size += bytes;
    return segment;
  }
}

function sliceFrom(buffers: Buffer[], skip: number): Buffer[] {
  if (skip === 0) return buffers;
  const out: Buffer[] = [];
  for (const buf of buffers) {
    if (skip >= buf.length) {
      skip -= buf.length;
      continue;
    }
    out.push(skip > 0 ? buf.subarray(skip) : buf);
    skip = 0;
  }
  return out;
}

/**
 * The directory 700 and what is in it 600, also when made by an older version or by someone else (a volume's
 * root). A mode it cannot set (not the owner) is reported, not fatal: the files it writes are still 600.
 */
async function restrict(
  dir: string,
  segments: readonly string[],
  log: NonNullable<SpoolOptions['log']>,
): Promise<void> {
  const files = [...segments, CHECKPOINT].map((name) => join(dir, name));
  for (const [path, mode] of [[dir, DIR_MODE], ...files.map((file) => [file, FILE_MODE] as const)] as const) {
    try {
      await chmod(path, mode);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT')
        log('warn', { path, mode: mode.toString(8), code }, 'spool: cannot restrict access');
    }
  }
}

async function readCheckpoint(dir: string): Promise<number | undefined> {
  try {
    const text = (await readFile(join(dir, CHECKPOINT), 'utf8')).trim();
    const position = Number(text);
    return Number.isSafeInteger(position) && position >= 0 ? position : undefined;
  } catch {
    return undefined;
  }
}

async function syncDir(dir: string, fsync: boolean): Promise<void> {
  if (!fsync) return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Reads every frame from the checkpoint on, counting records; at the first bad frame cuts its segment there and
 * deletes the segments after it.
 */
async function scanFrom(
  dir: string,
  segments: Segment[],
  checkpoint: number,
  log: NonNullable<SpoolOptions['log']>,
): Promise<{ records: number; oldest?: number; cutAt?: number }> {
  let records = 0;
  let oldest: number | undefined;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.base + segment.size <= checkpoint) continue;
    const start = Math.max(0, checkpoint - segment.base);
    const file = join(dir, segmentName(segment.base));
    const data = await readFile(file);
    let offset = start;
    let bad: string | undefined;
    while (offset < data.length) {
      const decoded = decodeFrame(data, offset);
      if (!decoded.ok) {
        bad = decoded.reason === 'incomplete' ? 'torn write (incomplete frame)' : decoded.detail;
        break;
      }
      oldest ??= decoded.record.appendedAt;
      records++;
      offset += decoded.bytes;
    }
    if (bad !== undefined) {
      const cutAt = segment.base + offset;
      const later = segments.splice(i + 1);
      log(
        'warn',
        {
          segment: file,
          offset,
          droppedBytes: data.length - offset,
          droppedSegments: later.length,
          reason: bad,
        },
        'spool: corrupt or torn tail cut off',
      );
      const handle = await open(file, 'r+');
      try {
        await handle.truncate(offset);
        await handle.sync();
      } finally {
        await handle.close();
      }
      segment.size = offset;
      for (const gone of later) await rm(join(dir, segmentName(gone.base)), { force: true });
      return { records, ...(oldest !== undefined ? { oldest } : {}), cutAt };
    }
  }
  return { records, ...(oldest !== undefined ? { oldest } : {}) };
}
