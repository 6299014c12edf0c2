import { DEFAULT_PARSER_LIMITS, resolveLimits } from '../../../src/message/limits';

describe('DEFAULT_PARSER_LIMITS', () => {
  it('are the documented values', () => {
    expect(DEFAULT_PARSER_LIMITS).toEqual({
      maxBodyBytes: 1_048_576,
      maxDepth: 64,
      maxElements: 10_000,
      maxTextBytes: 65_536,
      maxAttributes: 32,
    });
    expect(Object.isFrozen(DEFAULT_PARSER_LIMITS)).toBe(true);
  });
});

describe('resolveLimits', () => {
  it('gives the defaults themselves for no limits', () => {
    expect(resolveLimits(undefined)).toBe(DEFAULT_PARSER_LIMITS);
  });

  it('fills in what a partial object leaves out or sets undefined, and ignores other keys', () => {
    const limits = { maxDepth: 3, maxElements: undefined, other: 1 } as Parameters<typeof resolveLimits>[0];
    expect(resolveLimits(limits)).toEqual({ ...DEFAULT_PARSER_LIMITS, maxDepth: 3 });
  });
});
