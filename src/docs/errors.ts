import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ANSWER_CODES, ERRORS, faultSpec, hasFixedText } from '../errors';
import { markdownTable } from './markdown';

/**
 * Renders the README's error table from the catalogue (src/errors.ts), so the table cannot drift from what the
 * bridge answers: `npm run docs:errors` rewrites it between the two markers below; a unit test fails when the
 * committed README differs. Only codes a caller can see are listed (`where: 'callback'`), by status; the legend
 * above the table gives the answer's shape in both wire formats, the columns what fills it.
 */

export const START = '<!-- errors:start -->';
export const END = '<!-- errors:end -->';

const NOTE =
  '<!-- Generated from the catalogue in src/errors.ts by `npm run docs:errors`; a unit test fails when it is stale. -->';

/** Both shapes of an error answer; the status and headers are the row's, the text as its last column says. */
const LEGEND = [
  'SOAP callers get a SOAP 1.1 Fault (`text/xml`),',
  '`<faultcode>s:<fault></faultcode><faultstring><code>: <text></faultstring>`; JSON callers get',
  '`{"code": "<code>", "message": "<text>"}` (`application/json`); both with the status and headers of the row.',
  "The text is the error's own message (`its own`: what was wrong, where) or the row's `when` (`when`: the",
  'detail goes to the log only).',
].join('\n');

export function renderErrorTable(): string {
  const rows = ANSWER_CODES.filter((code) => ERRORS[code].where === 'callback')
    .map((code) => ({ code, ...faultSpec(code) }))
    // Stable: within a status, the catalogue's order.
    .sort((a, b) => a.status - b.status);
  const table = markdownTable(
    ['status', 'code', 'when', 'retry helps?', 'headers', 'fault', 'text'],
    rows.map((row) => [
      String(row.status),
      `\`${row.code}\``,
      row.description,
      row.retriable ? 'yes' : 'no',
      row.headers.map((header) => `\`${header}\``).join(', '),
      `\`${row.faultCode}\``,
      hasFixedText(row.code) ? '`when`' : 'its own',
    ]),
  );
  return `${LEGEND}\n\n${table}`;
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
