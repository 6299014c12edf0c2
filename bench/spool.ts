/**
 * The spool's append throughput with fsync on this machine: records/s and MB/s for ~2 KB records, with group
 * commit, at 1 and 50 concurrent appenders (the shape of 1 and 50 callbacks waiting for their 200). Run with
 * `npm run bench:spool`; BENCH_SPOOL_DIR picks the disk (default: the OS temp dir), BENCH_SECONDS the duration
 * per run (default 3). Numbers are printed, never asserted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from '../src/kafka/spool/spool';

const RECORD_BYTES = 2048;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

async function run(concurrency: number, fsync: boolean): Promise<void> {
  const dir = mkdtempSync(join(process.env.BENCH_SPOOL_DIR ?? tmpdir(), 'spool-bench-'));
  const spool = await Spool.open({ dir, maxBytes: 8 * 1024 ** 3, fsync });
  const value = Buffer.alloc(RECORD_BYTES, 7);
  let records = 0;
  const latencies: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  const appender = async (id: number) => {
    for (let i = 0; performance.now() < end; i++) {
      const started = performance.now();
      await spool.append({ topic: 'bench', key: `mdn:${id}`, value, eventId: `e-${id}-${i}` });
      latencies.push(performance.now() - started);
      records++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, id) => appender(id)));
  const seconds = (performance.now() - started) / 1000;
  const { bytes } = spool.stats();
  await spool.close();
  rmSync(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  const p = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(2);
  process.stdout.write(
    `fsync=${fsync} concurrency=${String(concurrency).padStart(2)}: ${Math.round(records / seconds)} records/s, ` +
      `${(bytes / seconds / 1e6).toFixed(1)} MB/s, append latency p50 ${p(0.5)} ms p99 ${p(0.99)} ms\n`,
  );
}

async function main(): Promise<void> {
  process.stdout.write(`spool append, ${RECORD_BYTES}-byte values, ${SECONDS} s per run\n`);
  for (const concurrency of [1, 50]) await run(concurrency, true);
  // For comparison: what the fsync costs.
  await run(50, false);
}

void main();
