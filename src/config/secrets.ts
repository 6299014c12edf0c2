import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { Secret } from '../util/secret';
import { isRecord } from './checks';

export type Env = Readonly<Record<string, string | undefined>>;

/** What resolving the config needs from outside the file: the environment and where relative paths start. */
export interface LoadContext {
  env: Env;
  /** Relative `*File` paths are resolved against it: the config file's directory. */
  baseDir: string;
}

/**
 * ThingSpace's REST API caps usernames and passwords at 40 characters; the SOAP limit is not published
 * (THINGSPACE.md §4), so accept up to this and let registration be the judge.
 */
export const MAX_CREDENTIAL_CHARS = 256;

/**
 * A path token's rule: at least 22 characters of the base64url alphabet, 128 bits or more when it was drawn at
 * random (`openssl rand -base64 16 | tr '+/' '-_' | tr -d =` gives 22). It travels in a URL, so nothing else.
 */
const PATH_TOKEN_MIN_CHARS = 22;
const PATH_TOKEN_MAX_CHARS = 128;
const PATH_TOKEN = new RegExp(`^[A-Za-z0-9_-]{${PATH_TOKEN_MIN_CHARS},${PATH_TOKEN_MAX_CHARS}}$`);
const PATH_TOKEN_RULE = `${PATH_TOKEN_MIN_CHARS}-${PATH_TOKEN_MAX_CHARS} characters of A-Z a-z 0-9 - _ (128 bits or more)`;

/** One kind of secret: how it is written inline, and what is wrong with a value wherever it came from. */
interface SecretKind {
  /** The inline value's schema; its issues never quote the value. */
  inline: z.ZodString;
  /** What the reference calls it. */
  noun: string;
  /** What it is for, in the reference, before the inline key's own description. */
  about?: string;
  /** The problem with a value read from `origin` (a file, a variable), or undefined. */
  problem(value: string, origin: string): string | undefined;
}

/** A credential of up to MAX_CREDENTIAL_CHARS characters, never empty. */
function credential(noun: string, about?: string): SecretKind {
  return {
    inline: z.string().min(1).max(MAX_CREDENTIAL_CHARS),
    noun,
    ...(about === undefined ? {} : { about }),
    problem: (value, origin) =>
      value.length === 0
        ? `${origin} is empty`
        : value.length > MAX_CREDENTIAL_CHARS
          ? `${origin} holds more than ${MAX_CREDENTIAL_CHARS} characters`
          : undefined,
  };
}

const SECRET_KINDS = {
  password: credential('the password'),
  appKey: credential(
    'the app key',
    "The ThingSpace app's key (OAuth2 client id) for the REST API's client-credentials token.",
  ),
  appSecret: credential(
    'the app secret',
    "The ThingSpace app's secret (OAuth2 client secret) for the REST API's client-credentials token.",
  ),
  passphrase: credential(
    'the passphrase',
    "The passphrase of http.tls.keyFile's encrypted private key; none for an unencrypted key.",
  ),
  pathToken: {
    inline: z.string().regex(PATH_TOKEN, `expected ${PATH_TOKEN_RULE}`),
    noun: 'the path token',
    about: `A secret URL path segment: callbacks posted to /callbacks/<pathToken>/<Service> are this account's (README, REST accounts). ${PATH_TOKEN_RULE}; unique across accounts.`,
    problem: (value, origin) =>
      PATH_TOKEN.test(value) ? undefined : `${origin} does not hold ${PATH_TOKEN_RULE}`,
  },
} as const satisfies Record<string, SecretKind>;

export type SecretKey = keyof typeof SECRET_KINDS;

/** A secret is given one of three ways: inline, `<key>File` or `<key>Env`. */
type SourceKey<K extends SecretKey> = K | `${K}File` | `${K}Env`;

function sourcesOf<K extends SecretKey>(key: K): readonly SourceKey<K>[] {
  return [key, `${key}File`, `${key}Env`];
}

/** Whether an object must give the secret (exactly one source), or may (at most one). */
export type Need = 'required' | 'optional';

/** How the reference marks the three: none has a default; exactly one is required, or at most one. */
const DEFAULT_TEXT: Readonly<Record<Need, string>> = {
  required: 'one of the three',
  optional: 'at most one of the three',
};

function sourceShape(key: SecretKey, need: Need) {
  const kind: SecretKind = SECRET_KINDS[key];
  const { inline, noun } = kind;
  const defaultText = DEFAULT_TEXT[need];
  const itself = `${noun[0]!.toUpperCase()}${noun.slice(1)} itself. Prefer ${key}File or ${key}Env: config files get copied.`;
  return {
    [key]: inline.optional().meta({
      description: kind.about === undefined ? itself : `${kind.about} ${itself}`,
      defaultText,
    }),
    [`${key}File`]: z
      .string()
      .min(1)
      .optional()
      .meta({
        description: `Path of a file holding ${noun}, relative to the config file; one trailing newline is dropped.`,
        defaultText,
      }),
    [`${key}Env`]: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')
      .optional()
      .meta({ description: `Name of an environment variable holding ${noun}.`, defaultText }),
  };
}

type Issues = z.core.$RefinementCtx;

/**
 * Reads a file named in the config. The message names the path and the system error, never the content.
 */
export function readReferencedFile(path: string, ctx: LoadContext, issues: Issues, key: string) {
  const full = resolve(ctx.baseDir, path);
  try {
    return readFileSync(full, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    issues.addIssue({ code: 'custom', path: [key], message: `cannot read ${full} (${code})` });
    return undefined;
  }
}

/** A value from a file or an env var obeys the same rules as one written inline. */
function checked(key: SecretKey, value: string, issues: Issues, source: string, origin: string) {
  const problem = SECRET_KINDS[key].problem(value, origin);
  if (problem === undefined) return new Secret(value);
  issues.addIssue({ code: 'custom', path: [source], message: problem });
  return undefined;
}

/** The secret from its one given source; undefined, with the problem reported, when it yields none. */
function resolveSecret(
  key: SecretKey,
  value: Readonly<Record<string, unknown>>,
  ctx: LoadContext,
  issues: Issues,
): Secret | undefined {
  const [inline, file, env] = sourcesOf(key);
  if (value[inline!] !== undefined) return new Secret(value[inline!] as string);
  if (value[file!] !== undefined) {
    const text = readReferencedFile(value[file!] as string, ctx, issues, file!);
    // Editors and `echo` end files with a newline that nobody means as part of the secret.
    return text === undefined
      ? undefined
      : checked(key, text.replace(/\r?\n$/, ''), issues, file!, 'the file');
  }
  const name = value[env!] as string;
  // Own properties only: `constructor` is a valid variable name and must not find Object's.
  const text = Object.hasOwn(ctx.env, name) ? ctx.env[name] : undefined;
  if (text === undefined) {
    issues.addIssue({ code: 'custom', path: [env!], message: `environment variable ${name} is not set` });
    return undefined;
  }
  return checked(key, text, issues, env!, `environment variable ${name}`);
}

/** The sources of `key` the object gives. */
export function givenSources(key: SecretKey, value: Readonly<Record<string, unknown>>): string[] {
  return sourcesOf(key).filter((source) => value[source] !== undefined);
}

/**
 * At most one source per secret (exactly one where required), and it yields a usable value. Runs on any
 * object, even one with other problems, so a missing variable or file is reported in the same round as
 * everything else.
 */
function checkSecrets(
  value: Readonly<Record<string, unknown>>,
  needs: Needs,
  ctx: LoadContext,
  issues: Issues,
): void {
  for (const [key, need] of Object.entries(needs) as [SecretKey, Need][]) {
    const list = sourcesOf(key).join(', ');
    const given = givenSources(key, value);
    if (given.length === 0 && need === 'required') {
      issues.addIssue({ code: 'custom', path: [key], message: `one of ${list} is required` });
    }
    for (const extra of given.slice(1)) {
      issues.addIssue({ code: 'custom', path: [extra], message: `give only one of ${list}` });
    }
    const [only] = given;
    if (given.length === 1 && !issues.issues.some((issue) => issue.path?.[0] === only)) {
      resolveSecret(key, value, ctx, issues);
    }
  }
}

/** The secrets an object takes, each required or optional. */
export type Needs = Partial<Record<SecretKey, Need>>;

type Resolved<N extends Needs> = {
  [K in keyof N as N[K] extends 'required' ? K : never]: Secret;
} & {
  [K in keyof N as N[K] extends 'optional' ? K : never]?: Secret;
};

/** The object as configured, minus the secrets' sources, plus the secrets they resolved to. */
export type WithSecrets<Shape extends z.core.$ZodLooseShape, N extends Needs> = Omit<
  z.output<z.ZodObject<Shape, z.core.$strict>>,
  SourceKey<keyof N & SecretKey>
> &
  Resolved<N>;

export type WithPassword<Shape extends z.core.$ZodLooseShape> = WithSecrets<Shape, { password: 'required' }>;

export interface SecretOptions {
  /** A rule across the object's keys, run with the sources' check (on any object, before the transform). */
  check?: (value: Readonly<Record<string, unknown>>, issues: Issues) => void;
}

/**
 * An object with secrets each given one of three ways (`password`, `passwordFile`, `passwordEnv`; likewise
 * `pathToken`), resolved at load into a `Secret` under the first name (the File/Env keys are gone from the
 * result).
 *
 * The sources are resolved twice at start: once by the check, which must report on objects that fail elsewhere
 * (zod skips transforms then), once by the transform, which keeps the result.
 */
export function withSecrets<Shape extends z.core.$ZodLooseShape, const N extends Needs>(
  shape: Shape,
  ctx: LoadContext,
  needs: N,
  options: SecretOptions = {},
) {
  const entries = Object.entries(needs) as [SecretKey, Need][];
  const sources: object = Object.fromEntries(
    entries.flatMap(([key, need]) => Object.entries(sourceShape(key, need))),
  );
  return z
    .strictObject({ ...shape, ...sources })
    .superRefine(
      (value, issues) => {
        checkSecrets(value, needs, ctx, issues);
        options.check?.(value, issues);
      },
      { when: (payload) => isRecord(payload.value) },
    )
    .transform((value, issues): WithSecrets<Shape, N> => {
      const result: Record<string, unknown> = { ...value };
      for (const [key] of entries) {
        const given = givenSources(key, value).length > 0;
        for (const source of sourcesOf(key)) delete result[source];
        if (!given) continue;
        const secret = resolveSecret(key, value, ctx, issues);
        if (secret === undefined) return z.NEVER;
        result[key] = secret;
      }
      return result as WithSecrets<Shape, N>;
    });
}

/** An object with a password (accounts' callbacks, SASL, the registry's basic auth, the UWS API user). */
export function withPassword<Shape extends z.core.$ZodLooseShape>(shape: Shape, ctx: LoadContext) {
  return withSecrets(shape, ctx, { password: 'required' });
}
