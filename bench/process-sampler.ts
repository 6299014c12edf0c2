/**
 * CPU and memory of other processes, from /proc (Linux): CPU as % of one core between two readings, RSS as the
 * peak of samples taken every 250 ms while a window is open. Elsewhere the figures are null, never made up.
 */
import { readFileSync } from 'node:fs';
import type { InfraSource } from '../test/infra/environment';
import { stackStatus } from '../test/infra/stack/stack';

/** utime + stime in seconds; USER_HZ is 100 on every Linux the bench runs on. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

function rssMiB(pid: number): number | undefined {
  try {
    const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) / 1024;
  } catch {
    return undefined;
  }
}

export interface ProcessUsage {
  cpuPercent: number | null;
  peakRssMiB: number | null;
}

/** A measuring window over one process: `open()` when measuring starts, `close()` when it ends. */
export class ProcessWindow {
  private cpuAtOpen: number | undefined;
  private openedAt = 0;
  private peak: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pid: number | undefined) {}

  open(): void {
    if (this.pid === undefined) return;
    this.cpuAtOpen = cpuSeconds(this.pid);
    this.openedAt = performance.now();
    this.sample();
    this.timer = setInterval(() => this.sample(), 250);
  }

  close(): ProcessUsage {
    clearInterval(this.timer);
    if (this.pid === undefined || this.cpuAtOpen === undefined) return { cpuPercent: null, peakRssMiB: null };
    this.sample();
    const cpu = cpuSeconds(this.pid);
    const seconds = (performance.now() - this.openedAt) / 1000;
    return {
      cpuPercent: cpu === undefined ? null : ((cpu - this.cpuAtOpen) / seconds) * 100,
      peakRssMiB: this.peak ?? null,
    };
  }

  private sample(): void {
    const rss = rssMiB(this.pid!);
    if (rss !== undefined) this.peak = Math.max(this.peak ?? 0, rss);
  }
}

/** The local stack's Kafka process, whose CPU a bench samples; undefined when Kafka runs elsewhere. */
export function localKafkaPid(source: InfraSource): number | undefined {
  if (source !== 'local-stack') return undefined;
  return stackStatus().servers.find((s) => s.name === 'kafka' && s.running)?.pid;
}
