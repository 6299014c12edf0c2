/** What the spool's unit tests share: a record generator, the segment files of a directory, open and read all. */
import { readdirSync } from 'node:fs';
import type { SpoolRecord } from '../../../../src/kafka/spool/frame';
import { Spool, type SpooledRecord, type SpoolOptions } from '../../../../src/kafka/spool/spool';

export const record = (i: number, valueBytes = 100): SpoolRecord => ({
  topic: 'events',
  key: `mdn:${i % 7}`,
  value: Buffer.alloc(valueBytes, i % 251),
  headers: { h: String(i) },
  eventId: `event-${i}`,
  schemaSubject: 'events-value',
  timestamp: 1_700_000_000_000 + i,
});

export const segmentsIn = (d: string): string[] =>
  readdirSync(d)
    .filter((name) => name.endsWith('.seg'))
    .sort();

/** A spool in `d` (fsync on unless the options say otherwise), with the lines it logs. */
export async function openSpool(d: string, options: Partial<SpoolOptions> = {}) {
  const logs: string[] = [];
  const spool = await Spool.open({
    dir: d,
    maxBytes: 10_000_000,
    fsync: true,
    log: (_level, fields, message) => logs.push(`${message} ${JSON.stringify(fields)}`),
    ...options,
  });
  return { spool, logs };
}

/** Reads from the cursor to the durable tail, without acknowledging. */
export async function readAll(spool: Spool): Promise<SpooledRecord[]> {
  const out: SpooledRecord[] = [];
  for (;;) {
    const batch = await spool.read(10, 1_000_000);
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}
