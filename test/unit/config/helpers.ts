import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../../../src/config';
import type { Env } from '../../../src/config';

/** A password that must never show up in errors, logs or JSON. */
export const PASSWORD = 'hunter2-Xq9!zz';

/** The smallest valid settings: one account, the brokers and the registry. */
export function minimal(): Record<string, unknown> {
  return {
    accounts: [{ name: 'acme', username: 'acme-user', password: PASSWORD, services: ['*'] }],
    kafka: { brokers: ['kafka-1:9092'] },
    schemaRegistry: { url: 'http://registry:8081' },
  };
}

/** Every problem `parseConfig` reports, as `path: message` lines; fails the test when it accepts the input. */
export function problems(input: unknown, env: Env = {}, baseDir?: string): string[] {
  try {
    parseConfig(input, env, { baseDir });
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(({ path, message }) => `${path}: ${message}`);
    throw err;
  }
  throw new Error('expected a ConfigError');
}

export function thrown(action: () => unknown): ConfigError {
  try {
    action();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** A scratch directory holding the given files, removed by the returned cleanup. */
export function scratch(files: Record<string, string>): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-config-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
