/**
 * Where a V8 CPU profile (.cpuprofile, from `node --cpu-prof`) says the time went: self time by package or
 * source file, and the functions with the most self and inclusive time. `npm run bench` with BENCH_CPU_PROF=1
 * writes the bridge's profile and puts this summary in the report; it also runs alone:
 *
 *   tsx bench/profile-summary.ts <file.cpuprofile>
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  /** Share of samples, in %, by where the code lives. */
  selfByPlace: [place: string, percent: number][];
  selfByFunction: [fn: string, percent: number][];
  inclusiveByFunction: [fn: string, percent: number][];
}

/** `node_modules/<pkg>` as the package, our files relative to src/ or dist/, node internals as they are. */
function place(url: string): string {
  if (url === '') return '(V8: idle, GC, native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /\/(?:src|dist)\/(.*)$/.exec(url);
  return ours ? ours[1]! : url;
}

export function summarize(profile: CpuProfile, top = 20): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const self = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const label = (n: ProfileNode) =>
    `${n.callFrame.functionName || '(anonymous)'} ${place(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const add = (map: Map<string, number>, key: string, t: number) => map.set(key, (map.get(key) ?? 0) + t);
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    add(byPlace, place(n.callFrame.url), t);
    add(byFunction, label(n), t);
    // Each function once per stack, however deep it recurses.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = label(byId.get(at)!);
      if (!seen.has(key)) add(inclusive, key, t);
      seen.add(key);
    }
  }
  const ranked = (map: Map<string, number>): [string, number][] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, t]) => [k, Number(((100 * t) / total).toFixed(1))]);
  return {
    totalMs: Math.round(total / 1000),
    selfByPlace: ranked(byPlace),
    selfByFunction: ranked(byFunction),
    inclusiveByFunction: ranked(inclusive).filter(([k]) => !k.startsWith('(root)')),
  };
}

export function summarizeFile(file: string, top?: number): ProfileSummary {
  return summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top);
}

if (require.main === module) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: tsx bench/profile-summary.ts <file.cpuprofile>\n');
    process.exit(2);
  }
  const summary = summarizeFile(file, 25);
  process.stdout.write(`${summary.totalMs} ms sampled\n`);
  for (const [title, rows] of [
    ['self time by place', summary.selfByPlace],
    ['self time by function', summary.selfByFunction],
    ['inclusive time by function', summary.inclusiveByFunction],
  ] as const) {
    process.stdout.write(`\n${title}\n`);
    for (const [k, p] of rows) process.stdout.write(`${p.toFixed(1).padStart(6)}%  ${k}\n`);
  }
}
