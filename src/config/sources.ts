import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LineCounter, parseDocument } from 'yaml';
import { isRecord } from './checks';
import { ConfigError } from './errors';
import type { Env } from './secrets';

/** Where the settings come from before validation: the file named on the command line or in the env, plus env overrides. */

export interface ConfigFile {
  path: string;
  /** How it was named (`--config` or `BRIDGE_CONFIG`), for messages. */
  origin: string;
}

export function locateConfigFile(argv: readonly string[], env: Env, cwd: string): ConfigFile {
  const file = findConfigFile(argv, env, cwd);
  if (file) return file;
  throw new ConfigError([{ path: '', message: 'no config file: pass --config <path> or set BRIDGE_CONFIG' }]);
}

/** The file `--config` (or `-c`) names, else BRIDGE_CONFIG's, else none. */
export function findConfigFile(argv: readonly string[], env: Env, cwd: string): ConfigFile | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: { config: { type: 'string', short: 'c' } },
    strict: false,
    allowPositionals: true,
  });
  if (values.config === true || values.config === '') {
    throw new ConfigError([{ path: '--config', message: 'expects a file path' }]);
  }
  if (typeof values.config === 'string') return { path: resolve(cwd, values.config), origin: '--config' };
  const fromEnv = env.BRIDGE_CONFIG;
  if (fromEnv) return { path: resolve(cwd, fromEnv), origin: 'BRIDGE_CONFIG' };
  return undefined;
}

/**
 * `.json` is read as JSON, anything else as YAML (which reads JSON too). Parse errors give positions only:
 * the parsers' own messages can quote the offending text, and that text may be a password.
 */
export function readConfigFile({ path, origin }: ConfigFile): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError([{ path: origin, message: `cannot read ${path} (${code})` }]);
  }
  const data = extname(path).toLowerCase() === '.json' ? parseJson(text, path) : parseYaml(text, path);
  if (data === null || data === undefined) throw new ConfigError([{ path, message: 'holds no settings' }]);
  return data;
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // V8 says "... at position 7 (line 1 column 8)" or quotes the text; keep the position, drop the rest.
    const where = /line (\d+) column (\d+)/.exec((err as Error).message);
    const at = where ? `:${where[1]}:${where[2]}` : '';
    throw new ConfigError([{ path: `${path}${at}`, message: 'not valid JSON' }]);
  }
}

function parseYaml(text: string, path: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { path: `${path}:${line}:${col}`, message: `not valid YAML (${error.code})` };
      }),
    );
  }
  try {
    return doc.toJS();
  } catch (err) {
    // Only alias problems get here (an unknown anchor, too many aliases): their messages quote no values.
    throw new ConfigError([{ path, message: `not valid YAML: ${(err as Error).message}` }]);
  }
}

interface Override {
  path: readonly [string, string];
  parse: (text: string) => unknown;
}

/** Environment variables that replace one key of the file; an empty variable counts as unset (compose `${X:-}`). */
export const ENV_OVERRIDES: Readonly<Record<string, Override>> = {
  // Left a string when not all digits, so validation reports it against the key, naming the variable.
  BRIDGE_PORT: { path: ['http', 'port'], parse: (text) => (/^\d+$/.test(text) ? Number(text) : text) },
  KAFKA_BROKERS: {
    path: ['kafka', 'brokers'],
    parse: (text) =>
      text
        .split(',')
        .map((broker) => broker.trim())
        .filter((broker) => broker !== ''),
  },
  SCHEMA_REGISTRY_URL: { path: ['schemaRegistry', 'url'], parse: (text) => text.trim() },
  // Where the bridge is reached and where the API is depend on the deployment (and, for tests and the demo, on
  // ports chosen at start), not on the file.
  BRIDGE_PUBLIC_BASE_URL: { path: ['http', 'publicBaseUrl'], parse: (text) => text.trim() },
  THINGSPACE_URL: { path: ['thingspace', 'url'], parse: (text) => text.trim() },
  // Which API, and the REST one's addresses: what `thingspace-bridge simulate` prints for its chosen API.
  THINGSPACE_API: { path: ['thingspace', 'api'], parse: (text) => text.trim() },
  THINGSPACE_REST_URL: { path: ['thingspace', 'restUrl'], parse: (text) => text.trim() },
  THINGSPACE_OAUTH_TOKEN_URL: { path: ['thingspace', 'oauthTokenUrl'], parse: (text) => text.trim() },
  // A dedupe node's name and port come from where it runs: a StatefulSet pod's name (the Helm chart), the port
  // the demo chose.
  DEDUPE_INSTANCE_ID: { path: ['dedupe', 'instanceId'], parse: (text) => text.trim() },
  DEDUPE_PORT: { path: ['dedupe', 'port'], parse: (text) => (/^\d+$/.test(text) ? Number(text) : text) },
};

export interface Overridden {
  input: unknown;
  /** Which variable set which key, so a problem with the value can name the variable. */
  applied: readonly { path: readonly PropertyKey[]; variable: string }[];
}

/** Returns a copy of the file's settings with the env overrides in; the file's object is left alone. */
export function applyEnvOverrides(input: unknown, env: Env): Overridden {
  if (!isRecord(input)) return { input, applied: [] };
  const result: Record<string, unknown> = { ...input };
  const applied: Overridden['applied'][number][] = [];
  for (const [variable, { path, parse }] of Object.entries(ENV_OVERRIDES)) {
    const text = env[variable];
    const [section, key] = path;
    const current = result[section] ?? {};
    // A section of the wrong type is left for validation to report.
    if (text === undefined || text === '' || !isRecord(current)) continue;
    result[section] = { ...current, [key]: parse(text) };
    applied.push({ path, variable });
  }
  return { input: result, applied };
}
