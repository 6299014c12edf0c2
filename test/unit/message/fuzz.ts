/**
 * The mutation fuzzer behind every callback parser's fuzz test (test/unit/soap/fuzz.test.ts,
 * test/unit/json/fuzz.test.ts): it takes good messages, mutates them with a seeded PRNG, feeds them as bytes, a
 * string or a stream of random pieces, under default or small random limits, and requires each parse to settle
 * in time with a ParsedCallback or an acceptable rejection.
 *
 * FUZZ_SEED=<seed> replays a run (the tests print their seed), FUZZ_RUNS=<n> sets how many cases it has.
 */
import { randomInt } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import type { CallbackBody } from '../../../src/message/body';
import type { ParserLimits } from '../../../src/message/limits';
import { stream } from './helpers';

export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? randomInt(2 ** 31));
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 5_000);
const PARSE_TIMEOUT_MS = 2_000;

/** Small random limits one case in five (the limits every parser has), else the defaults. */
export function smallLimits(random: Random): Partial<ParserLimits> | undefined {
  if (random(5) !== 0) return undefined;
  return {
    maxBodyBytes: 200 + random(3000),
    maxDepth: 1 + random(10),
    maxElements: 1 + random(60),
    maxTextBytes: 1 + random(100),
  };
}

/** A number in [0, below). */
export type Random = (below: number) => number;

/** One change to a message: what it did (for the failure report) and the result. */
export type Mutation = (bytes: Buffer, random: Random) => [string, Buffer];

/** mulberry32: small, fast, and the same sequence on every machine for a seed. */
export function prng(seed: number): Random {
  let state = seed >>> 0;
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
  };
}

export const flipByte: Mutation = (bytes, random) => {
  const at = random(bytes.length);
  const flipped = Buffer.from(bytes);
  flipped[at] = (flipped[at] ?? 0) ^ (1 + random(255));
  return [`flip byte ${at}`, flipped];
};

export const truncate: Mutation = (bytes, random) => {
  const at = random(bytes.length);
  return [`truncate at ${at}`, bytes.subarray(0, at)];
};

export const deleteSpan: Mutation = (bytes, random) => {
  const from = random(bytes.length);
  const to = from + random(Math.min(64, bytes.length - from) + 1);
  return [`delete ${from}-${to}`, Buffer.concat([bytes.subarray(0, from), bytes.subarray(to)])];
};

/** Inserts one of `texts` at a random place. */
export function insertOneOf(texts: readonly string[]): Mutation {
  const inserts = texts.map((text) => Buffer.from(text));
  return (bytes, random) => {
    const at = random(bytes.length + 1);
    const insert = inserts[random(inserts.length)] as Buffer;
    return [
      `insert ${JSON.stringify(insert.toString())} at ${at}`,
      Buffer.concat([bytes.subarray(0, at), insert, bytes.subarray(at)]),
    ];
  };
}

/** Copies one of the spans `find` gives either right after itself or to a random place. */
export function duplicateSpan(what: string, find: (bytes: Buffer) => [number, number][]): Mutation {
  return (bytes, random) => {
    const spans = find(bytes);
    const [from, to] = spans[random(spans.length)] ?? [0, 0];
    const at = random(2) === 0 ? to : random(bytes.length + 1);
    return [
      `duplicate ${what} ${from}-${to} at ${at}`,
      Buffer.concat([bytes.subarray(0, at), bytes.subarray(from, to), bytes.subarray(at)]),
    ];
  };
}

/** The bytes as one buffer, a string, or a stream of random pieces. */
function bodyFor(bytes: Buffer, random: Random): [string, CallbackBody] {
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

async function settle<T>(parse: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PARSE_TIMEOUT_MS} ms`)), PARSE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([parse, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A way to force a full collection, so heapUsed compares live objects only. */
function gc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export interface FuzzTarget {
  /** `message` is the index in `messages` of the message this body is a mutant of. */
  parse(body: CallbackBody, limits: Partial<ParserLimits> | undefined, message: number): Promise<unknown>;
  messages: readonly Buffer[];
  mutations: readonly Mutation[];
  /** Small limits now and then, so the limit checks run at every place a mutation can put them. */
  limitsFor(random: Random): Partial<ParserLimits> | undefined;
  /** Whether a rejection of `bytes`, a mutant of `messages[message]`, is a refusal and not a bug. */
  acceptable(error: unknown, message: number, bytes: Buffer): boolean;
  /** Checks what a parse of `bytes` gave; throws when it is wrong. */
  checkParsed?(parsed: unknown, message: number, bytes: Buffer): void;
}

export interface FuzzOutcome {
  runs: number;
  parsed: number;
  /** Rejections by error code. */
  rejected: Record<string, number>;
  /** Live heap after the run minus before it, after full collections. */
  heapGrowthBytes: number;
}

/** Runs the cases; throws on the first that hangs or is rejected unacceptably, naming how to replay it. */
export async function fuzz(target: FuzzTarget, runs = FUZZ_RUNS, seed = FUZZ_SEED): Promise<FuzzOutcome> {
  const random = prng(seed);
  const { messages, mutations } = target;
  const outcome: FuzzOutcome = { runs, parsed: 0, rejected: {}, heapGrowthBytes: 0 };
  const collect = gc();
  collect();
  const heapBefore = process.memoryUsage().heapUsed;

  for (let i = 0; i < runs; i++) {
    const pick = random(messages.length);
    let bytes = messages[pick] as Buffer;
    const steps: string[] = [];
    // Zero mutations too: a valid message, cut at random places, under random limits.
    for (let n = random(3); n > 0; n--) {
      const [step, mutated] = (mutations[random(mutations.length)] as Mutation)(bytes, random);
      steps.push(step);
      bytes = mutated;
    }
    const limits = target.limitsFor(random);
    const [shape, body] = bodyFor(bytes, random);
    const started = performance.now();
    try {
      const parsed = await settle(target.parse(body, limits, pick));
      target.checkParsed?.(parsed, pick, bytes);
      outcome.parsed++;
    } catch (err) {
      if (!target.acceptable(err, pick, bytes)) {
        const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        throw new Error(
          `fuzz case ${i} (FUZZ_SEED=${seed}): message ${pick}, ${steps.join(', ') || 'unchanged'}, ${shape}, ` +
            `limits ${JSON.stringify(limits)}: ${detail}`,
          { cause: err },
        );
      }
      const code = (err as { code?: unknown }).code;
      const key = typeof code === 'string' ? code : 'unknown';
      outcome.rejected[key] = (outcome.rejected[key] ?? 0) + 1;
    }
    // The timer above cannot interrupt a parse that never yields; a slow one that ends is caught here.
    const elapsed = performance.now() - started;
    if (elapsed > PARSE_TIMEOUT_MS) {
      throw new Error(`fuzz case ${i} (FUZZ_SEED=${seed}): ${Math.round(elapsed)} ms, ${steps.join(', ')}`);
    }
  }

  collect();
  outcome.heapGrowthBytes = process.memoryUsage().heapUsed - heapBefore;
  return outcome;
}

/** All rejections together. */
export function rejections(outcome: FuzzOutcome): number {
  return Object.values(outcome.rejected).reduce((sum, n) => sum + n, 0);
}
