/**
 * Publisher throughput and latency against a real broker: N concurrent publish() calls (the shape of many HTTP
 * requests arriving together) and one caller publishing sequentially (the latency floor: linger + one round trip).
 * Run with `bash scripts/run tsx bench/publish.ts` after `npm run stack:up` (or with KAFKA_BROKERS set); numbers
 * depend on the machine and the broker, so they are printed, never asserted. BENCH_VALUE_BYTES sets the value
 * size (default 1024, about a typical event).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKafkaClient } from '../src/kafka/clients';
import { createProducer } from '../src/kafka/producer';
import { Publisher } from '../src/kafka/publisher';
import { ensureTopics } from '../src/kafka/topics';
import { clientConfig, stderrLogger } from '../test/support/clients';

const VALUE_BYTES = Number(process.env.BENCH_VALUE_BYTES ?? 1024);
const PARTITIONS = 3;

function brokers(): string[] {
  const fromEnv = process.env.KAFKA_BROKERS;
  if (fromEnv) return fromEnv.split(',');
  const stackEnv = readFileSync(join(__dirname, '..', '.stack', 'env'), 'utf8');
  const line = stackEnv.split('\n').find((l) => l.startsWith('KAFKA_BROKERS='));
  if (!line) throw new Error('No KAFKA_BROKERS: set it, or run `npm run stack:up` first');
  return line.slice('KAFKA_BROKERS='.length).split(',');
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const ms = (n: number) => Number(n.toFixed(1));

async function main(): Promise<void> {
  // The bridge's Kafka settings and producer limits: the config schema's defaults, with these brokers.
  const config = clientConfig({ brokers: brokers() });
  const kafka = createKafkaClient(config.kafka, { logger: stderrLogger(), clientId: 'bench-publish' });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench-publish-${Date.now()}`;
  await ensureTopics(admin, [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], { create: true });

  const batches: { records: number; durationMs: number }[] = [];
  const publisher = new Publisher(createProducer(kafka), {
    ...config.kafka.producer,
    onBatch: (records, _bytes, durationMs) => batches.push({ records, durationMs }),
  });
  await publisher.start();
  const value = Buffer.alloc(VALUE_BYTES, 'x');
  const record = (i: number) => ({
    topic,
    key: `mdn:555${String(i % 1000).padStart(7, '0')}`,
    value,
    eventId: `bench-${i}`,
  });

  try {
    await Promise.all(Array.from({ length: 200 }, (_, i) => publisher.deliver(record(i)))); // warm-up

    const rows = [];
    for (const n of [1_000, 10_000]) {
      batches.length = 0;
      const started = performance.now();
      await Promise.all(Array.from({ length: n }, (_, i) => publisher.deliver(record(i))));
      const elapsed = performance.now() - started;
      const sizes = batches.map((b) => b.records).sort((a, b) => a - b);
      const durations = batches.map((b) => b.durationMs).sort((a, b) => a - b);
      rows.push({
        'concurrent publishes': n,
        'total ms': ms(elapsed),
        'records/s': Math.round((n / elapsed) * 1000),
        batches: batches.length,
        'batch records min/median/max': `${sizes[0]}/${percentile(sizes, 0.5)}/${sizes.at(-1)}`,
        'sendBatch ms median': ms(percentile(durations, 0.5)),
      });
    }

    const latencies: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      await publisher.deliver(record(i));
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);

    process.stdout.write(
      `node ${process.version}, ${process.platform}/${process.arch}, ${VALUE_BYTES}-byte values, ` +
        `${PARTITIONS} partitions, the config's producer defaults\n`,
    );
    console.table(rows);
    console.table([
      {
        'sequential publishes': latencies.length,
        'p50 ms': ms(percentile(latencies, 0.5)),
        'p99 ms': ms(percentile(latencies, 0.99)),
        'max ms': ms(latencies.at(-1)!),
      },
    ]);
  } finally {
    await publisher.close();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  }
}

void main();
