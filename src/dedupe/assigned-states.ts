/**
 * The states of the input partitions a group member is assigned, rebuilt at each assignment: when the consumer
 * joins its group, every state of the previous assignment is dropped (another member may have written those
 * changelogs since) and each assigned partition's is rebuilt from its changelog, whether a record comes for it or
 * not, before any batch is decided with them.
 *
 * One thing at a time: a join's rebuild starts once the previous rebuild (aborted by the join) and the batch in
 * flight are done, and a batch waits for the newest join's rebuild; so a store is never open twice, nor closed
 * under a batch.
 */
import type { Message } from '@platformatic/kafka';
import { partitionKey } from './decide';
import type { WindowExpiry } from './expiry';
import type { SeenStore } from './seen-store';

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** One partition's state: its store and the expiry that follows its stream time. */
export interface PartitionState extends TopicPartition {
  store: SeenStore;
  expiry: WindowExpiry;
  /** The offset after the last record decided under this assignment: a record below it was read again. */
  position?: bigint;
}

/** A generation's assigned partitions, each with its state rebuilt. */
export interface Assignment {
  generationId: number;
  /** By partitionKey. */
  states: ReadonlyMap<string, PartitionState>;
}

/** Rebuilds one partition's state from its changelog; `signal` aborts it (a newer join, the session's end). */
export type RebuildState = (topic: string, partition: number, signal: AbortSignal) => Promise<PartitionState>;

interface Generation extends Assignment {
  states: Map<string, PartitionState>;
  controller: AbortController;
  /** Settles, never rejecting, once every state is rebuilt or the rebuild failed or was aborted. */
  rebuilt: Promise<void>;
  failure?: { error: unknown };
}

export class AssignedStates {
  private latest: Generation | undefined;
  /** The batch in flight, settled (never rejecting) once it is done with its states. */
  private inFlight: Promise<unknown> = Promise.resolve();

  /** `onFailure`: a rebuild failed (not aborted); the states are unusable until the next assignment. */
  constructor(
    private readonly rebuild: RebuildState,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  /** A join: the previous assignment's states dropped, `partitions`' rebuilt (in the background, in order). */
  assign(generationId: number, partitions: readonly TopicPartition[]): void {
    const previous = this.latest;
    previous?.controller.abort();
    const controller = new AbortController();
    const states = new Map<string, PartitionState>();
    const generation: Generation = { generationId, states, controller, rebuilt: Promise.resolve() };
    generation.rebuilt = this.rebuildAll(previous, generation, partitions);
    this.latest = generation;
  }

  /**
   * Runs `work` with the newest assignment once its states are rebuilt (a join meanwhile: with that join's);
   * rejects with the rebuild's error if it failed.
   */
  async withLatest<T>(work: (assignment: Assignment) => Promise<T>): Promise<T> {
    for (;;) {
      const generation = this.latest;
      if (!generation) throw new Error('a batch came before the consumer joined its group');
      await generation.rebuilt;
      if (generation !== this.latest) continue;
      if (generation.failure) throw generation.failure.error;
      const done = work(generation);
      this.inFlight = done.catch(() => undefined);
      return done;
    }
  }

  /** The session's end: a rebuild under way aborted, the batch in flight awaited, every store closed. */
  async close(): Promise<void> {
    const generation = this.latest;
    generation?.controller.abort();
    await generation?.rebuilt;
    await this.inFlight;
    if (generation) await closeAll(generation.states);
  }

  private async rebuildAll(
    previous: Generation | undefined,
    generation: Generation,
    partitions: readonly TopicPartition[],
  ): Promise<void> {
    const { signal } = generation.controller;
    try {
      await previous?.rebuilt;
      await this.inFlight;
      if (previous) await closeAll(previous.states);
      for (const { topic, partition } of partitions) {
        signal.throwIfAborted();
        generation.states.set(partitionKey(topic, partition), await this.rebuild(topic, partition, signal));
      }
    } catch (error) {
      // Aborted: a newer join rebuilds (after closing what this one opened), or the session is closing.
      if (signal.aborted) return;
      generation.failure = { error };
      this.onFailure(error);
    }
  }
}

/**
 * The records of a batch to decide under `states`' assignment, whatever generation fetched them: the stream is
 * not rewound to the committed offsets at a join for a partition the group never committed, and a fetch sent
 * before the join can land after the rewind, so a record fetched under an earlier generation is not always read
 * again. Left out: a record below its partition's position (read again after the rewind: decided already), and
 * one of a partition not held (its new owner's, from the committed offset).
 */
export function heldRecords(
  batch: readonly Message[],
  states: ReadonlyMap<string, Pick<PartitionState, 'position'>>,
): Message[] {
  return batch.filter((message) => {
    const state = states.get(partitionKey(message.topic, message.partition));
    return state !== undefined && message.offset >= (state.position ?? message.offset);
  });
}

async function closeAll(states: Map<string, PartitionState>): Promise<void> {
  await Promise.all([...states.values()].map(({ store }) => store.close()));
  states.clear();
}
