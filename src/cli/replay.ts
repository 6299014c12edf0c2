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
import { loadClientConfig } from '../config';
import type { ReplaySource } from '../events/archive';
import { ReplayError } from '../replay/errors';
import type { ReplayPlan, ReplayReport, ReplaySummary } from '../replay/replay';
import { runReplay } from '../replay/run';
import { findService } from '../thingspace/catalogue';
import { defineCommand, EXIT_FAILED, EXIT_OK, EXIT_USAGE, parseCommand, processOutput } from './command';
import type { CommandOutput } from './command';
import { configArgv, startWithConfig } from './config';
import { timeOf } from './time';

export const DESCRIPTION =
  'run archived or dead-lettered callbacks of a time window through the current mapping';

const SOURCES: readonly ReplaySource[] = ['archive', 'dead-letter'];

function command() {
  return defineCommand('replay', DESCRIPTION)
    .option('--from <source>', `where the callbacks are read: ${SOURCES.join(' or ')}`)
    .option('--since <time>', "the window's start, inclusive: ISO 8601 with a zone, a date, or now")
    .option('--until <time>', "the window's end, exclusive: as --since")
    .option('--service <name>', 'only this callback service')
    .option('--dry-run', 'publish nothing; print whether each event would change')
    .option('-c, --config <file>', "the bridge's config file (default: $BRIDGE_CONFIG)");
}

export type ParsedReplayArgs =
  { ok: true; plan: ReplayPlan; config: string[] } | { ok: false; code: number; error?: string };

interface ReplayOptions {
  config?: string;
  from?: string;
  since?: string;
  until?: string;
  service?: string;
  dryRun?: true;
}

/**
 * The plan the arguments describe and the `--config` argv for the loader; or the exit code and, unless commander
 * printed it already, what is wrong.
 */
export function parseReplayArgs(
  args: readonly string[],
  now: number,
  output: CommandOutput = processOutput,
): ParsedReplayArgs {
  const parsed = parseCommand(command(), args, output);
  if (!parsed.ok) return parsed;
  const values = parsed.options as unknown as ReplayOptions;
  const refuse = (error: string): ParsedReplayArgs => ({ ok: false, code: EXIT_USAGE, error });
  const from = values.from as ReplaySource | undefined;
  if (from === undefined || !SOURCES.includes(from)) return refuse(`--from takes ${SOURCES.join(' or ')}`);
  if (values.since === undefined) return refuse('--since is required');
  if (values.until === undefined) return refuse('--until is required');
  const since = timeOf('--since', values.since, now);
  if (typeof since === 'string') return refuse(since);
  const until = timeOf('--until', values.until, now);
  if (typeof until === 'string') return refuse(until);
  if (since >= until) return refuse('--since must be before --until');
  let service;
  if (values.service !== undefined) {
    service = findService(values.service)?.name;
    if (service === undefined) {
      return refuse(`--service: '${values.service}' is not a callback service the bridge knows`);
    }
  }
  return {
    ok: true,
    plan: { from, window: { since, until }, dryRun: values.dryRun === true, ...(service ? { service } : {}) },
    config: configArgv(values),
  };
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
    if (parsed.error !== undefined) {
      process.stderr.write(
        `thingspace-bridge replay: ${parsed.error}\n(run 'thingspace-bridge replay --help' for usage)\n`,
      );
    }
    return parsed.code;
  }
  const { plan } = parsed;
  const started = startWithConfig(
    'replay',
    () => loadClientConfig({ argv: parsed.config, env: process.env, cwd: process.cwd() }),
    process.stderr,
  );
  if (started === undefined) return EXIT_USAGE;
  const { config, logger } = started;
  try {
    const summary = await runReplay({
      plan,
      config,
      logger,
      onReport: (report) => process.stdout.write(`${reportLines(report).join('\n')}\n`),
    });
    process.stdout.write(`${summaryLine(summary, plan.dryRun)}\n`);
    return EXIT_OK;
  } catch (err) {
    if (!(err instanceof ReplayError)) throw err;
    process.stderr.write(`thingspace-bridge replay: ${err.code}: ${err.message}\n`);
    return EXIT_FAILED;
  }
}
