/**
 * Property: whatever bytes arrive, parseCallback settles quickly with a ParsedCallback or a ParseError, never
 * anything else, never echoes the password in a message, and leaves no memory behind.
 *
 * Reproduce a failure with the seed it prints: FUZZ_SEED=<seed> npx jest test/unit/soap/fuzz --selectProjects unit
 * (FUZZ_ITERATIONS=<n> runs more cases.)
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { parseCallback } from '../../../src/soap/parser';
import type { ParserLimits } from '../../../src/message/limits';
import { ParseError } from '../../../src/message/errors';
import { soapFixtures, stream } from './helpers';

const SEED = Number(process.env.FUZZ_SEED ?? randomInt(2 ** 31));
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 5_000);
const PARSE_TIMEOUT_MS = 2_000;
// Generous: a few hundred KB is what 5,000 discarded parses may legitimately leave in V8's caches.
const HEAP_GROWTH_BOUND_BYTES = 32 * 1024 * 1024;

/** mulberry32: small, fast, and the same sequence on every machine for a seed. */
function prng(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
  };
}

/** Ours, plus the other suite's good callbacks when that folder exists. */
function corpus(): Buffer[] {
  const callbacks = join(__dirname, '..', '..', 'fixtures', 'callbacks');
  const theirs = existsSync(callbacks)
    ? readdirSync(callbacks, { recursive: true, encoding: 'utf8' })
        .filter((name) => name.endsWith('.xml'))
        .map((name) => readFileSync(join(callbacks, name)))
    : [];
  return [...soapFixtures().values(), ...theirs];
}

const INSERTS = [
  '<',
  '&',
  ']]>',
  '</',
  '/>',
  '<!--',
  '<![CDATA[',
  '&#0;',
  '&#x110000;',
  '&lol;',
  '<!DOCTYPE x>',
  '"',
  '\0',
  '\uFFFF',
].map((text) => Buffer.from(text));

type Mutation = (bytes: Buffer, random: (below: number) => number) => [string, Buffer];

const MUTATIONS: Mutation[] = [
  (bytes, random) => {
    const at = random(bytes.length);
    const flipped = Buffer.from(bytes);
    flipped[at] = (flipped[at] ?? 0) ^ (1 + random(255));
    return [`flip byte ${at}`, flipped];
  },
  (bytes, random) => {
    const at = random(bytes.length);
    return [`truncate at ${at}`, bytes.subarray(0, at)];
  },
  (bytes, random) => {
    const at = random(bytes.length + 1);
    const insert = INSERTS[random(INSERTS.length)] as Buffer;
    return [
      `insert ${JSON.stringify(insert.toString())} at ${at}`,
      Buffer.concat([bytes.subarray(0, at), insert, bytes.subarray(at)]),
    ];
  },
  (bytes, random) => {
    const from = random(bytes.length);
    const to = from + random(Math.min(64, bytes.length - from) + 1);
    return [`delete ${from}-${to}`, Buffer.concat([bytes.subarray(0, from), bytes.subarray(to)])];
  },
  (bytes, random) => {
    // Duplicate one tag (open, close or self-closing) somewhere: unbalanced or repeated elements.
    const tags: [number, number][] = [];
    for (let at = bytes.indexOf(0x3c); at !== -1; at = bytes.indexOf(0x3c, at + 1)) {
      const end = bytes.indexOf(0x3e, at);
      if (end !== -1) tags.push([at, end + 1]);
    }
    const [from, to] = tags[random(tags.length)] ?? [0, 0];
    const at = random(2) === 0 ? to : random(bytes.length + 1);
    return [
      `duplicate tag ${from}-${to} at ${at}`,
      Buffer.concat([bytes.subarray(0, at), bytes.subarray(from, to), bytes.subarray(at)]),
    ];
  },
];

/** Small limits now and then, so the limit checks run at every place a mutation can put them. */
function limitsFor(random: (below: number) => number): Partial<ParserLimits> | undefined {
  if (random(5) !== 0) return undefined;
  return {
    maxBodyBytes: 200 + random(3000),
    maxDepth: 1 + random(10),
    maxElements: 1 + random(60),
    maxTextBytes: 1 + random(100),
    maxAttributes: random(4),
  };
}

/** The bytes as one buffer, a string, or a stream of random pieces. */
function bodyFor(
  bytes: Buffer,
  random: (below: number) => number,
): [string, AsyncIterable<Uint8Array> | Uint8Array | string] {
  switch (random(4)) {
    case 0:
      return ['bytes', bytes];
    case 1:
      return ['string', bytes.toString('utf8')];
    default: {
      const parts: Uint8Array[] = [];
      for (let at = 0; at < bytes.length;) {
        const size = 1 + random(random(2) === 0 ? 8 : 512);
        parts.push(bytes.subarray(at, at + size));
        at += size;
      }
      return [`stream of ${parts.length}`, stream(parts)];
    }
  }
}

async function settle(parse: Promise<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PARSE_TIMEOUT_MS} ms`)), PARSE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([parse.then(() => 'parsed'), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A way to force a full collection, so heapUsed compares live objects only. */
function gc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('parseCallback under random mutation', () => {
  it(`settles with a ParsedCallback or a ParseError (FUZZ_SEED=${SEED})`, async () => {
    const random = prng(SEED);
    const messages = corpus();
    const passwords = messages.map(
      (bytes) => /<(?:\w+:)?Password>([^<]+)</.exec(bytes.toString('utf8'))?.[1],
    );
    const collect = gc();
    const outcomes = { parsed: 0, rejected: 0 };
    collect();
    const heapBefore = process.memoryUsage().heapUsed;

    for (let i = 0; i < ITERATIONS; i++) {
      const pick = random(messages.length);
      let bytes = messages[pick] as Buffer;
      const steps: string[] = [];
      // Zero mutations too: a valid message, cut at random places, under random limits.
      for (let n = random(3); n > 0; n--) {
        const [step, mutated] = (MUTATIONS[random(MUTATIONS.length)] as Mutation)(bytes, random);
        steps.push(step);
        bytes = mutated;
      }
      const limits = limitsFor(random);
      const [shape, body] = bodyFor(bytes, random);
      const started = performance.now();
      try {
        const outcome = await settle(parseCallback(body, limits));
        if (outcome === 'parsed') outcomes.parsed++;
        expect(performance.now() - started).toBeLessThan(PARSE_TIMEOUT_MS);
      } catch (err) {
        const password = passwords[pick];
        const ok =
          err instanceof ParseError &&
          // Only saxes' own well-formedness errors (plain Errors) may turn into MALFORMED_XML: a TypeError there
          // would be a bug of ours hiding behind a 400.
          (err.code !== 'MALFORMED_XML' ||
            err.cause === undefined ||
            (err.cause as object).constructor === Error) &&
          (password === undefined || !err.message.includes(password));
        if (!ok) {
          const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
          throw new Error(
            `fuzz case ${i} (FUZZ_SEED=${SEED}): message ${pick}, ${steps.join(', ')}, ${shape}, limits ${JSON.stringify(limits)}: ${detail}`,
            { cause: err },
          );
        }
        outcomes.rejected++;
      }
    }

    collect();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    expect(growth).toBeLessThan(HEAP_GROWTH_BOUND_BYTES);
    // A fuzzer that only ever produces garbage (or never does) tests nothing.
    expect(outcomes.parsed).toBeGreaterThan(ITERATIONS / 100);
    expect(outcomes.rejected).toBeGreaterThan(ITERATIONS / 10);
  });
});
