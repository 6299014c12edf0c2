/**
 * The SeenStore behaviour suite against the most trivial store that honours the interface: maps in memory,
 * with "disk" a map that flush() copies into and open() reads back. If the suite passes here and against the
 * disk store, it tests the interface, not one implementation.
 */
import type { SeenEntry, SeenStore } from '../../../src/dedupe/seen-store';
import { behavesAsSeenStore } from './seen-store-behaviour';

/** What "disk" holds per (dir, topic, partition). */
const disk = new Map<string, { ids: ReadonlyMap<string, number>; checkpoint: bigint | undefined }>();

class MapSeenStore implements SeenStore {
  #ids: Map<string, number>;
  checkpoint: bigint | undefined;

  constructor(private readonly file: string) {
    this.#ids = new Map(disk.get(file)?.ids);
    this.checkpoint = disk.get(file)?.checkpoint;
  }

  get size(): number {
    return this.#ids.size;
  }

  seenAt(eventId: string): number | undefined {
    return this.#ids.get(eventId);
  }

  remember(entries: readonly SeenEntry[], nextOffset?: bigint): void {
    for (const { eventId, at } of entries) {
      if (!(this.#ids.get(eventId)! >= at)) this.#ids.set(eventId, at);
    }
    this.checkpoint = nextOffset ?? this.checkpoint;
  }

  async expireBefore(before: number): Promise<number> {
    let forgotten = 0;
    for (const [id, at] of this.#ids) if (at < before && this.#ids.delete(id)) forgotten++;
    return forgotten;
  }

  async flush(): Promise<void> {
    disk.set(this.file, { ids: new Map(this.#ids), checkpoint: this.checkpoint });
  }

  async clear(): Promise<void> {
    this.#ids.clear();
    this.checkpoint = undefined;
    await this.flush();
  }

  async close(): Promise<void> {
    await this.flush();
  }
}

describe('SeenStore behaviour (a map in memory)', () => {
  behavesAsSeenStore((dir, topic, partition) => new MapSeenStore(`${dir}/${topic}/${partition}`));
});
