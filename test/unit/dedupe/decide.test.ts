import { changelogEntry } from '../../../src/dedupe/changelog';
import { decide, eventIdOf, type InputRecord } from '../../../src/dedupe/decide';
import { MemorySeenStore } from '../../../src/dedupe/memory-store';

const WINDOW_MS = 1_000;
const routes = new Map([['in', { output: 'in.deduped', changelog: 'g-in-seen-changelog' }]]);

function record(partition: number, offset: number, eventId: string | undefined, at: number): InputRecord {
  const headers = new Map<Buffer, Buffer>([[Buffer.from('service'), Buffer.from('x')]]);
  if (eventId !== undefined) headers.set(Buffer.from('event-id'), Buffer.from(eventId));
  return {
    topic: 'in',
    partition,
    offset: BigInt(offset),
    key: Buffer.from(`device-${partition}`),
    value: Buffer.from(`v${offset}`),
    headers,
    timestamp: BigInt(at),
  };
}

describe('decide', () => {
  const stores = () =>
    new Map([
      ['in:0', new MemorySeenStore()],
      ['in:1', new MemorySeenStore()],
    ]);

  it('emits the first of each eventId to the same partition of the output, with a changelog entry', () => {
    const decision = decide(
      [record(0, 0, 'a', 100), record(1, 0, 'b', 100), record(0, 1, 'a', 150), record(0, 2, 'c', 160)],
      routes,
      stores(),
      WINDOW_MS,
    );
    expect(decision.counts).toEqual({ consumed: 4, emitted: 3, duplicates: 1, unidentified: 0 });
    const outputs = decision.records.filter(({ topic }) => topic === 'in.deduped');
    expect(outputs.map(({ partition, value }) => [partition, value?.toString()])).toEqual([
      [0, 'v0'],
      [1, 'v0'],
      [0, 'v2'],
    ]);
    const changelog = decision.records.filter(({ topic }) => topic === 'g-in-seen-changelog');
    expect(changelog.map(({ partition, key, value }) => [partition, changelogEntry(key!, value!)])).toEqual([
      [0, { eventId: 'a', at: 100 }],
      [1, { eventId: 'b', at: 100 }],
      [0, { eventId: 'c', at: 160 }],
    ]);
    expect(decision.remember.get('in:0')).toEqual([
      { eventId: 'a', at: 100 },
      { eventId: 'c', at: 160 },
    ]);
  });

  it('drops an id its partition’s store remembers within the window, and emits it again after', () => {
    const remembered = stores();
    remembered.get('in:0')!.remember([{ eventId: 'a', at: 100 }]);
    const within = decide([record(0, 5, 'a', 100 + WINDOW_MS - 1)], routes, remembered, WINDOW_MS);
    expect(within.counts.duplicates).toBe(1);
    expect(within.records).toEqual([]);
    const after = decide([record(0, 5, 'a', 100 + WINDOW_MS)], routes, remembered, WINDOW_MS);
    expect(after.counts.emitted).toBe(1);
    // Another partition's store is not asked: an id is a duplicate only within its partition.
    expect(decide([record(1, 0, 'a', 150)], routes, remembered, WINDOW_MS).counts.emitted).toBe(1);
  });

  it('passes a record without an event-id header through, remembering nothing', () => {
    const decision = decide([record(0, 0, undefined, 100)], routes, stores(), WINDOW_MS);
    expect(decision.counts).toEqual({ consumed: 1, emitted: 1, duplicates: 0, unidentified: 1 });
    expect(decision.records.map(({ topic }) => topic)).toEqual(['in.deduped']);
    expect(decision.remember.size).toBe(0);
  });

  it('reads the eventId from the header only', () => {
    expect(eventIdOf(record(0, 0, 'x', 1).headers)).toBe('x');
    expect(eventIdOf(new Map())).toBeUndefined();
  });
});

describe('changelogEntry', () => {
  it('is undefined for a tombstone or a value that is not 8 bytes', () => {
    expect(changelogEntry(Buffer.from('a'), null)).toBeUndefined();
    expect(changelogEntry(Buffer.from('a'), Buffer.from('abc'))).toBeUndefined();
  });
});
