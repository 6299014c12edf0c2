import { WindowExpiry } from '../../../src/dedupe/expiry';
import { MemorySeenStore } from '../../../src/dedupe/memory-store';

describe('WindowExpiry', () => {
  it('forgets what is older than the window by stream time, at most once per interval', async () => {
    const store = new MemorySeenStore();
    store.remember([
      { eventId: 'old', at: 0 },
      { eventId: 'newer', at: 500 },
    ]);
    const expiry = new WindowExpiry(store, 1_000, 100, 1_000);
    await expect(expiry.advance(1_050)).resolves.toBe(0); // within the interval of the rebuild's newest time
    await expect(expiry.advance(1_100)).resolves.toBe(1); // 'old' < 1_100 - 1_000
    store.remember([{ eventId: 'x', at: 100 }]);
    await expect(expiry.advance(900)).resolves.toBe(0); // stream time never goes back
    await expect(expiry.advance(1_600)).resolves.toBe(2);
    expect(store.size).toBe(0);
  });
});
