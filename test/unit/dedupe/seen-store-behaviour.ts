/**
 * What every SeenStore must do, as a suite any implementation runs (disk-store.test.ts, seen-store.test.ts,
 * memory-store.test.ts), so that the tests are about the interface and not about one store. A store that keeps
 * nothing across close (`persistent: false`, the memory store) skips what is about reopening, and has no
 * checkpoint.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SeenEntry, SeenStore } from '../../../src/dedupe/seen-store';

/** Opens the store of one input partition kept under `dir` (the same arguments find the same state again). */
export type OpenSeenStore = (dir: string, topic: string, partition: number) => SeenStore;

/** Entries for ids `<prefix>-<i>` at time `at(i)`, for i in [from, to). */
export function entries(prefix: string, from: number, to: number, at = (i: number) => i): SeenEntry[] {
  return Array.from({ length: to - from }, (_, k) => ({
    eventId: `${prefix}-${from + k}`,
    at: at(from + k),
  }));
}

export function behavesAsSeenStore(open: OpenSeenStore, { persistent = true } = {}): void {
  const whenPersistent = persistent ? it : () => undefined;
  let dir: string;
  const opened: SeenStore[] = [];
  /** A store closed after the test unless the test closed it. */
  const store = (topic = 'events.location', partition = 0) => {
    const s = open(dir, topic, partition);
    opened.push(s);
    return s;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'seen-store-'));
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close().catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the ids it remembered, with their time, and no others', () => {
    const s = store();
    s.remember([
      { eventId: 'a', at: 10 },
      { eventId: 'b', at: 20 },
    ]);
    expect(s.seenAt('a')).toBe(10);
    expect(s.seenAt('b')).toBe(20);
    expect(s.seenAt('c')).toBeUndefined();
  });

  it('replaces an earlier time with a later one, across calls and within one call', () => {
    const s = store();
    s.remember([{ eventId: 'a', at: 10 }]);
    s.remember([{ eventId: 'a', at: 30 }]);
    s.remember([
      { eventId: 'b', at: 5 },
      { eventId: 'b', at: 7 },
    ]);
    expect(s.seenAt('a')).toBe(30);
    expect(s.seenAt('b')).toBe(7);
    expect(s.size).toBe(2);
  });

  it('does not move an id back to an earlier time', async () => {
    const s = store();
    s.remember([{ eventId: 'a', at: 50 }]);
    s.remember([
      { eventId: 'a', at: 10 },
      { eventId: 'b', at: 20 },
      { eventId: 'b', at: 15 },
    ]);
    expect(s.seenAt('a')).toBe(50);
    expect(s.seenAt('b')).toBe(20);
    await expect(s.expireBefore(20)).resolves.toBe(0);
    expect(s.size).toBe(2);
  });

  it('forgets exactly the ids remembered before the given time', async () => {
    const s = store();
    s.remember(entries('e', 0, 20, (i) => 100 + i));
    await expect(s.expireBefore(110)).resolves.toBe(10);
    for (let i = 0; i < 10; i++) expect(s.seenAt(`e-${i}`)).toBeUndefined();
    for (let i = 10; i < 20; i++) expect(s.seenAt(`e-${i}`)).toBe(100 + i);
    expect(s.size).toBe(10);
    await expect(s.expireBefore(110)).resolves.toBe(0);
  });

  it('expires an id by its latest time, not by the time it replaced', async () => {
    const s = store();
    s.remember([{ eventId: 'a', at: 10 }]);
    s.remember([{ eventId: 'a', at: 50 }]);
    await expect(s.expireBefore(20)).resolves.toBe(0);
    expect(s.seenAt('a')).toBe(50);
    await expect(s.expireBefore(51)).resolves.toBe(1);
    expect(s.seenAt('a')).toBeUndefined();
    expect(s.size).toBe(0);
  });

  whenPersistent('keeps what was flushed when reopened after close', async () => {
    const s = open(dir, 'events.location', 3);
    s.remember(entries('e', 0, 100));
    await s.expireBefore(40);
    await s.flush();
    await s.close();
    const again = store('events.location', 3);
    expect(again.size).toBe(60);
    expect(again.seenAt('e-39')).toBeUndefined();
    expect(again.seenAt('e-40')).toBe(40);
    expect(again.seenAt('e-99')).toBe(99);
  });

  whenPersistent('is empty after clear, then remembers again, and stays empty when reopened', async () => {
    const s = open(dir, 'events.location', 0);
    s.remember(entries('e', 0, 10));
    await s.flush();
    await s.clear();
    expect(s.size).toBe(0);
    expect(s.seenAt('e-0')).toBeUndefined();
    await expect(s.expireBefore(Number.MAX_SAFE_INTEGER)).resolves.toBe(0);
    s.remember([{ eventId: 'e-0', at: 1 }]);
    expect(s.seenAt('e-0')).toBe(1);
    await s.clear();
    await s.close();
    const again = store('events.location', 0);
    expect(again.size).toBe(0);
    expect(again.seenAt('e-0')).toBeUndefined();
  });

  if (persistent) {
    it('has no checkpoint until one is remembered, then the latest, kept across close', async () => {
      const s = open(dir, 'events.location', 1);
      expect(s.checkpoint).toBeUndefined();
      s.remember(entries('e', 0, 10), 10n);
      expect(s.checkpoint).toBe(10n);
      s.remember(entries('e', 10, 12));
      expect(s.checkpoint).toBe(10n);
      s.remember([], 13n);
      expect(s.checkpoint).toBe(13n);
      await s.close();
      const again = store('events.location', 1);
      expect(again.checkpoint).toBe(13n);
      expect(again.size).toBe(12);
    });

    it('forgets the checkpoint with the ids on clear, also when reopened', async () => {
      const s = open(dir, 'events.location', 2);
      s.remember(entries('e', 0, 3), 7n);
      await s.clear();
      expect(s.checkpoint).toBeUndefined();
      await s.close();
      expect(store('events.location', 2).checkpoint).toBeUndefined();
    });
  } else {
    it('has no checkpoint, whatever it is given: every restore reads the whole changelog', () => {
      const s = store();
      s.remember(entries('e', 0, 3), 3n);
      expect(s.checkpoint).toBeUndefined();
      expect(s.size).toBe(3);
    });
  }

  it('counts each id once, however often it is remembered', async () => {
    const s = store();
    expect(s.size).toBe(0);
    s.remember(entries('e', 0, 5));
    s.remember(entries('e', 3, 8));
    s.remember([
      { eventId: 'x', at: 1 },
      { eventId: 'x', at: 2 },
    ]);
    expect(s.size).toBe(9);
    // e-0, e-1, e-2 and x (at 2).
    await s.expireBefore(3);
    expect(s.size).toBe(5);
  });

  it('keeps the partitions of one directory apart', async () => {
    const p0 = store('events.location', 0);
    const p1 = store('events.location', 1);
    const other = store('events.sms', 0);
    p0.remember([{ eventId: 'a', at: 10 }]);
    p1.remember([{ eventId: 'b', at: 10 }]);
    other.remember([{ eventId: 'a', at: 99 }]);
    expect(p0.seenAt('b')).toBeUndefined();
    expect(p1.seenAt('a')).toBeUndefined();
    expect(other.seenAt('a')).toBe(99);
    await expect(p0.expireBefore(50)).resolves.toBe(1);
    expect(other.seenAt('a')).toBe(99);
    expect(p1.seenAt('b')).toBe(10);
    await p1.clear();
    expect(other.size).toBe(1);
    expect([p0.size, p1.size, other.size]).toEqual([0, 0, 1]);
  });
}
