import { dirname } from 'node:path';
import type { z } from 'zod';
import { ConfigError, formatPath } from './errors';
import type { ConfigIssue } from './errors';
import { deepFreeze } from './freeze';
import type { Frozen } from './freeze';
import { clientConfigSchema, configSchema, dedupeConfigSchema } from './schema';
import type { ClientConfig, Config, DedupeServiceConfig } from './schema';
import type { Env, LoadContext } from './secrets';
import { applyEnvOverrides, findConfigFile, locateConfigFile, readConfigFile } from './sources';
import type { Overridden } from './sources';
import { configWarnings, kafkaWarnings } from './warnings';

export interface LoadedConfig {
  config: Config;
  /** Valid but questionable settings, for the caller to log once it has a logger. */
  warnings: readonly string[];
}

export interface ParseOptions {
  /** Where relative `*File` paths start; the process's working directory when absent. */
  baseDir?: string;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

/** Zod's defaults, reworded for operators; schema-level messages (hints naming env vars) take precedence. */
function message(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  if (issue.input === undefined) return 'required';
  // YAML reads `name: 0012345` as a number and drops the zeros; say how to keep it as written.
  const hint = issue.expected === 'string' && typeof issue.input === 'number' ? ' (quote it in YAML)' : '';
  const expected =
    issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`;
  return `expected ${expected}, got ${kindOf(issue.input)}${hint}`;
}

function issuesOf(error: z.ZodError, applied: Overridden['applied']): ConfigIssue[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown key' }));
    }
    const source = applied.find(({ path }) => path.every((key, index) => issue.path[index] === key));
    const from = source === undefined ? '' : ` (from ${source.variable})`;
    return [{ path: formatPath(issue.path), message: `${issue.message}${from}` }];
  });
}

/**
 * Validates settings already read (from a file, or a test's object literal) with the env overrides applied,
 * resolves the secrets they name, and freezes the result. Throws one ConfigError listing every problem.
 */
export function parseConfig(input: unknown, env: Env, options: ParseOptions = {}): LoadedConfig {
  const config = validate(configSchema, input, env, options);
  return { config, warnings: configWarnings(config) };
}

export interface LoadedClientConfig {
  config: ClientConfig;
  warnings: readonly string[];
}

/**
 * `parseConfig` for the Kafka side alone (kafka, schemaRegistry, log): the same validation, defaults and env
 * overrides, the other sections ignored. An absent input is an empty file: everything from the env and defaults.
 */
export function parseClientConfig(input: unknown, env: Env, options: ParseOptions = {}): LoadedClientConfig {
  const config = validate(clientConfigSchema, input ?? {}, env, options);
  return { config, warnings: kafkaWarnings(config.kafka) };
}

function validate<Schema extends z.ZodType>(
  schemaOf: (ctx: LoadContext) => Schema,
  input: unknown,
  env: Env,
  options: ParseOptions,
): Frozen<z.output<Schema>> {
  const overridden = applyEnvOverrides(input, env);
  const schema = schemaOf({ env, baseDir: options.baseDir ?? process.cwd() });
  const result = schema.safeParse(overridden.input, { error: message });
  if (!result.success) throw new ConfigError(issuesOf(result.error, overridden.applied));
  return deepFreeze(result.data);
}

export interface LoadOptions {
  /** The command's arguments; `--config <path>` (or `-c`) names the file. */
  argv?: readonly string[];
  env: Env;
  cwd: string;
}

/** The start-up path: find the file (`--config` or BRIDGE_CONFIG), read it, then `parseConfig`. */
export function loadConfig({ argv = [], env, cwd }: LoadOptions): LoadedConfig & { file: string } {
  const file = locateConfigFile(argv, env, cwd);
  // Relative secret and certificate paths read naturally next to the file that names them.
  const loaded = parseConfig(readConfigFile(file), env, { baseDir: dirname(file.path) });
  return { ...loaded, file: file.path };
}

/**
 * `loadConfig` for the commands that only read Kafka (`tail`): the same file (`--config` or BRIDGE_CONFIG) and
 * env overrides, but the file is optional (KAFKA_BROKERS and SCHEMA_REGISTRY_URL can say everything) and only
 * its kafka, schemaRegistry and log sections are read.
 */
export function loadClientConfig(options: LoadOptions): LoadedClientConfig & { file: string | undefined } {
  return loadSections(parseClientConfig, options);
}

export interface LoadedDedupeConfig {
  config: DedupeServiceConfig;
  warnings: readonly string[];
}

/** `parseConfig` for `dedupe`: its kafka, log and dedupe sections, the others ignored. */
export function parseDedupeConfig(input: unknown, env: Env, options: ParseOptions = {}): LoadedDedupeConfig {
  const config = validate(dedupeConfigSchema, input ?? {}, env, options);
  return { config, warnings: kafkaWarnings(config.kafka) };
}

/** `loadClientConfig` for `dedupe` (KAFKA_BROKERS can say everything). */
export function loadDedupeConfig(options: LoadOptions): LoadedDedupeConfig & { file: string | undefined } {
  return loadSections(parseDedupeConfig, options);
}

/** The file (`--config` or BRIDGE_CONFIG) if there is one, parsed by `parse`; the env and defaults otherwise. */
function loadSections<Loaded>(
  parse: (input: unknown, env: Env, options: ParseOptions) => Loaded,
  { argv = [], env, cwd }: LoadOptions,
): Loaded & { file: string | undefined } {
  const file = findConfigFile(argv, env, cwd);
  if (file === undefined) return { ...parse({}, env, { baseDir: cwd }), file: undefined };
  return { ...parse(readConfigFile(file), env, { baseDir: dirname(file.path) }), file: file.path };
}
