import { backoffCeiling, backoffDelay, type Backoff } from '../../../src/util/backoff';

/** mulberry32: a seeded generator, so the spread below is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const POLICY: Backoff = { baseMs: 500, maxMs: 30_000 };

describe('backoffCeiling', () => {
  it('doubles from baseMs for each attempt after the first, up to maxMs', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 8, 100, 5_000].map((attempt) => backoffCeiling(attempt, POLICY));
    expect(ceilings).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it('without a cap, only doubles', () => {
    expect(backoffCeiling(4, { baseMs: 10, maxMs: Infinity })).toBe(80);
  });
});

describe('backoffDelay (equal jitter)', () => {
  it('runs from half the ceiling (random 0) to the ceiling (random 1)', () => {
    for (const attempt of [1, 3, 7, 20]) {
      const ceiling = backoffCeiling(attempt, POLICY);
      expect(backoffDelay(attempt, { ...POLICY, random: () => 0 })).toBe(ceiling / 2);
      expect(backoffDelay(attempt, { ...POLICY, random: () => 0.5 })).toBe((ceiling * 3) / 4);
      expect(backoffDelay(attempt, { ...POLICY, random: () => 1 })).toBe(ceiling);
    }
  });

  it('spreads the waits of one attempt evenly over the upper half of its ceiling', () => {
    const random = seeded(18);
    const samples = Array.from({ length: 10_000 }, () => backoffDelay(4, { ...POLICY, random }));
    // Ceiling 4 000 ms: every wait in [2 000, 4 000], in every quarter of that range, and centred on 3 000.
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(2_000);
    expect(Math.max(...samples)).toBeLessThanOrEqual(4_000);
    const quarters = [0, 0, 0, 0];
    for (const sample of samples) quarters[Math.min(Math.floor((sample - 2_000) / 500), 3)]! += 1;
    for (const count of quarters) expect(count).toBeGreaterThan(2_300);
    const mean = samples.reduce((sum, sample) => sum + sample, 0) / samples.length;
    expect(mean).toBeGreaterThan(2_950);
    expect(mean).toBeLessThan(3_050);
    expect(new Set(samples).size).toBeGreaterThan(1_500);
  });

  it('sets nodes that fail together apart: their first retries do not coincide', () => {
    const nodes = [1, 2, 3, 4, 5].map((seed) => backoffDelay(1, { ...POLICY, random: seeded(seed) }));
    expect(new Set(nodes).size).toBe(nodes.length);
  });

  it('is never above maxMs nor negative, whatever random returns, and whole milliseconds', () => {
    const policy = { baseMs: 250, maxMs: 5_000 };
    for (const value of [0, 1e-9, 0.3, 0.999_999_999, 1, -1, -Infinity, 2, Infinity, NaN]) {
      for (const attempt of [1, 2, 5, 6, 50, 2_000]) {
        const delay = backoffDelay(attempt, { ...policy, random: () => value });
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(5_000);
        expect(Number.isInteger(delay)).toBe(true);
      }
    }
    expect(backoffDelay(50, { ...policy, random: () => 1 })).toBe(5_000);
  });

  it('uses Math.random when given none', () => {
    const spy = jest.spyOn(Math, 'random').mockReturnValue(0.25);
    try {
      expect(backoffDelay(2, POLICY)).toBe(625);
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });
});
