/**
 * Property: whatever bytes arrive, parseCallback settles quickly with a ParsedCallback or a ParseError, never
 * anything else, never echoes the password in a message, and leaves no memory behind.
 *
 * Reproduce a failure with the seed it prints: FUZZ_SEED=<seed> npx jest test/unit/soap/fuzz --selectProjects unit
 * (FUZZ_RUNS=<n> runs more cases; test/unit/message/fuzz.ts is the fuzzer.)
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseCallback } from '../../../src/soap/parser';
import { ParseError } from '../../../src/message/errors';
import { fuzz, FUZZ_RUNS, FUZZ_SEED, rejections, smallLimits, type Random } from '../message/fuzz';
import { soapFixtures } from './helpers';
import { SOAP_MUTATIONS } from './mutations';

// Generous: a few hundred KB is what 5,000 discarded parses may legitimately leave in V8's caches.
const HEAP_GROWTH_BOUND_BYTES = 32 * 1024 * 1024;

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

/** The limits every parser has, and the one only XML has. */
function limitsFor(random: Random) {
  const limits = smallLimits(random);
  return limits && { ...limits, maxAttributes: random(4) };
}

describe('parseCallback under random mutation', () => {
  it(`settles with a ParsedCallback or a ParseError (FUZZ_SEED=${FUZZ_SEED})`, async () => {
    const messages = corpus();
    const passwords = messages.map(
      (bytes) => /<(?:\w+:)?Password>([^<]+)</.exec(bytes.toString('utf8'))?.[1],
    );
    const outcome = await fuzz({
      parse: parseCallback,
      messages,
      mutations: SOAP_MUTATIONS,
      limitsFor,
      acceptable: (err, message) => {
        const password = passwords[message];
        return (
          err instanceof ParseError &&
          // Only saxes' own well-formedness errors (plain Errors) may turn into MALFORMED_XML: a TypeError there
          // would be a bug of ours hiding behind a 400.
          (err.code !== 'MALFORMED_XML' ||
            err.cause === undefined ||
            (err.cause as object).constructor === Error) &&
          (password === undefined || !err.message.includes(password))
        );
      },
    });

    expect(outcome.heapGrowthBytes).toBeLessThan(HEAP_GROWTH_BOUND_BYTES);
    // A fuzzer that only ever produces garbage (or never does) tests nothing.
    expect(outcome.parsed).toBeGreaterThan(FUZZ_RUNS / 100);
    expect(rejections(outcome)).toBeGreaterThan(FUZZ_RUNS / 10);
  });
});
