/**
 * Parser throughput: parses/s and MB/s of parseCallback for a typical callback and a device SMS, fed the way the
 * HTTP layer can feed it. Run with `npm run bench:parse`; numbers depend on the machine, so they are printed, never
 * asserted (BENCH_SECONDS=<s> per round, default 1, best of 5 rounds).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCallback } from '../src/soap/parser';

const FIXTURES = join(__dirname, '..', 'test', 'fixtures', 'soap');
const ROUND_MS = Number(process.env.BENCH_SECONDS ?? 1) * 1000;
const ROUNDS = 5;

type Body = Parameters<typeof parseCallback>[0];

interface Case {
  message: string;
  input: string;
  bytes: number;
  body: () => Body;
}

/** The bytes as an HTTP request stream delivers them: chunks of `size`, one microtask apart. */
function chunked(bytes: Buffer, size: number): () => AsyncIterable<Uint8Array> {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) parts.push(bytes.subarray(at, at + size));
  return () => ({
    async *[Symbol.asyncIterator]() {
      for (const part of parts) yield await Promise.resolve(part);
    },
  });
}

function cases(): Case[] {
  const messages = [
    ['CallbackRequest (ExternalProvisioningChange)', 'callback-external-provisioning.xml'],
    ['SmsCallbackRequest', 'sms-callback.xml'],
  ];
  return messages.flatMap(([message, file]) => {
    const bytes = readFileSync(join(FIXTURES, file as string));
    const inputs: [string, () => Body][] = [
      ['Buffer', () => bytes],
      ['stream, 1 chunk', chunked(bytes, bytes.length)],
      ['stream, 256 B chunks', chunked(bytes, 256)],
    ];
    return inputs.map(([input, body]) => ({ message: message as string, input, bytes: bytes.length, body }));
  });
}

async function round(body: () => Body): Promise<number> {
  let parses = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < ROUND_MS) {
    // Batches keep the clock out of the measurement.
    for (let i = 0; i < 200; i++) await parseCallback(body());
    parses += 200;
    elapsed = performance.now() - started;
  }
  return (parses / elapsed) * 1000;
}

async function main(): Promise<void> {
  const rows = [];
  for (const c of cases()) {
    await round(c.body); // warm-up: let the JIT settle
    let best = 0;
    for (let r = 0; r < ROUNDS; r++) best = Math.max(best, await round(c.body));
    rows.push({
      message: c.message,
      input: c.input,
      bytes: c.bytes,
      'parses/s': Math.round(best),
      'MB/s': Number(((best * c.bytes) / 1e6).toFixed(1)),
      'µs/parse': Number((1e6 / best).toFixed(1)),
    });
  }
  process.stdout.write(
    `node ${process.version}, ${process.platform}/${process.arch}, best of ${ROUNDS} rounds\n`,
  );
  console.table(rows);
}

void main();
