/**
 * What `npm run bench` found, three ways: a console table, a Markdown page and an SVG chart (acknowledged/s and
 * p99 by concurrency, one line per target). Pure functions of the BenchReport; bench/run.ts writes the files.
 */
import { describe, type BatchHistogram } from './bridge-metrics';
import type { LoadResult } from './loadgen/types';
import type { ProcessUsage } from './process-sampler';
import type { ProfileSummary } from './profile-summary';
import { SOAP_BRIDGES, TARGET_LABELS, type TargetName } from './targets';

export interface ScenarioResult {
  target: TargetName;
  load: { concurrency: number } | { rate: number };
  result: LoadResult;
  server: ProcessUsage;
  broker: ProcessUsage;
  /** The bridge's batches while measuring. */
  batches?: BatchHistogram;
  /** Records Kafka gained during the scenario against the 200s; null for the bare server. */
  kafka: { acknowledged: number; records: number } | null;
}

export interface BenchReport {
  /** With BENCH_CPU_PROF=1: the bridge's CPU profile, summarized. */
  profile?: { file: string; summary: ProfileSummary };
  startedAt: string;
  durationSeconds: number;
  environment: Record<string, string | number>;
  settings: Record<string, string | number>;
  scenarios: ScenarioResult[];
  /** The bridge's events read back: distinct eventIds against records. */
  bridgeEvents?: { records: number; distinctEventIds: number };
}

/**
 * Issue 17's targets on a 2-core machine: at 50 concurrent clients, acknowledged/s, p99 and the share of bare
 * HTTP's rate in the same run; p50 with one client; the bridge's peak RSS over its closed-loop scenarios.
 */
export const GOALS = {
  concurrency: 50,
  okPerSecond: 10_000,
  p99Ms: 15,
  ofBare: 0.3,
  oneClientP50Ms: 1,
  rssMiB: 256,
};

export const loadLabel = (load: ScenarioResult['load']) =>
  'concurrency' in load ? `${load.concurrency} clients` : `${load.rate}/s offered`;

const fixed = (n: number | null | undefined, digits = 1) =>
  n === null || n === undefined ? 'n/a' : n.toFixed(digits);
const whole = (n: number | null | undefined) =>
  n === null || n === undefined ? 'n/a' : String(Math.round(n));

function errors(result: LoadResult): string {
  const entries = Object.entries(result.statusesMeasured).filter(([status]) => status !== '200');
  return entries.length === 0 ? '0' : entries.map(([status, n]) => `${n}×${status}`).join(' ');
}

function kafkaCheck(s: ScenarioResult): string {
  if (s.kafka === null) return '—';
  return s.kafka.records === s.kafka.acknowledged
    ? `✓ ${s.kafka.records}`
    : `✗ ${s.kafka.records}/${s.kafka.acknowledged}`;
}

/**
 * CPU time per acknowledged callback, in µs, of a process sampled over the scenario (its CPU % of one core):
 * the per-core cost, comparable across targets and machines where ack/s depends on what else runs.
 */
export function cpuMicrosPerCallback(usage: ProcessUsage, result: LoadResult): number | undefined {
  return usage.cpuPercent == null || result.okPerSecond === 0
    ? undefined
    : (usage.cpuPercent * 10_000) / result.okPerSecond;
}

export function rows(report: BenchReport): Record<string, string>[] {
  return report.scenarios.map((s) => ({
    target: s.target,
    load: loadLabel(s.load),
    'ack/s': whole(s.result.okPerSecond),
    'p50 ms': fixed(s.result.latencyMs.p50),
    'p90 ms': fixed(s.result.latencyMs.p90),
    'p99 ms': fixed(s.result.latencyMs.p99),
    'max ms': fixed(s.result.latencyMs.max),
    'non-200': errors(s.result),
    'server CPU %': whole(s.server.cpuPercent),
    'server CPU µs/ack': whole(cpuMicrosPerCallback(s.server, s.result)),
    'server RSS MiB': whole(s.server.peakRssMiB),
    'loadgen CPU %': whole(s.result.cpuPercent),
    'Kafka CPU %': whole(s.broker.cpuPercent),
    'records/batch':
      s.batches === undefined || s.batches.batches === 0 ? '—' : fixed(s.batches.records / s.batches.batches),
    'produce ms':
      s.batches === undefined || s.batches.batches === 0
        ? '—'
        : fixed((s.batches.produceSeconds * 1000) / s.batches.batches),
    'Kafka = 200s': kafkaCheck(s),
  }));
}

export interface Ratio {
  target: TargetName;
  load: string;
  bridge: number;
  afternoon?: number;
  bare?: number;
  /** The afternoon bridge's broker CPU per acknowledged callback over the bridge's: how much less Kafka works. */
  brokerWorkSaved?: number;
  /** Bare HTTP's server CPU per acknowledged callback over the bridge's, in the same run: 1 would be free. */
  cpuOfBare?: number;
}

/** The bridge's acknowledged/s against each reference, load by load. */
export function ratios(report: BenchReport): Ratio[] {
  const scenario = (target: TargetName, load: string) =>
    report.scenarios.find((s) => s.target === target && loadLabel(s.load) === load);
  const of = (target: TargetName, load: string) => scenario(target, load)?.result.okPerSecond;
  const brokerCpuPerCallback = (s: ScenarioResult | undefined) =>
    s && cpuMicrosPerCallback(s.broker, s.result);
  const serverCpuPerCallback = (s: ScenarioResult | undefined) =>
    s && cpuMicrosPerCallback(s.server, s.result);
  return report.scenarios
    .filter((s) => SOAP_BRIDGES.includes(s.target))
    .map((s) => {
      const load = loadLabel(s.load);
      const afternoon = of('afternoon', load);
      const bare = of('bare', load);
      const ours = brokerCpuPerCallback(s);
      const theirs = brokerCpuPerCallback(scenario('afternoon', load));
      const bridgeCpu = serverCpuPerCallback(s);
      const bareCpu = serverCpuPerCallback(scenario('bare', load));
      return {
        target: s.target,
        load,
        bridge: s.result.okPerSecond,
        ...(afternoon ? { afternoon: s.result.okPerSecond / afternoon } : {}),
        ...(bare ? { bare: s.result.okPerSecond / bare } : {}),
        ...(ours && theirs ? { brokerWorkSaved: theirs / ours } : {}),
        ...(bridgeCpu && bareCpu ? { cpuOfBare: bareCpu / bridgeCpu } : {}),
      };
    });
}

/** The goals, each with what was measured and whether it was met; those whose scenario did not run are left out. */
export function goals(report: BenchReport): { goal: string; measured: string; met: boolean }[] {
  const bridgeAt = (concurrency: number) =>
    report.scenarios.find(
      (s) => s.target === 'bridge' && 'concurrency' in s.load && s.load.concurrency === concurrency,
    );
  const out: { goal: string; measured: string; met: boolean }[] = [];
  const bridge = bridgeAt(GOALS.concurrency);
  if (bridge !== undefined) {
    const p99 = bridge.result.latencyMs.p99;
    out.push(
      {
        goal: `≥ ${GOALS.okPerSecond} ack/s at ${GOALS.concurrency} clients`,
        measured: whole(bridge.result.okPerSecond),
        met: bridge.result.okPerSecond >= GOALS.okPerSecond,
      },
      {
        goal: `p99 ≤ ${GOALS.p99Ms} ms at ${GOALS.concurrency} clients`,
        measured: `${fixed(p99)} ms`,
        met: p99 !== null && p99 <= GOALS.p99Ms,
      },
    );
    const ofBare = ratios(report).find(
      (r) => r.target === 'bridge' && r.load === loadLabel(bridge.load),
    )?.bare;
    if (ofBare !== undefined)
      out.push({
        goal: `≥ ${GOALS.ofBare * 100}% of bare HTTP's ack/s at ${GOALS.concurrency} clients`,
        measured: `${fixed(ofBare * 100)}%`,
        met: ofBare >= GOALS.ofBare,
      });
  }
  const single = bridgeAt(1);
  if (single !== undefined) {
    const p50 = single.result.latencyMs.p50;
    out.push({
      goal: `p50 ≤ ${GOALS.oneClientP50Ms} ms with one client`,
      measured: `${fixed(p50, 2)} ms`,
      met: p50 !== null && p50 <= GOALS.oneClientP50Ms,
    });
  }
  const rss = report.scenarios
    .filter((s) => s.target === 'bridge' && 'concurrency' in s.load)
    .map((s) => s.server.peakRssMiB)
    .filter((mib): mib is number => mib != null);
  if (rss.length > 0)
    out.push({
      goal: `peak RSS ≤ ${GOALS.rssMiB} MiB`,
      measured: `${whole(Math.max(...rss))} MiB`,
      met: Math.max(...rss) <= GOALS.rssMiB,
    });
  return out;
}

/** The same bridge sent SOAP and REST (JSON) callbacks, load by load: the JSON path beside the SOAP one. */
export function formatRows(report: BenchReport): Record<string, string>[] {
  const of = (target: TargetName, load: string) =>
    report.scenarios.find((s) => s.target === target && loadLabel(s.load) === load)?.result;
  return report.scenarios
    .filter((s) => s.target === 'bridge')
    .flatMap((s) => {
      const load = loadLabel(s.load);
      const rest = of('bridge-rest', load);
      if (rest === undefined) return [];
      return [
        {
          load,
          'SOAP ack/s': whole(s.result.okPerSecond),
          'REST ack/s': whole(rest.okPerSecond),
          'REST ÷ SOAP':
            s.result.okPerSecond === 0 ? 'n/a' : `${fixed(rest.okPerSecond / s.result.okPerSecond, 2)}×`,
          'SOAP p99 ms': fixed(s.result.latencyMs.p99),
          'REST p99 ms': fixed(rest.latencyMs.p99),
          'SOAP body bytes': whole(s.result.meanBodyBytes),
          'REST body bytes': whole(rest.meanBodyBytes),
        },
      ];
    });
}

function markdownTable(records: Record<string, string>[]): string {
  if (records.length === 0) return '';
  const heads = Object.keys(records[0]!);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(heads),
    line(heads.map(() => '---')),
    ...records.map((r) => line(heads.map((h) => r[h]!))),
  ].join('\n');
}

export function ratioRows(report: BenchReport): Record<string, string>[] {
  return ratios(report).map((r) => ({
    target: r.target,
    load: r.load,
    'bridge ack/s': whole(r.bridge),
    '× afternoon bridge': r.afternoon === undefined ? 'n/a' : `${fixed(r.afternoon, 2)}×`,
    '% of bare HTTP': r.bare === undefined ? 'n/a' : `${fixed(r.bare * 100)}%`,
    'bare HTTP CPU / bridge CPU per ack': r.cpuOfBare === undefined ? 'n/a' : `${fixed(r.cpuOfBare * 100)}%`,
    'Kafka CPU per callback':
      r.brokerWorkSaved === undefined ? 'n/a' : `${fixed(r.brokerWorkSaved)}× less than afternoon`,
  }));
}

export function goalRows(report: BenchReport): Record<string, string>[] {
  return goals(report).map((g) => ({
    goal: g.goal,
    measured: g.measured,
    met: g.met ? 'yes' : 'NO',
  }));
}

export function markdown(report: BenchReport, chartFile?: string): string {
  const env = Object.entries(report.environment)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const settings = Object.entries(report.settings)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const batches = report.scenarios
    .filter((s) => s.batches !== undefined)
    .map((s) => `- ${loadLabel(s.load)}: ${s.batches!.batches} batches, ${describe(s.batches!)}`);
  const events =
    report.bridgeEvents === undefined
      ? []
      : [
          `The bridge's ${report.bridgeEvents.records} records read back: ${report.bridgeEvents.distinctEventIds} distinct eventIds.`,
          '',
        ];
  return [
    `# npm run bench: ${report.startedAt}`,
    '',
    `${env}. ${settings}. Took ${Math.round(report.durationSeconds)} s.`,
    '',
    markdownTable(rows(report)),
    '',
    'Latencies are of the 200s answered in the measured window (open loop: from when each request was due). ' +
      'CPU is % of one core over the window; RSS the peak. "Kafka = 200s" compares the records Kafka gained ' +
      'during the scenario (warm-up and draining included) with the 200s the load generator got.',
    '',
    '## The bridge against the references',
    '',
    markdownTable(ratioRows(report)),
    '',
    markdownTable(goalRows(report)),
    '',
    ...(formatRows(report).length === 0
      ? []
      : ['## SOAP and REST (JSON) callbacks, same bridge', '', markdownTable(formatRows(report)), '']),
    '## Batch sizes (records per acknowledged batch, share of batches up to each size)',
    '',
    ...batches,
    '',
    ...events,
    ...(chartFile === undefined ? [] : [`![acknowledged/s and p99 by concurrency](${chartFile})`, '']),
    ...(report.profile === undefined ? [] : profileSection(report.profile)),
  ].join('\n');
}

function profileSection({ file, summary }: NonNullable<BenchReport['profile']>): string[] {
  const table = (head: string, entries: [string, number][]) =>
    markdownTable(
      entries.slice(0, 15).map(([k, p]) => ({ [head]: `\`${k}\``, '% of samples': p.toFixed(1) })),
    );
  return [
    `## Where the bridge's time went (${summary.totalMs} ms sampled, ${file})`,
    '',
    'Profiling slows the bridge: its rows above are not the figures of a normal run.',
    '',
    table('self time by place', summary.selfByPlace),
    '',
    table('self time by function', summary.selfByFunction),
    '',
    table('inclusive time by function', summary.inclusiveByFunction),
    '',
  ];
}

const COLORS: Record<TargetName, string> = {
  bare: '#888888',
  afternoon: '#d9822b',
  bridge: '#2b6cd9',
  'bridge-rest': '#2ba84a',
  'bridge-kafkajs': '#7a3fd1',
  'bridge-platformatic': '#d13f6e',
  'bridge-tracing': '#c9a400',
  'bridge-baseline': '#555555',
};

/** Two panels, acknowledged/s (linear) and p99 ms (log), over the closed-loop concurrency levels. */
export function chart(report: BenchReport): string {
  const closed = report.scenarios.filter((s) => 'concurrency' in s.load);
  const levels = [...new Set(closed.map((s) => (s.load as { concurrency: number }).concurrency))].sort(
    (a, b) => a - b,
  );
  const targets = [...new Set(closed.map((s) => s.target))];
  const W = 460;
  const H = 300;
  const pad = { left: 60, right: 15, top: 30, bottom: 45 };
  const x = (i: number) =>
    pad.left + (levels.length === 1 ? 0 : (i * (W - pad.left - pad.right)) / (levels.length - 1));
  const point = (target: TargetName, level: number) =>
    closed.find((s) => s.target === target && (s.load as { concurrency: number }).concurrency === level)
      ?.result;

  const panel = (offset: number, title: string, value: (r: LoadResult) => number | null, log: boolean) => {
    const values = closed.map((s) => value(s.result)).filter((v): v is number => v !== null && v > 0);
    const top = Math.max(...values, 1);
    const bottom = log ? Math.min(...values, top) : 0;
    const [lo, hi] = log ? [Math.log10(bottom) - 0.1, Math.log10(top) + 0.1] : [0, top * 1.1];
    const y = (v: number) => {
      const t = ((log ? Math.log10(v) : v) - lo) / (hi - lo);
      return H - pad.bottom - t * (H - pad.top - pad.bottom);
    };
    const ticks = log
      ? Array.from({ length: Math.floor(hi) - Math.ceil(lo) + 1 }, (_, i) => 10 ** (Math.ceil(lo) + i))
      : Array.from({ length: 5 }, (_, i) => (hi * i) / 4);
    const out = [
      `<g transform="translate(${offset},0)">`,
      `<text x="${W / 2}" y="18" text-anchor="middle" font-weight="bold">${title}</text>`,
    ];
    for (const t of ticks) {
      out.push(
        `<line x1="${pad.left}" x2="${W - pad.right}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e5e5"/>`,
        `<text x="${pad.left - 6}" y="${y(t) + 4}" text-anchor="end">${Math.round(t)}</text>`,
      );
    }
    levels.forEach((level, i) =>
      out.push(`<text x="${x(i)}" y="${H - pad.bottom + 18}" text-anchor="middle">${level}</text>`),
    );
    out.push(`<text x="${W / 2}" y="${H - 8}" text-anchor="middle">concurrent clients</text>`);
    for (const target of targets) {
      const pts = levels
        .map((level, i) => [i, point(target, level)] as const)
        .filter(([, r]) => r !== undefined && value(r) !== null && value(r)! > 0)
        .map(([i, r]) => `${x(i).toFixed(1)},${y(value(r!)!).toFixed(1)}`);
      out.push(
        `<polyline fill="none" stroke="${COLORS[target]}" stroke-width="2.5" points="${pts.join(' ')}"/>`,
      );
      for (const p of pts) {
        const [px, py] = p.split(',');
        out.push(`<circle cx="${px}" cy="${py}" r="3.5" fill="${COLORS[target]}"/>`);
      }
    }
    out.push('</g>');
    return out.join('\n');
  };

  // Labels laid out left to right, each as wide as its text (about 6.5 px a character at 12 px).
  let at = 20;
  const legend = targets
    .map((t) => {
      const item = `<rect x="${at}" y="${H + 8}" width="14" height="14" fill="${COLORS[t]}"/><text x="${at + 20}" y="${H + 20}">${TARGET_LABELS[t]}</text>`;
      at += 40 + TARGET_LABELS[t].length * 6.5;
      return item;
    })
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W * 2}" height="${H + 30}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    panel(0, 'acknowledged callbacks/s', (r) => r.okPerSecond, false),
    panel(W, 'p99 latency, ms (log scale)', (r) => r.latencyMs.p99, true),
    legend,
    '</svg>',
    '',
  ].join('\n');
}
