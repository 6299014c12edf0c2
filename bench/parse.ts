/**
 * Parser throughput: parses/s and MB/s of the SOAP parser (parseCallback) for a typical callback and a device
 * SMS, and of the JSON parser (parseJsonCallback) for a typical ~2 KB REST callback (rest-callback.json, invented
 * values), fed the way the HTTP layer can feed them. Run with `npm run bench:parse`; numbers depend on the machine, so they are printed, never
 * asserted (BENCH_SECONDS=<s> per round, default 1, best of 5 rounds).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJsonCallback } from '../src/json/parser';
import type { CallbackBody } from '../src/message/body';
import { parseCallback } from '../src/soap/parser';

const SOAP_FIXTURES = join(__dirname, '..', 'test', 'fixtures', 'soap');
const ROUND_MS = Number(process.env.BENCH_SECONDS ?? 1) * 1000;
const ROUNDS = 5;

type Body = CallbackBody;
type Parse = (body: Body) => Promise<unknown>;

interface Case {
  message: string;
  input: string;
  bytes: number;
  parse: Parse;
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
  const messages: [string, string, Parse][] = [
    [
      'SOAP CallbackRequest (ExternalProvisioningChange)',
      join(SOAP_FIXTURES, 'callback-external-provisioning.xml'),
      parseCallback,
    ],
    ['SOAP SmsCallbackRequest', join(SOAP_FIXTURES, 'sms-callback.xml'), parseCallback],
    ['JSON callback (activateResponse)', join(__dirname, 'rest-callback.json'), parseJsonCallback],
  ];
  return messages.flatMap(([message, file, parse]) => {
    const bytes = readFileSync(file);
    const inputs: [string, () => Body][] = [
      ['Buffer', () => bytes],
      ['stream, 1 chunk', chunked(bytes, bytes.length)],
      ['stream, 256 B chunks', chunked(bytes, 256)],
    ];
    return inputs.map(([input, body]) => ({ message, input, bytes: bytes.length, parse, body }));
  });
}

async function round({ parse, body }: Case): Promise<number> {
  let parses = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < ROUND_MS) {
    // Batches keep the clock out of the measurement.
    for (let i = 0; i < 200; i++) await parse(body());
    parses += 200;
    elapsed = performance.now() - started;
  }
  return (parses / elapsed) * 1000;
}

async function main(): Promise<void> {
  const rows = [];
  for (const c of cases()) {
    await round(c); // warm-up: let the JIT settle
    let best = 0;
    for (let r = 0; r < ROUNDS; r++) best = Math.max(best, await round(c));
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
