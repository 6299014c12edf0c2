import { MemorySeenStore } from '../../../src/dedupe/memory-store';
import { behavesAsSeenStore } from './seen-store-behaviour';

describe('MemorySeenStore', () => {
  behavesAsSeenStore(() => new MemorySeenStore(), { persistent: false });

  it('remembers ids at once, keeping the later time of an id', () => {
    const store = new MemorySeenStore();
    store.remember([
      { eventId: 'a', at: 10 },
      { eventId: 'b', at: 20 },
    ]);
    store.remember([
      { eventId: 'a', at: 30 },
      { eventId: 'b', at: 5 },
    ]);
    expect(store.seenAt('a')).toBe(30);
    expect(store.seenAt('b')).toBe(20);
    expect(store.seenAt('c')).toBeUndefined();
    expect(store.size).toBe(2);
  });

  it('forgets what was remembered before a time, and says how many', async () => {
    const store = new MemorySeenStore();
    store.remember([
      { eventId: 'a', at: 10 },
      { eventId: 'b', at: 20 },
      { eventId: 'c', at: 30 },
    ]);
    await expect(store.expireBefore(20)).resolves.toBe(1);
    expect(store.seenAt('a')).toBeUndefined();
    expect(store.seenAt('b')).toBe(20);
    await store.clear();
    expect(store.size).toBe(0);
  });
});
