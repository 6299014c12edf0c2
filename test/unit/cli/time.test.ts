import { timeOf, timeOrAgoOf } from '../../../src/cli/time';

const NOW = Date.parse('2026-12-07T03:00:00Z');

describe('command-line times', () => {
  it('take ISO 8601 with a zone, a date (midnight UTC) and now', () => {
    expect(timeOf('--since', '2026-12-06T01:30+01:00', NOW)).toBe(Date.parse('2026-12-06T00:30:00Z'));
    expect(timeOf('--since', '2026-12-06', NOW)).toBe(Date.parse('2026-12-06T00:00:00Z'));
    expect(timeOf('--since', 'now', NOW)).toBe(NOW);
  });

  it('refuse a time without a zone, a day its month lacks, and words', () => {
    expect(timeOf('--since', '2026-12-06T00:00', NOW)).toContain("--since: '2026-12-06T00:00' is not");
    expect(timeOf('--since', '2026-02-29', NOW)).toContain('is not');
    expect(timeOf('--since', 'yesterday', NOW)).toContain('is not');
  });

  it('where allowed, a duration back from now', () => {
    expect(timeOrAgoOf('--since', '10m', NOW)).toBe(NOW - 600_000);
    expect(timeOrAgoOf('--since', '90s', NOW)).toBe(NOW - 90_000);
    expect(timeOrAgoOf('--since', '2h', NOW)).toBe(NOW - 7_200_000);
    expect(timeOrAgoOf('--since', '7d', NOW)).toBe(NOW - 7 * 86_400_000);
    expect(timeOrAgoOf('--since', '500ms', NOW)).toBe(NOW - 500);
    expect(timeOrAgoOf('--since', '2026-12-06', NOW)).toBe(Date.parse('2026-12-06T00:00:00Z'));
    expect(timeOrAgoOf('--since', '10', NOW)).toContain('nor a duration such as 10m');
    expect(timeOrAgoOf('--since', '-10m', NOW)).toContain('nor a duration');
    expect(timeOrAgoOf('--since', '10w', NOW)).toContain('nor a duration');
  });
});
