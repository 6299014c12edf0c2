import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ANSWER_CODES, ERRORS, faultSpec } from '../errors';
import { markdownTable } from './markdown';

/**
 * Renders the README's error table from the catalogue (src/errors.ts), so the table cannot drift from what the
 * bridge answers: `npm run docs:errors` rewrites it between the two markers below; a unit test fails when the
 * committed README differs. Only codes a caller can see are listed (`where: 'callback'`), by status.
 */

export const START = '<!-- errors:start -->';
export const END = '<!-- errors:end -->';

const NOTE =
  '<!-- Generated from the catalogue in src/errors.ts by `npm run docs:errors`; a unit test fails when it is stale. -->';

export function renderErrorTable(): string {
  const rows = ANSWER_CODES.filter((code) => ERRORS[code].where === 'callback')
    .map((code) => ({ code, ...faultSpec(code) }))
    // Stable: within a status, the catalogue's order.
    .sort((a, b) => a.status - b.status);
  return markdownTable(
    ['status', 'code', 'when', 'retry helps?', 'headers'],
    rows.map((row) => [
      String(row.status),
      `\`${row.code}\``,
      row.description,
      row.retriable ? 'yes' : 'no',
      row.headers.map((header) => `\`${header}\``).join(', '),
    ]),
  );
}

/** The README with the part between the markers replaced by the generated table. */
export function withErrorTable(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start === -1 || end < start) throw new Error(`README.md: no ${START} ... ${END} section`);
  return `${readme.slice(0, start)}${START}\n${NOTE}\n\n${renderErrorTable()}\n\n${readme.slice(end)}`;
}

export const README = join(__dirname, '..', '..', 'README.md');

if (require.main === module) {
  writeFileSync(README, withErrorTable(readFileSync(README, 'utf8')));
  process.stdout.write(`wrote the error table in ${README}\n`);
}
