/**
 * Property: whatever bytes arrive, parseJsonCallback settles quickly with a ParsedCallback or a ParseError,
 * never anything else, never echoes the password in a message, and leaves no memory behind. Against JSON.parse:
 * what we parse, it parses, and our redacted text is the same JSON with empty credentials; what we call
 * malformed, it refuses too (but for escaped lone surrogates, which it lets through).
 *
 * Reproduce a failure with the seed it prints: FUZZ_SEED=<seed> npx jest test/unit/json/fuzz --selectProjects unit
 * A long run: `npm run fuzz:json` (FUZZ_RUNS=100000 by default), which prints the outcome counts.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseJsonCallback } from '../../../src/json/parser';
import { isCredentialName } from '../../../src/message/credentials';
import { ParseError } from '../../../src/message/errors';
import type { ParsedCallback } from '../../../src/message/types';
import { fuzz, FUZZ_RUNS, FUZZ_SEED, rejections, smallLimits } from '../message/fuzz';
import { JSON_MUTATIONS } from './mutations';
import { CALLBACKS } from './helpers';

const HEAP_GROWTH_BOUND_BYTES = 32 * 1024 * 1024;
// A long run takes about a millisecond a case on a busy machine.
const TIMEOUT_MS = 60_000 + FUZZ_RUNS * 5;

/** Ours, plus the REST fixtures when that folder exists. */
function corpus(): Buffer[] {
  const rest = join(__dirname, '..', '..', 'fixtures', 'rest');
  const theirs = existsSync(rest)
    ? readdirSync(rest, { recursive: true, encoding: 'utf8' })
        .filter((name) => name.endsWith('.json') && !name.endsWith('.expected.json'))
        .map((name) => readFileSync(join(rest, name)))
    : [];
  return [...Object.values(CALLBACKS).map((text) => Buffer.from(text)), ...theirs];
}

/**
 * A JSON value with every member named like a credential emptied, at any depth (src/message/credentials.ts),
 * and every string that is the password (trimmed), whatever its name.
 */
function withoutCredentials(value: unknown, password: string): unknown {
  if (Array.isArray(value)) return value.map((item) => withoutCredentials(item, password));
  if (typeof value === 'string') return password !== '' && value.trim() === password ? '' : value;
  if (value === null || typeof value !== 'object') return value;
  // fromEntries defines own properties: a member named __proto__ stays a member.
  return Object.fromEntries(
    Object.entries(value).map(([key, member]) => [
      key,
      isCredentialName(key) ? '' : withoutCredentials(member, password),
    ]),
  );
}

/** What JSON.parse makes of the text, or undefined when it refuses it. */
function jsonParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

describe('parseJsonCallback under random mutation', () => {
  it(
    `settles with a ParsedCallback or a ParseError (FUZZ_SEED=${FUZZ_SEED}, FUZZ_RUNS=${FUZZ_RUNS})`,
    async () => {
      const messages = corpus();
      const passwords = messages.map(
        (bytes) => (jsonParse(bytes.toString('utf8')) as { password?: string }).password,
      );
      const outcome = await fuzz({
        parse: parseJsonCallback,
        messages,
        mutations: JSON_MUTATIONS,
        limitsFor: smallLimits,
        acceptable: (err, message, bytes) => {
          if (!(err instanceof ParseError)) return false;
          const password = passwords[message];
          if (password && err.message.includes(password)) return false;
          // Only the decoder's own failures may be a cause.
          if (err.cause !== undefined && err.code !== 'INVALID_UTF8') return false;
          return (
            err.code !== 'MALFORMED_JSON' ||
            jsonParse(bytes.toString('utf8')) === undefined ||
            err.message.includes('lone surrogate')
          );
        },
        checkParsed: (parsed, _, bytes) => {
          const { redacted, username, password } = parsed as ParsedCallback;
          const original = jsonParse(bytes.toString('utf8')) as Record<string, unknown> | undefined;
          // The top-level credentials are emptied when they are strings (null stays null); any other member
          // named like a credential, at any depth, whatever it holds.
          const { username: user, password: pass, ...rest } = original ?? {};
          const expected = original && {
            ...(withoutCredentials(rest, typeof pass === 'string' ? pass.trim() : '') as object),
            ...(user !== undefined && { username: typeof user === 'string' ? '' : user }),
            ...(pass !== undefined && { password: typeof pass === 'string' ? '' : pass }),
          };
          if (!expected || !isDeepStrictEqual(jsonParse(redacted), expected)) {
            throw new Error('the redacted text is not the message with empty credentials');
          }
          // Parsed, so each is a string, null or absent.
          const credential = (value: unknown) => (typeof value === 'string' ? value : '');
          if (
            credential(original.username) !== username ||
            credential(original.password) !== password.reveal()
          ) {
            throw new Error('the credentials differ from what JSON.parse reads');
          }
        },
      });
      if (process.env.FUZZ_RUNS !== undefined) {
        process.stdout.write(`JSON fuzz, FUZZ_SEED=${FUZZ_SEED}: ${JSON.stringify(outcome)}\n`);
      }

      expect(outcome.heapGrowthBytes).toBeLessThan(HEAP_GROWTH_BOUND_BYTES);
      // A fuzzer that only ever produces garbage (or never does) tests nothing.
      expect(outcome.parsed).toBeGreaterThan(FUZZ_RUNS / 100);
      expect(rejections(outcome)).toBeGreaterThan(FUZZ_RUNS / 10);
    },
    TIMEOUT_MS,
  );
});
