import { changelogEnd } from '../../../src/dedupe/changelog';

describe('changelogEnd', () => {
  const written = {
    offsets: [
      { topic: 'in.deduped', partition: 1, offset: 500n },
      { topic: 'g-in-seen-changelog', partition: 1, offset: 40n },
      { topic: 'g-in-seen-changelog', partition: 2, offset: 7n },
    ],
  };

  it("is the offset after a partition's changelog records: their base offset plus their count", () => {
    expect(changelogEnd(written, 'g-in-seen-changelog', 1, 3)).toBe(43n);
    expect(changelogEnd(written, 'g-in-seen-changelog', 2, 1)).toBe(8n);
  });

  it('is undefined when the send did not say where the partition was written', () => {
    expect(changelogEnd(written, 'g-in-seen-changelog', 0, 3)).toBeUndefined();
    expect(changelogEnd({}, 'g-in-seen-changelog', 1, 3)).toBeUndefined();
  });
});
