import { readFileSync } from 'node:fs';
import { join } from 'node:path';

let version: string | undefined;

/** This package's version, from its package.json: two levels up from src/util and from dist/util alike. */
export function packageVersion(): string {
  version ??= (
    JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }
  ).version;
  return version;
}
