/**
 * The spool's less travelled paths: recovery on open from the states a crash leaves, reads that cross segment
 * ends or a chunk, framing it refuses, and write failures (ENOSPC, EIO, short writes) simulated by spying on
 * FileHandle's methods. Every test removes the directories it creates.
 */
import { closeSync, openSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import * as fsPromises from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { decodeFrame, encodeFrame } from '../../../../src/kafka/spool/frame';
import { SpoolFullError, SpoolUnavailableError } from '../../../../src/kafka/spool/errors';
import { Spool, type SpooledRecord, type SpoolOptions } from '../../../../src/kafka/spool/spool';
import { tempDirs } from '../../../support/temp';
import { openSpool as openSpoolIn, readAll, record, segmentsIn } from './helpers';

/** Bytes of record(i)'s frame: the same for every i below 10. */
const F = encodeFrame(record(0), 0).length;

const segmentName = (base: number) => `${String(base).padStart(20, '0')}.seg`;

const spools: Spool[] = [];
const dir = tempDirs('spool-failures-');

async function openSpool(d: string, options: Partial<SpoolOptions> = {}) {
  const opened = await openSpoolIn(d, { fsync: false, ...options });
  spools.push(opened.spool);
  return opened;
}

const ids = (records: SpooledRecord[]) => records.map((r) => r.eventId);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `event-${from + i}`);

/** Appends one record at a time, each after the previous one is durable: one frame per write. */
async function appendEach(spool: Spool, from: number, to: number) {
  for (let i = from; i < to; i++) await spool.append(record(i));
}

/** What is on disk, read by a fresh Spool: the records and whether open had to cut anything. */
async function reopened(d: string, options: Partial<SpoolOptions> = {}) {
  const { spool, logs } = await openSpool(d, options);
  const records = await readAll(spool);
  return { spool, logs, ids: ids(records), records };
}

const errno = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });

type Handle = fsPromises.FileHandle;
type FileHandleMethods = Pick<fsPromises.FileHandle, 'writev' | 'datasync' | 'truncate' | 'sync'>;
let fileHandle: FileHandleMethods;
let real: FileHandleMethods;

beforeAll(async () => {
  const probe = await fsPromises.open(__filename, 'r');
  fileHandle = Object.getPrototypeOf(probe) as FileHandleMethods;
  await probe.close();
  real = {
    writev: fileHandle.writev,
    datasync: fileHandle.datasync,
    truncate: fileHandle.truncate,
    sync: fileHandle.sync,
  };
});

afterEach(async () => {
  jest.restoreAllMocks();
  for (const spool of spools.splice(0)) await spool.close();
});

/** A writev that writes only the first `bytes` of `buffers`, and says so: as the kernel may. */
function writePart(
  handle: Handle,
  buffers: readonly NodeJS.ArrayBufferView[],
  position: number | undefined,
  bytes: number,
) {
  const part = Buffer.concat(buffers as readonly Buffer[]).subarray(0, bytes);
  return real.writev.call(handle, [part], position).then(({ bytesWritten }) => ({ bytesWritten, buffers }));
}

/** Recomputes the checksum of a frame whose payload a test changed, so only the change is wrong. */
function reseal(frame: Buffer): Buffer {
  frame.writeUInt32BE(crc32(frame.subarray(8)), 4);
  return frame;
}

describe('spool framing: what decodeFrame refuses', () => {
  const frame = () => encodeFrame(record(1), 1_700_000_000_000);

  it('round-trips a record without headers or eventId, leaving both out', () => {
    const plain = { topic: 't', key: 'k', value: Buffer.from('v') };
    const decoded = decodeFrame(encodeFrame(plain, 5));
    expect(decoded.ok && decoded.record).toEqual({ ...plain, appendedAt: 5 });
  });

  it('asks for a whole header when fewer than 8 bytes are there', () => {
    expect(decodeFrame(frame().subarray(0, 7))).toEqual({ ok: false, reason: 'incomplete', needed: 8 });
    expect(decodeFrame(frame(), frame().length - 3)).toEqual({ ok: false, reason: 'incomplete', needed: 8 });
  });

  it('refuses a length too small to hold the payload prefix', () => {
    const bad = frame();
    bad.writeUInt32BE(12, 0);
    expect(decodeFrame(bad)).toEqual({ ok: false, reason: 'corrupt', detail: 'impossible length 12' });
  });

  it('refuses an unknown version, even with a good checksum', () => {
    const bad = frame();
    bad.writeUInt8(2, 8);
    expect(decodeFrame(reseal(bad))).toEqual({ ok: false, reason: 'corrupt', detail: 'unknown version 2' });
  });

  it('refuses a meta length that runs past the payload', () => {
    const bad = frame();
    bad.writeUInt32BE(bad.length, 8 + 9);
    expect(decodeFrame(reseal(bad))).toEqual({ ok: false, reason: 'corrupt', detail: 'meta overruns' });
  });

  it('refuses meta that is not JSON', () => {
    const bad = frame();
    bad.write('}', 8 + 13);
    expect(decodeFrame(reseal(bad))).toEqual({ ok: false, reason: 'corrupt', detail: 'unreadable meta' });
  });
});

describe('Spool.open: the states a crash leaves', () => {
  it('deletes segments wholly before the checkpoint (a crash between the checkpoint and their deletion)', async () => {
    const d = dir();
    const { spool } = await openSpool(d, { segmentBytes: 3 * F });
    await appendEach(spool, 0, 8);
    await spool.close();
    expect(segmentsIn(d)).toEqual([0, 3 * F, 6 * F].map(segmentName));
    // acknowledge() wrote the checkpoint at the end of the second segment, then the process died.
    writeFileSync(join(d, 'checkpoint'), `${6 * F}\n`);

    const { spool: again, logs, ids: read, records } = await reopened(d, { segmentBytes: 3 * F });
    expect(logs).toEqual([]);
    expect(segmentsIn(d)).toEqual([segmentName(6 * F)]);
    expect(read).toEqual(range(6, 8));
    expect(again.stats()).toEqual({
      records: 2,
      bytes: 2 * F,
      diskBytes: 2 * F,
      oldestAppendedAt: records[0]!.appendedAt,
    });
    await again.append(record(8));
    expect(ids(await readAll(again))).toEqual(['event-8']);
    await again.close();
    expect((await reopened(d)).ids).toEqual(range(6, 9));
  });

  it('starts a fresh segment at the checkpoint when the log ends before it', async () => {
    const d = dir();
    const { spool } = await openSpool(d, { segmentBytes: 3 * F });
    await appendEach(spool, 0, 5);
    await spool.close();
    // Everything up to 10 frames was acknowledged, but the segments lost their tail (written without fsync).
    writeFileSync(join(d, 'checkpoint'), `${10 * F}\n`);

    const { spool: again, logs } = await openSpool(d, { segmentBytes: 3 * F });
    expect(logs).toEqual([]);
    expect(segmentsIn(d)).toEqual([segmentName(10 * F)]);
    expect(again.isEmpty()).toBe(true);
    expect(again.stats()).toEqual({ records: 0, bytes: 0, diskBytes: 0, oldestAppendedAt: undefined });
    expect(await again.read(10, 1_000_000)).toEqual([]);
    await again.append(record(9));
    const [appended] = await again.read(10, 1_000_000);
    expect(appended).toMatchObject({ eventId: 'event-9', end: 11 * F });
    await again.close();
    expect((await reopened(d)).ids).toEqual(['event-9']);
  });

  it('replays from the first segment when the checkpoint file is unreadable (duplicates, never a loss)', async () => {
    const d = dir();
    const { spool } = await openSpool(d);
    await appendEach(spool, 0, 3);
    const [first] = await spool.read(1, 1_000_000);
    await spool.acknowledge(first!.end, 1);
    await spool.close();
    expect(readFileSync(join(d, 'checkpoint'), 'utf8')).toBe(`${F}\n`);
    writeFileSync(join(d, 'checkpoint'), 'not a position\n');

    const { spool: again, ids: read } = await reopened(d);
    expect(read).toEqual(range(0, 3));
    expect(again.stats().records).toBe(3);
  });

  it('opens without a log function, cutting a torn only record and keeping nothing of it', async () => {
    const d = dir();
    const { spool } = await openSpool(d);
    await spool.append(record(0));
    await spool.close();
    const file = join(d, segmentName(0));
    truncateSync(file, F - 1);

    const again = await Spool.open({ dir: d, maxBytes: 10_000_000, fsync: true });
    spools.push(again);
    expect(statSync(file).size).toBe(0);
    expect(again.stats()).toEqual({ records: 0, bytes: 0, diskBytes: 0, oldestAppendedAt: undefined });
    await again.append(record(1));
    expect(ids(await readAll(again))).toEqual(['event-1']);
  });

  it('reads on across a finished segment that ends short of the next (its tail lost without fsync)', async () => {
    const d = dir();
    const { spool } = await openSpool(d, { segmentBytes: 3 * F });
    await appendEach(spool, 0, 9);
    await spool.close();
    truncateSync(join(d, segmentName(0)), 2 * F); // event-2 is gone, at a frame boundary: nothing to cut

    const { spool: again, logs, ids: read, records } = await reopened(d, { segmentBytes: 3 * F });
    expect(logs).toEqual([]);
    expect(read).toEqual([...range(0, 2), ...range(3, 9)]);
    expect(records[1]!.end).toBe(2 * F);
    expect(records[2]!.end).toBe(4 * F);

    // Acknowledging up to the end of the short segment: the oldest left is the next segment's first.
    again.rewind();
    const batch = await again.read(2, 1_000_000);
    await again.acknowledge(batch[1]!.end, 2);
    expect(again.stats()).toMatchObject({ records: 6, oldestAppendedAt: records[2]!.appendedAt });
    expect(segmentsIn(d)).toEqual([3 * F, 6 * F].map(segmentName));
  });
  it('reads on after the short segment was acknowledged and deleted, also after a rewind', async () => {
    const d = dir();
    const { spool } = await openSpool(d, { segmentBytes: 3 * F });
    await appendEach(spool, 0, 9);
    await spool.close();
    truncateSync(join(d, segmentName(0)), 2 * F);

    const { spool: again } = await openSpool(d, { segmentBytes: 3 * F });
    const batch = await again.read(2, 1_000_000);
    await again.acknowledge(batch[1]!.end, 2); // the checkpoint is now in the gap, before every segment
    expect(segmentsIn(d)).toEqual([3 * F, 6 * F].map(segmentName));
    expect(again.stats()).toMatchObject({ records: 6, bytes: 6 * F, diskBytes: 6 * F });
    expect(ids(await readAll(again))).toEqual(range(3, 9));
    again.rewind();
    expect(ids(await readAll(again))).toEqual(range(3, 9));
    await again.close();
    expect((await reopened(d)).ids).toEqual(range(3, 9));
  });
});

describe('Spool.read', () => {
  it('reads a record larger than its read chunk whole, alone in its batch when it is over the batch bytes', async () => {
    const d = dir();
    const { spool } = await openSpool(d);
    const big = 1536 * 1024;
    await spool.append(record(0));
    await spool.append(record(1, big));
    await spool.append(record(2));

    expect(ids(await spool.read(10, 1_000_000))).toEqual(['event-0']);
    const [alone, ...rest] = await spool.read(10, 1_000_000);
    expect(rest).toEqual([]);
    expect(alone!.eventId).toBe('event-1');
    expect(alone!.value.equals(record(1, big).value)).toBe(true);
    expect(ids(await spool.read(10, 1_000_000))).toEqual(['event-2']);
    expect(await spool.read(10, 1_000_000)).toEqual([]);

    spool.rewind();
    expect(ids(await spool.read(10, 4 * big))).toEqual(range(0, 3));
    await spool.close();
    expect((await reopened(d)).ids).toEqual(range(0, 3));
  });

  it('refuses a durable record that no longer checks, every time, and never skips it', async () => {
    const d = dir();
    const { spool } = await openSpool(d);
    await appendEach(spool, 0, 3);
    const fd = openSync(join(d, segmentName(0)), 'r+');
    writeSync(fd, Buffer.from([0xff]), 0, 1, 2 * F - 10); // inside event-1's value
    closeSync(fd);

    const corrupt = `spool: corrupt record at ${F} (checksum mismatch)`;
    await expect(spool.read(10, 1_000_000)).rejects.toThrow(corrupt);
    await expect(spool.read(10, 1_000_000)).rejects.toThrow(corrupt);
    spool.rewind();
    const [first] = await spool.read(1, 1_000_000);
    expect(first!.eventId).toBe('event-0');
    await spool.acknowledge(first!.end, 1);
    await expect(spool.read(10, 1_000_000)).rejects.toThrow(corrupt);
    await spool.close();

    // A restart cuts it (and what follows: it cannot be trusted); the spool goes on from there.
    const { spool: again, logs, ids: read } = await reopened(d);
    expect(logs.join('\n')).toMatch(/corrupt or torn tail cut off.*checksum mismatch/);
    expect(read).toEqual([]);
    await again.append(record(3));
    expect(ids(await readAll(again))).toEqual(['event-3']);
  });

  it('whenAppended resolves at once with records to read, else at the next durable append or at close', async () => {
    const d = dir();
    const { spool } = await openSpool(d);
    let woken = false;
    const waiting = spool.whenAppended().then(() => (woken = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(woken).toBe(false);
    await spool.append(record(0));
    await waiting;
    expect(woken).toBe(true);
    await expect(spool.whenAppended()).resolves.toBeUndefined();

    await readAll(spool);
    let released = false;
    const atClose = spool.whenAppended().then(() => (released = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(released).toBe(false);
    await spool.close();
    await atClose;
    expect(released).toBe(true);
  });
});

describe('Spool.acknowledge', () => {
  it('ignores a position at or before the checkpoint, and moves the read cursor up to a later one', async () => {
    const d = dir();
    const { spool } = await openSpool(d);
    await appendEach(spool, 0, 5);
    const batch = await spool.read(3, 1_000_000);
    await spool.acknowledge(batch[1]!.end, 2);
    await spool.acknowledge(batch[0]!.end, 1);
    await spool.acknowledge(batch[1]!.end, 2);
    expect(readFileSync(join(d, 'checkpoint'), 'utf8')).toBe(`${2 * F}\n`);
    expect(spool.stats()).toMatchObject({ records: 3, bytes: 3 * F });

    spool.rewind();
    await spool.acknowledge(4 * F, 2); // acknowledged by someone who read further than the cursor is now
    expect(ids(await readAll(spool))).toEqual(['event-4']);
    expect(spool.stats()).toMatchObject({ records: 1, bytes: F });
  });
});

describe('Spool limits and closing', () => {
  it('reports its maxBytes, and refuses every append when maxBytes cannot hold one frame', async () => {
    const d = dir();
    const { spool } = await openSpool(d, { maxBytes: 3 });
    expect(spool.maxBytes).toBe(3);
    await expect(spool.append(record(0))).rejects.toBeInstanceOf(SpoolFullError);
    expect(spool.isEmpty()).toBe(true);
    expect(statSync(join(d, segmentName(0))).size).toBe(0);
  });

  it('refuses appends once closed with SpoolUnavailableError (503, retriable), and closes only once', async () => {
    const d = dir();
    const { spool } = await openSpool(d);
    await spool.append(record(0));
    await spool.close();
    await spool.close();
    const refused = spool.append(record(1));
    await expect(refused).rejects.toBeInstanceOf(SpoolUnavailableError);
    await expect(refused).rejects.toMatchObject({
      code: 'SPOOL_UNAVAILABLE',
      status: 503,
      faultCode: 'Server',
      retriable: true,
      message: 'The spool is closed',
      name: 'SpoolUnavailableError',
    });
    expect((await reopened(d)).ids).toEqual(['event-0']);
  });
});

describe('Spool write failures', () => {
  /** Bytes in all segment files. */
  const size = (d: string) => segmentsIn(d).reduce((sum, name) => sum + statSync(join(d, name)).size, 0);

  it('rejects every append of a group with SpoolFullError on ENOSPC, releasing what they reserved', async () => {
    const d = dir();
    const { spool } = await openSpool(d, { maxBytes: 7 * F });
    await appendEach(spool, 0, 2);
    const before = spool.stats();
    const writev = jest.spyOn(fileHandle, 'writev').mockRejectedValue(errno('ENOSPC'));

    const results = await Promise.allSettled([2, 3, 4].map((i) => spool.append(record(i))));
    expect(writev).toHaveBeenCalledTimes(2); // [event-2], then [event-3, event-4]
    for (const result of results) {
      expect(result).toMatchObject({ status: 'rejected', reason: expect.any(SpoolFullError) as unknown });
    }
    expect(spool.stats()).toEqual(before);
    expect(size(d)).toBe(2 * F);

    writev.mockRestore();
    // What the failed group had reserved is free again: five more frames fill maxBytes exactly.
    await Promise.all([5, 6, 7, 8, 9].map((i) => spool.append(record(i))));
    await expect(spool.append(record(2))).rejects.toBeInstanceOf(SpoolFullError);
    expect(ids(await readAll(spool))).toEqual([...range(0, 2), ...range(5, 10)]);
    await spool.close();
    const after = await reopened(d, { maxBytes: 7 * F });
    expect(after.logs).toEqual([]);
    expect(after.ids).toEqual([...range(0, 2), ...range(5, 10)]);
  });

  it('rejects a group with SpoolUnavailableError on another error, and cuts what it had written', async () => {
    const d = dir();
    const { spool } = await openSpool(d, { fsync: true });
    await appendEach(spool, 0, 2);
    const eio = errno('EIO');
    // The first group (event-2) syncs; the second (event-3, event-4) is written whole, then its fdatasync fails.
    const datasync = jest
      .spyOn(fileHandle, 'datasync')
      .mockImplementationOnce(function (this: Handle) {
        return real.datasync.call(this);
      })
      .mockRejectedValueOnce(eio);

    const results = await Promise.allSettled([2, 3, 4].map((i) => spool.append(record(i))));
    expect(datasync).toHaveBeenCalledTimes(2);
    expect(results[0]).toMatchObject({ status: 'fulfilled', value: { segment: '00000000000000000000.seg' } });
    const [, failed3, failed4] = results as PromiseRejectedResult[];
    expect(failed3!.reason).toBeInstanceOf(SpoolUnavailableError);
    expect(failed3!.reason).toMatchObject({ message: 'Could not write to the spool', cause: eio });
    expect(failed4!.reason).toBe(failed3!.reason);
    expect(size(d)).toBe(3 * F);
    expect(spool.stats()).toMatchObject({ records: 3, bytes: 3 * F, diskBytes: 3 * F });

    datasync.mockRestore();
    await spool.append(record(5));
    expect(ids(await readAll(spool))).toEqual(['event-0', 'event-1', 'event-2', 'event-5']);
    await spool.close();
    const after = await reopened(d);
    expect(after.logs).toEqual([]);
    expect(after.ids).toEqual(['event-0', 'event-1', 'event-2', 'event-5']);
  });

  it('finishes a short writev with the rest of the group, whole frames and parts alike', async () => {
    const d = dir();
    const { spool } = await openSpool(d);
    const calls: number[][] = [];
    jest.spyOn(fileHandle, 'writev').mockImplementation(function (this: Handle, buffers, position) {
      calls.push(buffers.map((b) => b.byteLength));
      // One and a half frames of four: the kernel may stop anywhere.
      return buffers.length === 4
        ? writePart(this, buffers, position, F + Math.floor(F / 2))
        : real.writev.call(this, buffers, position);
    });

    await Promise.all([0, 1, 2, 3, 4].map((i) => spool.append(record(i))));
    const half = F - Math.floor(F / 2);
    expect(calls).toEqual([[F], [F, F, F, F], [half, F, F]]);
    expect(size(d)).toBe(5 * F);
    expect(ids(await readAll(spool))).toEqual(range(0, 5));
    await spool.close();
    expect((await reopened(d)).ids).toEqual(range(0, 5));
  });

  it('cuts the part of a group written before a failure, so the next group starts clean', async () => {
    const d = dir();
    const { spool } = await openSpool(d);
    await appendEach(spool, 0, 2);
    jest
      .spyOn(fileHandle, 'writev')
      .mockImplementationOnce(function (this: Handle, buffers, position) {
        return writePart(this, buffers, position, Math.floor(F / 2));
      })
      .mockRejectedValueOnce(errno('EIO'));

    await expect(spool.append(record(2))).rejects.toBeInstanceOf(SpoolUnavailableError);
    expect(size(d)).toBe(2 * F);
    await spool.append(record(3));
    await spool.close();
    const after = await reopened(d);
    expect(after.logs).toEqual([]);
    expect(after.ids).toEqual(['event-0', 'event-1', 'event-3']);
  });

  it('cuts a failed write whose cut failed too before the next write, never leaving it inside a finished segment', async () => {
    const d = dir();
    const { spool } = await openSpool(d, { segmentBytes: 3 * F });
    await appendEach(spool, 0, 2);
    const eio = errno('EIO');
    jest
      .spyOn(fileHandle, 'writev')
      .mockImplementationOnce(function (this: Handle, buffers, position) {
        return writePart(this, buffers, position, Math.floor(F / 2));
      })
      .mockRejectedValueOnce(eio);
    jest.spyOn(fileHandle, 'truncate').mockRejectedValueOnce(eio).mockRejectedValueOnce(eio);

    await expect(spool.append(record(2))).rejects.toBeInstanceOf(SpoolUnavailableError);
    // The half frame is still there: nothing more goes to the spool until it is cut.
    await expect(spool.append(record(3, 300))).rejects.toMatchObject({ cause: eio });
    expect(spool.stats()).toMatchObject({ records: 2, bytes: 2 * F });
    // Larger than what is left of the first segment: it starts the next one.
    await spool.append(record(4, 300));
    expect(segmentsIn(d)).toEqual([0, 2 * F].map(segmentName));
    expect(ids(await readAll(spool))).toEqual(['event-0', 'event-1', 'event-4']);
    await spool.close();

    const after = await reopened(d, { segmentBytes: 3 * F });
    expect(after.logs).toEqual([]);
    expect(after.ids).toEqual(['event-0', 'event-1', 'event-4']);
  });

  it('finishes a roll that failed half-way before writing anything else, so a restart reads every record', async () => {
    const d = dir();
    const { spool } = await openSpool(d, { segmentBytes: 3 * F, fsync: true });
    await appendEach(spool, 0, 2);
    const eio = errno('EIO');
    // The next segment's file is created, then the directory's fsync fails.
    jest.spyOn(fileHandle, 'sync').mockRejectedValueOnce(eio);

    await expect(spool.append(record(2, 300))).rejects.toMatchObject({ cause: eio });
    expect(segmentsIn(d)).toEqual([0, 2 * F].map(segmentName));
    // It would still fit in the first segment, but that one is finished.
    await spool.append(record(3));
    expect(statSync(join(d, segmentName(0))).size).toBe(2 * F);
    expect(ids(await readAll(spool))).toEqual(['event-0', 'event-1', 'event-3']);
    await spool.close();

    const { spool: again, logs } = await openSpool(d, { segmentBytes: 3 * F, fsync: true });
    expect(logs).toEqual([]);
    expect(again.stats()).toMatchObject({ records: 3, bytes: 3 * F });
    await again.append(record(4));
    expect(ids(await readAll(again))).toEqual(['event-0', 'event-1', 'event-3', 'event-4']);
  });
});
