/**
 * The spool and its disk: who may read it (700 / 600, also what an older version or someone else left), and a
 * disk that fills: a checkpoint that cannot be written never holds the replay up, and a drained spool gives its
 * disk back at once (its active segment emptied and renamed), which a reopen reads as empty.
 */
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import * as fsPromises from 'node:fs/promises';
import { join } from 'node:path';
import type { Spool } from '../../../../src/kafka/spool/spool';
import { tempDirs } from '../../../support/temp';
import { openSpool, readAll, record, segmentsIn } from './helpers';

const dir = tempDirs('spool-disk-');
const spools: Spool[] = [];
afterEach(async () => {
  jest.restoreAllMocks();
  for (const spool of spools.splice(0)) await spool.close();
});

async function opened(d: string) {
  const result = await openSpool(d, { fsync: false });
  spools.push(result.spool);
  return result;
}

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

let fileHandle: fsPromises.FileHandle;
beforeAll(async () => {
  const probe = await fsPromises.open(__filename, 'r');
  fileHandle = Object.getPrototypeOf(probe) as fsPromises.FileHandle;
  await probe.close();
});

describe('Spool permissions', () => {
  it('makes its directory 700 and every file 600', async () => {
    const d = join(dir(), 'spool');
    const { spool } = await opened(d);
    const { position } = await spool.append(record(1));
    await spool.acknowledge(position + 1, 1);
    expect(modeOf(d)).toBe('700');
    for (const name of [...segmentsIn(d), 'checkpoint'])
      expect([name, modeOf(join(d, name))]).toEqual([name, '600']);
  });

  it('tightens a directory and files left readable by an older version', async () => {
    const d = dir();
    mkdirSync(d, { recursive: true });
    chmodSync(d, 0o755);
    writeFileSync(join(d, `${'0'.repeat(20)}.seg`), '', { mode: 0o644 });
    writeFileSync(join(d, 'checkpoint'), '0\n', { mode: 0o644 });
    await opened(d);
    expect([modeOf(d), modeOf(join(d, `${'0'.repeat(20)}.seg`)), modeOf(join(d, 'checkpoint'))]).toEqual([
      '700',
      '600',
      '600',
    ]);
  });
});

describe('Spool on a full disk', () => {
  it('acknowledges in memory when the checkpoint cannot be written, logs it once, and writes it again later', async () => {
    const d = dir();
    const { spool, logs } = await opened(d);
    for (let i = 0; i < 4; i++) await spool.append(record(i));
    const [a, b, c] = await spool.read(3, 1e6);
    // The spool writes only its checkpoint with writeFile (segments take writev).
    const full = jest
      .spyOn(fileHandle, 'writeFile')
      .mockRejectedValue(Object.assign(new Error('ENOSPC: simulated'), { code: 'ENOSPC' }));
    await spool.acknowledge(a!.end, 1);
    await spool.acknowledge(b!.end, 1);
    expect(logs.filter((line) => line.startsWith('spool checkpoint not written'))).toHaveLength(1);
    // Nothing acknowledged is read again, even after a rewind (a failed replay window).
    spool.rewind();
    expect((await spool.read(10, 1e6)).map((r) => r.eventId)).toEqual(['event-2', 'event-3']);
    full.mockRestore();
    await spool.acknowledge(c!.end, 1);
    expect(logs.some((line) => line.startsWith('spool checkpoint written again'))).toBe(true);
    await spool.close();
    expect((await readAll((await opened(d)).spool)).map((r) => r.eventId)).toEqual(['event-3']);
  });

  it('gives a drained segment back at once: emptied, renamed to where the log goes on, read as empty on reopen', async () => {
    const d = dir();
    const { spool } = await opened(d);
    for (let i = 0; i < 5; i++) await spool.append(record(i));
    const records = await readAll(spool);
    const end = records[records.length - 1]!.end;
    await spool.acknowledge(end, records.length);
    await spool.append(record(5)).then(({ position, segment }) => {
      // The next record starts the renamed segment.
      expect([segment, position]).toEqual([`${String(end).padStart(20, '0')}.seg`, end]);
    });
    expect(segmentsIn(d)).toEqual([`${String(end).padStart(20, '0')}.seg`]);
    expect(statSync(join(d, segmentsIn(d)[0]!)).size).toBe(records[0]!.end - records[0]!.start);
    await spool.close();
    const again = await opened(d);
    expect((await readAll(again.spool)).map((r) => r.eventId)).toEqual(['event-5']);
  });
});
