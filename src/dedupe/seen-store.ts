/**
 * What the dedupe service remembers per input partition: the eventIds it has emitted, each with the time it
 * was emitted (the input record's timestamp, epoch ms), so that a later record with a remembered id is dropped
 * while the id is within the window. One store per (topic, partition) the node owns.
 */
export interface SeenStore {
  /** The time `eventId` was remembered, or undefined. */
  seenAt(eventId: string): number | undefined;
  /**
   * Remembers ids (a later time for the same id replaces the earlier). Visible to seenAt at once. With
   * `nextOffset`, also the changelog offset the state now reflects everything before, in the same write as the
   * ids (a store without a checkpoint ignores it).
   */
  remember(entries: readonly SeenEntry[], nextOffset?: bigint): void;
  /**
   * The changelog offset the state reflects everything before, so that a restore reads only from there; undefined
   * when the state must be rebuilt from the changelog's start (a memory store always, a disk store not closed
   * cleanly).
   */
  readonly checkpoint: bigint | undefined;
  /** Forgets every id remembered before `before` (epoch ms); resolves with how many were forgotten. */
  expireBefore(before: number): Promise<number>;
  /** Makes what was remembered so far durable on local disk (no-op for a memory store). */
  flush(): Promise<void>;
  /** Forgets everything, the checkpoint too (before a rebuild from the changelog's start). */
  clear(): Promise<void>;
  /** Ids remembered now. */
  readonly size: number;
  close(): Promise<void>;
}

export interface SeenEntry {
  eventId: string;
  at: number;
}
