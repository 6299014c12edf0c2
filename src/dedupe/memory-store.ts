/**
 * A SeenStore in a Map: the state of the partitions a node owns, rebuilt from the changelog on every assignment.
 * Memory grows with the ids in the window (about 36-byte ids plus the Map's overhead); the lmdb store bounds it.
 */
import type { SeenEntry, SeenStore } from './seen-store';

export class MemorySeenStore implements SeenStore {
  private readonly seen = new Map<string, number>();
  /** Nothing survives the process: every restore reads the changelog from its start. */
  readonly checkpoint = undefined;

  seenAt(eventId: string): number | undefined {
    return this.seen.get(eventId);
  }

  remember(entries: readonly SeenEntry[]): void {
    for (const { eventId, at } of entries) {
      const earlier = this.seen.get(eventId);
      if (earlier === undefined || at > earlier) this.seen.set(eventId, at);
    }
  }

  expireBefore(before: number): Promise<number> {
    let forgotten = 0;
    for (const [eventId, at] of this.seen) {
      if (at < before) {
        this.seen.delete(eventId);
        forgotten++;
      }
    }
    return Promise.resolve(forgotten);
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  clear(): Promise<void> {
    this.seen.clear();
    return Promise.resolve();
  }

  get size(): number {
    return this.seen.size;
  }

  close(): Promise<void> {
    return this.clear();
  }
}
