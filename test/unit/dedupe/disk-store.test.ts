import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskSeenStore } from '../../../src/dedupe/disk-store';
import { behavesAsSeenStore, entries } from './seen-store-behaviour';

describe('DiskSeenStore', () => {
  behavesAsSeenStore((dir, topic, partition) => DiskSeenStore.open(dir, topic, partition));

  describe('on its own', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'disk-store-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('keeps each partition in its own file, named by topic and partition', async () => {
      const stores = [DiskSeenStore.open(dir, 'events.sms', 0), DiskSeenStore.open(dir, 'events.sms', 12)];
      await Promise.all(stores.map((s) => s.close()));
      expect(
        readdirSync(dir)
          .filter((name) => name.endsWith('.lmdb'))
          .sort(),
      ).toEqual(['events.sms.0.lmdb', 'events.sms.12.lmdb']);
    });

    it('leaves a marker when closed and takes it at open; without it, starts empty and without a checkpoint', async () => {
      const s = DiskSeenStore.open(dir, 't', 0);
      s.remember(entries('e', 0, 10), 10n);
      await s.flush();
      await s.close();
      expect(readdirSync(dir)).toContain('t.0.clean');
      const again = DiskSeenStore.open(dir, 't', 0);
      expect(readdirSync(dir)).not.toContain('t.0.clean');
      expect([again.size, again.checkpoint]).toEqual([10, 10n]);
      // A crash: the process ends without close(), so no marker; the next open trusts nothing of the file.
      again.remember(entries('e', 10, 20), 20n);
      await again.flush();
      await (again as unknown as { root: { close(): Promise<void> } }).root.close();
      const afterCrash = DiskSeenStore.open(dir, 't', 0);
      expect([afterCrash.size, afterCrash.checkpoint, afterCrash.seenAt('e-0')]).toEqual([
        0,
        undefined,
        undefined,
      ]);
      await afterCrash.close();
    });

    it('refuses a negative checkpoint, and remembers nothing of that call', async () => {
      const s = DiskSeenStore.open(dir, 't', 0);
      expect(() => s.remember([{ eventId: 'a', at: 1 }], -1n)).toThrow(RangeError);
      expect([s.size, s.checkpoint]).toEqual([0, undefined]);
      await s.close();
    });

    it('expires more ids than fit in one expiry transaction', async () => {
      const s = DiskSeenStore.open(dir, 't', 0);
      for (let from = 0; from < 25_000; from += 5_000) s.remember(entries('e', from, from + 5_000));
      await expect(s.expireBefore(22_000)).resolves.toBe(22_000);
      expect(s.size).toBe(3_000);
      expect(s.seenAt('e-21999')).toBeUndefined();
      expect(s.seenAt('e-22000')).toBe(22_000);
      await s.close();
    });

    it.each([
      ['an empty topic', '', 0],
      ['a topic that is a path', '../etc', 0],
      ['the topic ..', '..', 0],
      ['a negative partition', 't', -1],
      ['a fractional partition', 't', 1.5],
    ])('refuses %s', (_, topic, partition) => {
      expect(() => DiskSeenStore.open(dir, topic, partition)).toThrow(RangeError);
      expect(readdirSync(dir)).toEqual([]);
    });

    it.each([
      ['an empty eventId', '', 1],
      ['an eventId longer than 128 characters', 'x'.repeat(129), 1],
      ['a negative time', 'a', -1],
      ['a time that is not an integer', 'a', 1.5],
      ['a time that is not a number', 'a', Number.NaN],
    ])('refuses to remember %s, and remembers nothing of that batch', async (_, eventId, at) => {
      const s = DiskSeenStore.open(dir, 't', 0);
      expect(() =>
        s.remember([
          { eventId: 'fine', at: 1 },
          { eventId, at },
        ]),
      ).toThrow(RangeError);
      expect(s.seenAt('fine')).toBeUndefined();
      expect(s.size).toBe(0);
      await s.close();
    });
  });
});
