/**
 * The chart's tests run the real helm: `helm lint --strict` and `helm template`, whose YAML stream is parsed
 * into objects to assert on. helm comes from helm/ensure-helm (built from the Go module proxy into the cache).
 * Under CI (CI=true) .ci/run builds it before the tests, so a missing helm there fails the tests at once with the
 * reason; elsewhere the first run builds it (a couple of minutes). Never skipped.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { ConfigError, parseConfig } from '../../../src/config';
import type { ConfigIssue, LoadedConfig } from '../../../src/config';

export const ROOT = join(__dirname, '..', '..', '..');
export const CHART = join(ROOT, 'helm', 'thingspace-kafka-bridge');
export const RELEASE = 'tsb';
/** Object names of the release: `<release>-<chart>`. */
export const FULLNAME = `${RELEASE}-thingspace-kafka-bridge`;

/** Every values file the chart documents: the variants CI renders (ci/) and the README's production example. */
export const VARIANTS = {
  spool: join(CHART, 'ci', 'spool-values.yaml'),
  perServicePorts: join(CHART, 'ci', 'per-service-ports-values.yaml'),
  existingSecret: join(CHART, 'ci', 'existing-secret-values.yaml'),
  monitoring: join(CHART, 'ci', 'monitoring-values.yaml'),
  tls: join(CHART, 'ci', 'tls-values.yaml'),
  dedupe: join(CHART, 'ci', 'dedupe-values.yaml'),
  production: join(ROOT, 'helm', 'examples', 'production-values.yaml'),
} as const;

let helmPath: string | undefined;

/** The helm binary: the cached build (built now when allowed), or a clear failure. */
export function helm(): string {
  if (helmPath) return helmPath;
  const script = join(ROOT, 'helm', 'ensure-helm');
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  const result = spawnSync('bash', [script], {
    encoding: 'utf8',
    env: { ...process.env, ...(ci ? { ENSURE_HELM_NO_BUILD: '1' } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.status !== 0) {
    throw new Error(
      `no helm for the chart tests (${ci ? 'CI: .ci/run builds it with `bash helm/ensure-helm` first' : 'helm/ensure-helm failed'}):\n${result.stderr}`,
    );
  }
  helmPath = result.stdout.trim();
  return helmPath;
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function runHelm(args: string[]): HelmResult {
  const result = spawnSync(helm(), args, { encoding: 'utf8', cwd: ROOT });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** A Kubernetes object as rendered; the tests read the fields they check. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  data?: Record<string, string>;
  [key: string]: unknown;
}

export interface Rendered {
  objects: K8sObject[];
  /** The one object of a kind (fails when there are none or several). */
  one(kind: string, name?: string): K8sObject;
  /** Every object of a kind. */
  all(kind: string): K8sObject[];
  kinds(): string[];
}

/** `helm template` with values files and --set pairs; throws with helm's message when rendering fails. */
export function template(valuesFiles: readonly string[] = [], sets: readonly string[] = []): Rendered {
  const args = ['template', RELEASE, CHART, '--namespace', 'bridge'];
  for (const file of valuesFiles) args.push('-f', file);
  for (const set of sets) args.push('--set', set);
  const result = runHelm(args);
  if (result.status !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  const objects = parseAllDocuments(result.stdout)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`helm rendered invalid YAML: ${doc.errors[0]!.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null);
  const all = (kind: string) => objects.filter((object) => object.kind === kind);
  return {
    objects,
    all,
    one(kind, name) {
      const found = all(kind).filter((object) => name === undefined || object.metadata.name === name);
      if (found.length !== 1) {
        throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, rendered ${found.length}`);
      }
      return found[0]!;
    },
    kinds: () => objects.map((object) => object.kind).sort(),
  };
}

/** The stderr of a `helm template` expected to fail. */
export function templateError(valuesFiles: readonly string[] = [], sets: readonly string[] = []): string {
  const args = ['template', RELEASE, CHART];
  for (const file of valuesFiles) args.push('-f', file);
  for (const set of sets) args.push('--set', set);
  const result = runHelm(args);
  if (result.status === 0)
    throw new Error(`helm template succeeded with ${[...valuesFiles, ...sets].join(' ')}`);
  return result.stderr;
}

/** The bridge's Deployment or StatefulSet (not the dedupe nodes'). */
export function workload(rendered: Rendered): K8sObject {
  const found = [...rendered.all('Deployment'), ...rendered.all('StatefulSet')].filter(
    (object) => object.metadata.name === FULLNAME,
  );
  if (found.length !== 1) throw new Error(`expected one workload, rendered ${found.length}`);
  return found[0]!;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function container(rendered: Rendered): any {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-member-access
  const containers = workload(rendered).spec.template.spec.containers as { name: string }[];
  expect(containers.map((c) => c.name)).toEqual(['bridge']);
  return containers[0];
}

/** The dedupe nodes' StatefulSet (dedupe.enabled). */
export const DEDUPE_NAME = `${FULLNAME}-dedupe`;

/** The bridge config file the ConfigMap carries, parsed. */
export function renderedConfig(rendered: Rendered): Record<string, unknown> {
  const data = rendered.one('ConfigMap', FULLNAME).data ?? {};
  expect(Object.keys(data)).toEqual(['bridge.yaml']);
  return parseYaml(data['bridge.yaml']!) as Record<string, unknown>;
}

/** Where the pods find the secret files, and the config's name for that directory. */
export const SECRETS_DIR = '/etc/thingspace-bridge/secrets';
/** Where the pods find the files of the tls.secretName Secret. */
export const TLS_DIR = '/etc/thingspace-bridge/tls';

/**
 * The rendered config through the bridge's own validation (src/config), as `serve` would read it: the secret
 * files it names (and the TLS Secret's, tlsFiles) are created under a temporary directory standing for the
 * Secrets' mounts.
 */
export function validateWithBridge(
  config: Record<string, unknown>,
  secretFiles: Record<string, string>,
  tlsFiles: Record<string, string> = {},
): { loaded?: LoadedConfig; issues: readonly ConfigIssue[] } {
  return validateAs(parseConfig, config, secretFiles, tlsFiles);
}

/**
 * The same through another command's loader (`parseDedupeConfig` for `dedupe`), with the environment the pod
 * gives it.
 */
export function validateAs<Loaded>(
  parse: (input: unknown, env: Record<string, string>, options: { baseDir: string }) => Loaded,
  config: Record<string, unknown>,
  secretFiles: Record<string, string>,
  tlsFiles: Record<string, string> = {},
  env: Record<string, string> = {},
): { loaded?: Loaded; issues: readonly ConfigIssue[] } {
  const dir = mkdtempSync(join(tmpdir(), 'chart-config-'));
  try {
    const mounts: [string, string, Record<string, string>][] = [
      [SECRETS_DIR, 'secrets', secretFiles],
      [TLS_DIR, 'tls', tlsFiles],
    ];
    let text = JSON.stringify(config);
    for (const [mount, name, files] of mounts) {
      mkdirSync(join(dir, name));
      for (const [key, value] of Object.entries(files)) writeFileSync(join(dir, name, key), value);
      text = text.replaceAll(`${mount}/`, `${join(dir, name)}/`);
    }
    try {
      const loaded = parse(JSON.parse(text), env, { baseDir: dir });
      return { loaded, issues: [] };
    } catch (err) {
      if (err instanceof ConfigError) return { issues: err.issues };
      throw err;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every passwordFile the config names, at any depth. */
export function passwordFiles(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(passwordFiles);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === 'passwordFile' && typeof inner === 'string' ? [inner] : passwordFiles(inner),
  );
}

export function readValues(file: string): Record<string, unknown> {
  return parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}
