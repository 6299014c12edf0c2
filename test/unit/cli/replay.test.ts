import { parseReplayArgs, reportLines, summaryLine } from '../../../src/cli/replay';

const NOW = Date.parse('2026-12-07T03:00:00Z');
const base = ['--from', 'archive', '--since', '2026-12-06', '--until', 'now'];
let printed = '';
const output = { stdout: (text: string) => (printed += text), stderr: (text: string) => (printed += text) };
const parse = (...args: string[]) => parseReplayArgs(args, NOW, output);
/** What is wrong: the parser's own words, or what commander printed. */
const error = (...args: string[]) => {
  printed = '';
  const parsed = parse(...args);
  return parsed.ok ? undefined : (parsed.error ?? printed);
};

describe('replay arguments', () => {
  it('take a source, a window and optionally a service and --dry-run', () => {
    expect(parse(...base)).toEqual({
      ok: true,
      config: [],
      plan: {
        from: 'archive',
        window: { since: Date.parse('2026-12-06T00:00:00Z'), until: NOW },
        dryRun: false,
      },
    });
    const parsed = parse(
      '--from',
      'dead-letter',
      '--since',
      '2026-12-06T01:30+01:00',
      '--until',
      '2026-12-06T10:00:00.5Z',
      '--service',
      'carrierservice',
      '--dry-run',
      '--config',
      'bridge.yaml',
    );
    expect(parsed).toEqual({
      ok: true,
      config: ['--config', 'bridge.yaml'],
      plan: {
        from: 'dead-letter',
        window: { since: Date.parse('2026-12-06T00:30:00Z'), until: Date.parse('2026-12-06T10:00:00.500Z') },
        service: 'CarrierService',
        dryRun: true,
      },
    });
  });

  it('refuse a source other than archive and dead-letter', () => {
    expect(error('--since', 'now', '--until', 'now')).toBe('--from takes archive or dead-letter');
    expect(error(...base.slice(2), '--from', 'events')).toBe('--from takes archive or dead-letter');
  });

  it('refuse a missing time, one without a zone, one that is no time, and an empty window', () => {
    expect(error('--from', 'archive', '--until', 'now')).toBe('--since is required');
    expect(error('--from', 'archive', '--since', 'now')).toBe('--until is required');
    expect(error('--from', 'archive', '--since', '2026-12-06T00:00', '--until', 'now')).toContain(
      "--since: '2026-12-06T00:00' is not an ISO 8601",
    );
    expect(error('--from', 'archive', '--since', 'yesterday', '--until', 'now')).toContain('--since');
    expect(error('--from', 'archive', '--since', '2026-02-28T23:59Z', '--until', 'now')).toBeUndefined();
    expect(error('--from', 'archive', '--since', '2026-02-29T00:00Z', '--until', 'now')).toContain('--since');
    expect(error('--from', 'archive', '--since', '2026-13-01', '--until', 'now')).toContain('--since');
    expect(error('--from', 'archive', '--since', 'now', '--until', '2026-12-06')).toBe(
      '--since must be before --until',
    );
    expect(error('--from', 'archive', '--since', 'now', '--until', 'now')).toBe(
      '--since must be before --until',
    );
  });

  it('refuse an unknown service, and unknown options', () => {
    expect(error(...base, '--service', 'NoSuchService')).toBe(
      "--service: 'NoSuchService' is not a callback service the bridge knows",
    );
    expect(error(...base, '--topic', 'x')).toContain("unknown option '--topic'");
    expect(parse(...base, '--dry-rn')).toEqual({ ok: false, code: 2 });
    expect(printed).toContain('(Did you mean --dry-run?)');
    expect(parse(...base, 'stray')).toEqual({ ok: false, code: 2 });
  });
});

describe('replay output', () => {
  it('one line per callback, its diff indented; the counts of the mode', () => {
    expect(
      reportLines({
        outcome: 'changed',
        eventId: 'e1',
        service: 'DeviceUsage',
        source: 'a/0@3',
        diff: { lines: ['value.payload: 1 -> 2'], more: 2 },
      }),
    ).toEqual(['changed e1 DeviceUsage a/0@3', '  value.payload: 1 -> 2', '  ... and 2 more']);
    expect(reportLines({ outcome: 'unreadable', source: 'a/1@0', reason: 'no value' })).toEqual([
      'unreadable - - a/1@0: no value',
    ]);
    const summary = {
      read: 5,
      replayed: 3,
      unchanged: 1,
      changed: 2,
      'not-found': 0,
      unmappable: 1,
      unreadable: 1,
    };
    expect(summaryLine(summary, false)).toBe('read=5 replayed=3 unmappable=1 unreadable=1');
    expect(summaryLine(summary, true)).toBe(
      'read=5 changed=2 unchanged=1 not-found=0 unmappable=1 unreadable=1',
    );
  });
});
