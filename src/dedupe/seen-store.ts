/**
 * What the dedupe service remembers per input partition: the eventIds it has emitted, each with the time it
 * was emitted (the input record's timestamp, epoch ms), so that a later record with a remembered id is dropped
 * while the id is within the window. One store per (topic, partition) the node owns.
 */
export interface SeenStore {
  /** The time `eventId` was remembered, or undefined. */
  seenAt(eventId: string): number | undefined;
  /** Remembers ids (a later time for the same id replaces the earlier). Visible to seenAt at once. */
  remember(entries: readonly SeenEntry[]): void;
  /** Forgets every id remembered before `before` (epoch ms); resolves with how many were forgotten. */
  expireBefore(before: number): Promise<number>;
  /** Makes what was remembered so far durable on local disk (no-op for a memory store). */
  flush(): Promise<void>;
  /** Forgets everything (before a rebuild from the changelog). */
  clear(): Promise<void>;
  /** Ids remembered now. */
  readonly size: number;
  close(): Promise<void>;
}

export interface SeenEntry {
  eventId: string;
  at: number;
}
