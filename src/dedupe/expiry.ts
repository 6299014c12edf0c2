/**
 * The window's expiry of one partition's store, by stream time (the newest input timestamp seen, not the wall
 * clock: a service catching up on a week of records expires as it would have live). Runs at most once per
 * `intervalMs` of stream time, so a batch pays a Map scan only that often.
 */
import type { SeenStore } from './seen-store';

export class WindowExpiry {
  private streamTime = -Infinity;
  private lastRun: number;

  /** @param startedAt the newest time the rebuild read, so a fresh rebuild does not expire again at once */
  constructor(
    private readonly store: SeenStore,
    private readonly windowMs: number,
    private readonly intervalMs: number,
    startedAt = -Infinity,
  ) {
    this.lastRun = startedAt;
  }

  /** After a committed batch: advances stream time; resolves with how many ids were forgotten (0 most times). */
  async advance(newestTimestamp: number): Promise<number> {
    if (newestTimestamp > this.streamTime) this.streamTime = newestTimestamp;
    if (this.streamTime - this.lastRun < this.intervalMs) return 0;
    this.lastRun = this.streamTime;
    return this.store.expireBefore(this.streamTime - this.windowMs);
  }
}
