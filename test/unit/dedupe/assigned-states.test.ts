import type { Message } from '@platformatic/kafka';
import {
  AssignedStates,
  heldRecords,
  type Assignment,
  type PartitionState,
  type TopicPartition,
} from '../../../src/dedupe/assigned-states';
import type { WindowExpiry } from '../../../src/dedupe/expiry';
import type { SeenStore } from '../../../src/dedupe/seen-store';

/** What happened, in order: `open in:0`, `close in:0`, `batch 3 [in:0]`, `abort in:1`. */
type Journal = string[];

function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** A rebuild per partition that waits for `gates[key]` when there is one, journaling its stores' life. */
function rebuilder(journal: Journal, gates: Map<string, ReturnType<typeof deferred>> = new Map()) {
  return async (topic: string, partition: number, signal: AbortSignal): Promise<PartitionState> => {
    const key = `${topic}:${partition}`;
    journal.push(`open ${key}`);
    const store = {
      close: () => {
        journal.push(`close ${key}`);
        return Promise.resolve();
      },
    } as unknown as SeenStore;
    // Journaled only while this rebuild runs.
    const aborted = () => journal.push(`abort ${key}`);
    signal.addEventListener('abort', aborted, { once: true });
    const gate = gates.get(key);
    if (gate) await gate.promise.finally(() => signal.removeEventListener('abort', aborted));
    else signal.removeEventListener('abort', aborted);
    return { topic, partition, store, expiry: {} as WindowExpiry };
  };
}

const on = (topic: string, ...partitions: number[]): TopicPartition[] =>
  partitions.map((partition) => ({ topic, partition }));
const batch = (journal: Journal) => (assignment: Assignment) => {
  journal.push(`batch ${assignment.generationId} [${[...assignment.states.keys()].join(' ')}]`);
  return Promise.resolve(assignment.generationId);
};
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('AssignedStates', () => {
  it('rebuilds every partition assigned at a join, in turn, with no batch asking', async () => {
    const journal: Journal = [];
    const states = new AssignedStates(rebuilder(journal), () => undefined);
    states.assign(1, [...on('in', 0, 1), ...on('other', 0)]);
    await flush();
    expect(journal).toEqual(['open in:0', 'open in:1', 'open other:0']);
    expect(await states.withLatest(batch(journal))).toBe(1);
    expect(journal.at(-1)).toBe('batch 1 [in:0 in:1 other:0]');
  });

  it('makes a batch wait for the rebuild of the newest join', async () => {
    const journal: Journal = [];
    const gate = deferred();
    const states = new AssignedStates(rebuilder(journal, new Map([['in:1', gate]])), () => undefined);
    states.assign(1, on('in', 0, 1));
    const done = states.withLatest(batch(journal));
    await flush();
    expect(journal).toEqual(['open in:0', 'open in:1']);
    gate.resolve();
    await done;
    expect(journal).toEqual(['open in:0', 'open in:1', 'batch 1 [in:0 in:1]']);
  });

  it('at a join during a batch, closes the old states once the batch is done, then opens the new ones', async () => {
    const journal: Journal = [];
    const states = new AssignedStates(rebuilder(journal), () => undefined);
    states.assign(1, on('in', 0, 1));
    const inBatch = deferred();
    const batchDone = states.withLatest(async (assignment) => {
      journal.push(`batch ${assignment.generationId} starts`);
      await inBatch.promise;
      journal.push(`batch ${assignment.generationId} ends`);
    });
    await flush();
    states.assign(2, on('in', 1));
    await flush();
    expect(journal.at(-1)).toBe('batch 1 starts');
    inBatch.resolve();
    await batchDone;
    await states.withLatest(batch(journal));
    expect(journal).toEqual([
      'open in:0',
      'open in:1',
      'batch 1 starts',
      'batch 1 ends',
      'close in:0',
      'close in:1',
      'open in:1',
      'batch 2 [in:1]',
    ]);
  });

  it("aborts a rebuild a newer join supersedes; a batch waiting meanwhile gets the newer join's states", async () => {
    const journal: Journal = [];
    const gate = deferred();
    const states = new AssignedStates(rebuilder(journal, new Map([['in:0', gate]])), () => undefined);
    states.assign(1, on('in', 0, 1));
    const waiting = states.withLatest(batch(journal));
    await flush();
    states.assign(2, on('in', 2));
    gate.resolve();
    expect(await waiting).toBe(2);
    expect(journal).toEqual([
      'open in:0',
      'abort in:0',
      // in:1 never opened: the aborted rebuild stopped; what it opened is closed before the next opens.
      'close in:0',
      'open in:2',
      'batch 2 [in:2]',
    ]);
  });

  it('reports a failed rebuild, and a batch then fails with its error', async () => {
    const journal: Journal = [];
    const gate = deferred();
    const failures: unknown[] = [];
    const states = new AssignedStates(rebuilder(journal, new Map([['in:1', gate]])), (error) =>
      failures.push(error),
    );
    states.assign(1, on('in', 0, 1, 2));
    const error = new Error('changelog unreachable');
    gate.reject(error);
    await expect(states.withLatest(batch(journal))).rejects.toBe(error);
    expect(failures).toEqual([error]);
    expect(journal).toEqual(['open in:0', 'open in:1']);
    await states.close();
    expect(journal).toEqual(['open in:0', 'open in:1', 'close in:0']);
  });

  it('at close, aborts a rebuild under way without reporting it and closes every store', async () => {
    const journal: Journal = [];
    const gate = deferred();
    const failures: unknown[] = [];
    const states = new AssignedStates(
      async (topic, partition, signal) => {
        const state = await rebuilder(journal, new Map([['in:1', gate]]))(topic, partition, signal);
        signal.throwIfAborted();
        return state;
      },
      (error) => failures.push(error),
    );
    states.assign(1, on('in', 0, 1, 2));
    await flush();
    const closed = states.close();
    gate.resolve();
    await closed;
    expect(journal).toEqual(['open in:0', 'open in:1', 'abort in:1', 'close in:0']);
    expect(failures).toEqual([]);
  });

  it('refuses a batch before any join', async () => {
    const states = new AssignedStates(rebuilder([]), () => undefined);
    await expect(states.withLatest(batch([]))).rejects.toThrow(/before the consumer joined/);
  });
});

describe('heldRecords', () => {
  const record = (partition: number, offset: bigint, generationId: number) =>
    ({ topic: 'in', partition, offset, metadata: { consumer: { generationId } } }) as unknown as Message;

  it('keeps the records of held partitions from their position on, whatever generation fetched them', () => {
    const states = new Map([
      ['in:0', { position: 5n }],
      ['in:1', {}],
    ]);
    const batch = [
      record(0, 3n, 1), // read again after the rewind: decided already
      record(0, 5n, 1), // fetched before the join, never to be read again: decided now
      record(1, 0n, 1), // a partition never decided under this assignment
      record(2, 9n, 2), // not held: its new owner's
      record(0, 6n, 2),
    ];
    expect(heldRecords(batch, states).map(({ partition, offset }) => `${partition}@${offset}`)).toEqual([
      '0@5',
      '1@0',
      '0@6',
    ]);
  });
});
