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

const SOURCES = ['password', 'passwordFile', 'passwordEnv'] as const;
const SOURCE_LIST = SOURCES.join(', ');

/** How the reference marks the three: none has a default, exactly one is required. */
const ONE_OF = 'one of the three';

const passwordSources = {
  password: z.string().min(1).max(MAX_CREDENTIAL_CHARS).optional().meta({
    description: 'The password itself. Prefer passwordFile or passwordEnv: config files get copied.',
    defaultText: ONE_OF,
  }),
  passwordFile: z.string().min(1).optional().meta({
    description:
      'Path of a file holding the password, relative to the config file; one trailing newline is dropped.',
    defaultText: ONE_OF,
  }),
  passwordEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')
    .optional()
    .meta({ description: 'Name of an environment variable holding the password.', defaultText: ONE_OF }),
};

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

/** A value from a file or an env var obeys the same limits as one written inline. */
function checked(value: string, issues: Issues, key: string, origin: string): Secret | undefined {
  const problem =
    value.length === 0
      ? `${origin} is empty`
      : value.length > MAX_CREDENTIAL_CHARS
        ? `${origin} holds more than ${MAX_CREDENTIAL_CHARS} characters`
        : undefined;
  if (problem === undefined) return new Secret(value);
  issues.addIssue({ code: 'custom', path: [key], message: problem });
  return undefined;
}

interface PasswordSource {
  password?: string | undefined;
  passwordFile?: string | undefined;
  passwordEnv?: string | undefined;
}

function resolvePassword(source: PasswordSource, ctx: LoadContext, issues: Issues): Secret | undefined {
  if (source.password !== undefined) return new Secret(source.password);
  if (source.passwordFile !== undefined) {
    const text = readReferencedFile(source.passwordFile, ctx, issues, 'passwordFile');
    // Editors and `echo` end files with a newline that nobody means as part of the password.
    return text === undefined
      ? undefined
      : checked(text.replace(/\r?\n$/, ''), issues, 'passwordFile', 'the file');
  }
  const name = source.passwordEnv ?? '';
  // Own properties only: `constructor` is a valid variable name and must not find Object's.
  const value = Object.hasOwn(ctx.env, name) ? ctx.env[name] : undefined;
  if (value === undefined) {
    issues.addIssue({
      code: 'custom',
      path: ['passwordEnv'],
      message: `environment variable ${name} is not set`,
    });
    return undefined;
  }
  return checked(value, issues, 'passwordEnv', `environment variable ${name}`);
}

/**
 * Exactly one source, and it yields a usable password. Runs on any object, even one with other problems, so a
 * missing variable or file is reported in the same round as everything else.
 */
function checkPassword(value: Readonly<Record<string, unknown>>, ctx: LoadContext, issues: Issues): void {
  const given = SOURCES.filter((key) => value[key] !== undefined);
  if (given.length === 0) {
    issues.addIssue({ code: 'custom', path: ['password'], message: `one of ${SOURCE_LIST} is required` });
  }
  for (const extra of given.slice(1)) {
    issues.addIssue({ code: 'custom', path: [extra], message: `give only one of ${SOURCE_LIST}` });
  }
  const [only] = given;
  if (given.length === 1 && !issues.issues.some((issue) => issue.path?.[0] === only)) {
    resolvePassword(value, ctx, issues);
  }
}

/** The object as configured, minus the three password sources, plus the password they resolved to. */
export type WithPassword<Shape extends z.core.$ZodLooseShape> = Omit<
  z.output<z.ZodObject<Shape, z.core.$strict>>,
  (typeof SOURCES)[number]
> & { password: Secret };

/**
 * An object with a password given one of three ways, resolved at load into a `Secret` under `password`
 * (`passwordFile`/`passwordEnv` are gone from the result). Used by accounts, SASL and the registry's basic auth.
 *
 * The source is resolved twice at start: once by the check, which must report on objects that fail elsewhere
 * (zod skips transforms then), once by the transform, which keeps the result.
 */
export function withPassword<Shape extends z.core.$ZodLooseShape>(shape: Shape, ctx: LoadContext) {
  return z
    .strictObject({ ...shape, ...passwordSources })
    .superRefine((value, issues) => checkPassword(value, ctx, issues), {
      when: (payload) => isRecord(payload.value),
    })
    .transform((value, issues): WithPassword<Shape> => {
      const rest: Record<string, unknown> = { ...value };
      for (const key of SOURCES) delete rest[key];
      const secret = resolvePassword(value as PasswordSource, ctx, issues);
      return secret === undefined ? z.NEVER : ({ ...rest, password: secret } as WithPassword<Shape>);
    });
}
