/**
 * The bridge's batches while measuring, from its own Prometheus histograms (records per batch, and the time from
 * sendBatch to Kafka's acknowledgement): scraped at both ends of the window, the difference is this window's.
 */
const METRIC = 'thingspace_bridge_produce_batch_records';
const DURATION_SUM = 'thingspace_bridge_produce_duration_seconds_sum';

export interface BatchHistogram {
  /** Cumulative counts by upper bound ("+Inf" last), as Prometheus keeps them. */
  buckets: Record<string, number>;
  batches: number;
  records: number;
  /** Summed over the batches: mean produce time = produceSeconds / batches. */
  produceSeconds: number;
}

export async function scrapeBatches(port: number): Promise<BatchHistogram> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const buckets: Record<string, number> = {};
  let batches = 0;
  let records = 0;
  let produceSeconds = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(DURATION_SUM)) produceSeconds = Number(line.split(' ')[1]);
    if (!line.startsWith(METRIC)) continue;
    const [name, value] = line.split(' ') as [string, string];
    const le = /le="([^"]+)"/.exec(name)?.[1];
    if (le !== undefined) buckets[le] = Number(value);
    else if (name === `${METRIC}_count`) batches = Number(value);
    else if (name === `${METRIC}_sum`) records = Number(value);
  }
  return { buckets, batches, records, produceSeconds };
}

export function difference(after: BatchHistogram, before: BatchHistogram): BatchHistogram {
  const buckets: Record<string, number> = {};
  for (const [le, count] of Object.entries(after.buckets)) buckets[le] = count - (before.buckets[le] ?? 0);
  return {
    buckets,
    batches: after.batches - before.batches,
    records: after.records - before.records,
    produceSeconds: after.produceSeconds - before.produceSeconds,
  };
}

/** "≤1 4%, ≤10 38%, ≤50 100%": the share of batches up to each bound, bounds where the share changes. */
export function describe(histogram: BatchHistogram): string {
  if (histogram.batches === 0) return 'no batches';
  const parts: string[] = [];
  let previous = -1;
  for (const [le, count] of Object.entries(histogram.buckets)) {
    if (count === previous || le === '+Inf') continue;
    previous = count;
    parts.push(`≤${le} ${Math.round((count / histogram.batches) * 100)}%`);
    if (count === histogram.batches) break;
  }
  return parts.join(', ');
}
