import { appendFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import * as fsPromises from 'node:fs/promises';
import { join } from 'node:path';
import { decodeFrame, encodeFrame } from '../../../../src/kafka/spool/frame';
import { SpoolFullError } from '../../../../src/kafka/spool/errors';
import { tempDirs } from '../../../support/temp';
import { openSpool, readAll, record, segmentsIn } from './helpers';

/** A fresh spool directory, removed after this file's tests. */
const dir = tempDirs('spool-unit-');

describe('spool framing', () => {
  it('round-trips a record with its append time, and detects any changed byte', () => {
    const frame = encodeFrame(record(3), 1_700_000_000_123);
    const decoded = decodeFrame(frame);
    expect(decoded).toMatchObject({ ok: true, bytes: frame.length });
    if (!decoded.ok) throw new Error('unreachable');
    expect(decoded.record).toEqual({ ...record(3), appendedAt: 1_700_000_000_123 });
    for (const at of [4, 9, frame.length - 1]) {
      const bad = Buffer.from(frame);
      bad[at]! ^= 0xff;
      expect(decodeFrame(bad)).toMatchObject({ ok: false, reason: 'corrupt' });
    }
    expect(decodeFrame(frame.subarray(0, frame.length - 1))).toMatchObject({
      ok: false,
      reason: 'incomplete',
    });
    expect(decodeFrame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]))).toMatchObject({
      ok: false,
      reason: 'corrupt',
    });
  });
});

describe('Spool', () => {
  it('gives back what was appended, in order, across segments, and survives a reopen', async () => {
    const d = dir();
    const { spool } = await openSpool(d, { segmentBytes: 1000 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => spool.append(record(i))));
    expect(spool.stats()).toMatchObject({ records: 50 });
    expect(segmentsIn(d).length).toBeGreaterThan(1);
    const read = await readAll(spool);
    expect(read.map((r) => r.eventId)).toEqual(Array.from({ length: 50 }, (_, i) => `event-${i}`));
    expect(read[7]!.value).toEqual(record(7).value);
    await spool.close();

    const reopened = (await openSpool(d, { segmentBytes: 1000 })).spool;
    expect(reopened.stats().records).toBe(50);
    expect((await readAll(reopened)).length).toBe(50);
    await reopened.close();
  });

  it('commits appends that arrive together with one fdatasync (group commit)', async () => {
    const d = dir();
    const { spool } = await openSpool(d);
    const probe = await fsPromises.open(join(d, 'probe'), 'w');
    const datasync = jest.spyOn(Object.getPrototypeOf(probe) as fsPromises.FileHandle, 'datasync');
    await probe.close();
    try {
      await Promise.all(Array.from({ length: 100 }, (_, i) => spool.append(record(i))));
      // The first append starts a write alone; the 99 that came in the same tick share the next one.
      expect(datasync.mock.calls.length).toBeLessThanOrEqual(2);
      datasync.mockClear();
      for (let i = 0; i < 5; i++) await spool.append(record(i));
      expect(datasync).toHaveBeenCalledTimes(5);
    } finally {
      datasync.mockRestore();
      await spool.close();
    }
  });

  it('acknowledges: the checkpoint survives a reopen, and wholly acknowledged segments are deleted', async () => {
    const d = dir();
    const { spool } = await openSpool(d, { segmentBytes: 1000 });
    for (let i = 0; i < 40; i++) await spool.append(record(i));
    const segmentsBefore = segmentsIn(d).length;
    const first = await spool.read(30, 1_000_000);
    await spool.acknowledge(first[29]!.end, 30);
    expect(spool.stats().records).toBe(10);
    expect(spool.stats().oldestAppendedAt).toBeDefined();
    expect(segmentsIn(d).length).toBeLessThan(segmentsBefore);
    expect(Number(readFileSync(join(d, 'checkpoint'), 'utf8'))).toBe(first[29]!.end);
    await spool.close();

    const { spool: reopened } = await openSpool(d, { segmentBytes: 1000 });
    expect(reopened.stats().records).toBe(10);
    expect((await readAll(reopened)).map((r) => r.eventId)).toEqual(
      Array.from({ length: 10 }, (_, i) => `event-${30 + i}`),
    );
    const rest = await (async () => {
      reopened.rewind();
      return readAll(reopened);
    })();
    await reopened.acknowledge(rest[rest.length - 1]!.end, rest.length);
    expect(reopened.isEmpty()).toBe(true);
    expect(reopened.stats()).toMatchObject({ records: 0, bytes: 0, oldestAppendedAt: undefined });
    await reopened.close();
  });

  it('rewinds to the checkpoint after a failed replay', async () => {
    const d = dir();
    const { spool } = await openSpool(d);
    for (let i = 0; i < 5; i++) await spool.append(record(i));
    const batch = await spool.read(3, 1_000_000);
    await spool.acknowledge(batch[0]!.end, 1);
    spool.rewind();
    expect((await readAll(spool)).map((r) => r.eventId)).toEqual([
      'event-1',
      'event-2',
      'event-3',
      'event-4',
    ]);
    await spool.close();
  });

  it('refuses appends beyond maxBytes with SpoolFullError, and takes them again once acknowledged', async () => {
    const d = dir();
    const frameBytes = encodeFrame(record(0), 0).length;
    const { spool } = await openSpool(d, { maxBytes: frameBytes * 3 + 10 });
    await Promise.all([0, 1, 2].map((i) => spool.append(record(i))));
    await expect(spool.append(record(3))).rejects.toBeInstanceOf(SpoolFullError);
    const read = await readAll(spool);
    await spool.acknowledge(read[2]!.end, 3);
    await spool.append(record(3));
    expect(spool.stats().records).toBe(1);
    await spool.close();
  });

  it('cuts a torn tail (a cut frame) on open, with a log line, and appends after it', async () => {
    const d = dir();
    const { spool } = await openSpool(d);
    for (let i = 0; i < 3; i++) await spool.append(record(i));
    await spool.close();
    const [segment] = segmentsIn(d);
    const file = join(d, segment!);
    truncateSync(file, statSync(file).size - 10);

    const { spool: reopened, logs } = await openSpool(d);
    expect(logs.join('\n')).toMatch(/torn tail cut off/);
    expect(reopened.stats().records).toBe(2);
    await reopened.append(record(9));
    expect((await readAll(reopened)).map((r) => r.eventId)).toEqual(['event-0', 'event-1', 'event-9']);
    await reopened.close();
  });

  it('cuts garbage after the last good frame, and a frame whose checksum fails, without a crash', async () => {
    const d = dir();
    const { spool } = await openSpool(d);
    for (let i = 0; i < 3; i++) await spool.append(record(i));
    await spool.close();
    const file = join(d, segmentsIn(d)[0]!);
    appendFileSync(file, Buffer.from('garbage that is no frame at all'));
    let { spool: reopened, logs } = await openSpool(d);
    expect(logs).toHaveLength(1);
    expect(reopened.stats().records).toBe(3);
    await reopened.close();

    // Flip a byte inside the second record: it and everything after go.
    const bytes = readFileSync(file);
    const frameBytes = encodeFrame(record(0), 0).length;
    bytes[frameBytes + 20]! ^= 0xff;
    writeFileSync(file, bytes);
    ({ spool: reopened, logs } = await openSpool(d));
    expect(logs.join('\n')).toMatch(/checksum mismatch/);
    expect((await readAll(reopened)).map((r) => r.eventId)).toEqual(['event-0']);
    await reopened.close();
  });
});
