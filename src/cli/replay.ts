/**
 * `thingspace-bridge replay`: runs the callbacks archived (or dead-lettered) within a time window through the
 * current parser and mapping into the category topics, with their eventIds and the replay headers
 * (src/replay/). `--dry-run` publishes nothing and prints, per callback, whether its event would change.
 *
 *   thingspace-bridge replay --from archive|dead-letter --since TIME --until TIME [--service NAME] [--dry-run]
 *                            [--config FILE]
 *
 * TIME is ISO 8601 with a zone (`2026-12-06T00:00:00Z`, `2026-12-06T01:00+01:00`), a date (midnight UTC), or
 * `now`; the window is of Kafka record timestamps, `since` inclusive, `until` exclusive. Connects as `tail` does
 * (--config or BRIDGE_CONFIG; KAFKA_BROKERS, SCHEMA_REGISTRY_URL), reading the archive topic and the normalize
 * settings from the same file as `serve`. One line per callback on stdout, then the counts; logs on stderr.
 * Exit 0 when done, 1 when Kafka or the registry failed it, 2 for bad arguments or config.
 */
import { parseArgs } from 'node:util';
import { loadClientConfig } from '../config';
import type { ReplaySource } from '../events/archive';
import { ReplayError } from '../replay/errors';
import type { ReplayPlan, ReplayReport, ReplaySummary } from '../replay/replay';
import { runReplay } from '../replay/run';
import { findService } from '../thingspace/catalogue';
import { startWithConfig } from './config';

const USAGE =
  'usage: thingspace-bridge replay --from archive|dead-letter --since TIME --until TIME [--service NAME] ' +
  '[--dry-run] [--config FILE]';

const SOURCES: readonly ReplaySource[] = ['archive', 'dead-letter'];

/** ISO 8601: a date, or a date and time with a zone (a time without one would be the machine's local time). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

export type ParsedReplayArgs = { ok: true; plan: ReplayPlan } | { ok: false; error: string };

/** The plan the arguments describe, or what is wrong with them; `--config` is left to the config loader. */
export function parseReplayArgs(args: readonly string[], now: number): ParsedReplayArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        config: { type: 'string', short: 'c' },
        from: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        service: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  const from = values.from as ReplaySource | undefined;
  if (from === undefined || !SOURCES.includes(from)) {
    return { ok: false, error: `--from takes ${SOURCES.join(' or ')}` };
  }
  const since = timeOf('--since', values.since, now);
  if (typeof since === 'string') return { ok: false, error: since };
  const until = timeOf('--until', values.until, now);
  if (typeof until === 'string') return { ok: false, error: until };
  if (since >= until) return { ok: false, error: '--since must be before --until' };
  let service;
  if (values.service !== undefined) {
    service = findService(values.service)?.name;
    if (service === undefined) {
      return {
        ok: false,
        error: `--service: '${values.service}' is not a callback service the bridge knows`,
      };
    }
  }
  return {
    ok: true,
    plan: { from, window: { since, until }, dryRun: values['dry-run'], ...(service ? { service } : {}) },
  };
}

/** Epoch ms, or the problem as text. */
function timeOf(flag: string, text: string | undefined, now: number): number | string {
  if (text === undefined) return `${flag} is required`;
  if (text === 'now') return now;
  const ms = ISO_TIME.test(text) && realDate(text) ? Date.parse(text) : NaN;
  return Number.isNaN(ms) ? `${flag}: '${text}' is not an ISO 8601 date or time with a zone, nor 'now'` : ms;
}

/** Date.parse rolls 2026-02-30 over into March: the day must exist in its month. */
function realDate(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** One line per callback: what became of it, its eventId, service and place in the source; a diff below. */
export function reportLines(report: ReplayReport): string[] {
  const head = [report.outcome, report.eventId ?? '-', report.service ?? '-', report.source].join(' ');
  const lines = [report.reason === undefined ? head : `${head}: ${report.reason}`];
  if (report.diff) {
    lines.push(...report.diff.lines.map((line) => `  ${line}`));
    if (report.diff.more > 0) lines.push(`  ... and ${report.diff.more} more`);
  }
  return lines;
}

export function summaryLine(summary: ReplaySummary, dryRun: boolean): string {
  const counts = dryRun
    ? ['read', 'changed', 'unchanged', 'not-found', 'unmappable', 'unreadable']
    : ['read', 'replayed', 'unmappable', 'unreadable'];
  return counts.map((name) => `${name}=${summary[name as keyof ReplaySummary]}`).join(' ');
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseReplayArgs(args, Date.now());
  if (!parsed.ok) {
    process.stderr.write(`thingspace-bridge replay: ${parsed.error}\n${USAGE}\n`);
    return 2;
  }
  const { plan } = parsed;
  const started = startWithConfig(
    'replay',
    () => loadClientConfig({ argv: args, env: process.env, cwd: process.cwd() }),
    process.stderr,
  );
  if (started === undefined) return 2;
  const { config, logger } = started;
  try {
    const summary = await runReplay({
      plan,
      config,
      logger,
      onReport: (report) => process.stdout.write(`${reportLines(report).join('\n')}\n`),
    });
    process.stdout.write(`${summaryLine(summary, plan.dryRun)}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ReplayError)) throw err;
    process.stderr.write(`thingspace-bridge replay: ${err.code}: ${err.message}\n`);
    return 1;
  }
}
