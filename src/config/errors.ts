import type { ErrorCode } from '../errors';

/** One problem in the configuration, at a path written the way an operator would look it up (`accounts[1].password`). */
export interface ConfigIssue {
  path: string;
  message: string;
}

/**
 * The configuration cannot be used. Thrown once, at start, with every problem found, so an operator fixes them all
 * in one round instead of one per restart. Messages name paths and environment variables, never values: a value
 * may be a credential.
 *
 * Not a BridgeError: it never reaches an HTTP caller, the process just refuses to start. Its code is in the
 * catalogue (src/errors.ts) all the same.
 */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID' satisfies ErrorCode;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    const lines = issues.map((issue) => `  ${issue.path ? `${issue.path}: ` : ''}${issue.message}`);
    super(`invalid configuration (${count}):\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** `['accounts', 1, 'password']` -> `accounts[1].password`; keys that aren't identifiers get brackets. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => {
      if (typeof key === 'number') return `[${key}]`;
      const name = String(key);
      if (!/^[A-Za-z_$][\w$]*$/.test(name)) return `[${JSON.stringify(name)}]`;
      return index === 0 ? name : `.${name}`;
    })
    .join('');
}
