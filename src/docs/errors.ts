import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ANSWER_CODES, ERROR_CODES, ERRORS, faultSpec, hasFixedText } from '../errors';
import { markdownTable } from './markdown';

/**
 * Renders the README's error tables from the catalogue (src/errors.ts), so they cannot drift from what the
 * bridge answers: `npm run docs:errors` rewrites each between its two markers below; a unit test fails when the
 * committed README differs. The callback table lists the codes a caller can see (`where: 'callback'`), by
 * status; the legend above it gives the answer's shape in both wire formats, the columns what fills it. The
 * consumer table lists the codes of the decoder a consumer imports (`where: 'consumer'`).
 */

export const START = '<!-- errors:start -->';
export const END = '<!-- errors:end -->';
export const CONSUMER_START = '<!-- consumer-errors:start -->';
export const CONSUMER_END = '<!-- consumer-errors:end -->';

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

/** The codes of thingspace-kafka-bridge/consumer's ConsumerError, in the catalogue's order. */
export function renderConsumerErrorTable(): string {
  const rows = ERROR_CODES.filter((code) => ERRORS[code].where === 'consumer').map((code) => [
    `\`${code}\``,
    ERRORS[code].description,
    ERRORS[code].retriable ? 'yes' : 'no',
  ]);
  return markdownTable(['code', 'when', 'retry helps?'], rows);
}

/** `readme` with the part between `startMarker` and `endMarker` replaced by `content`. */
function between(readme: string, startMarker: string, endMarker: string, content: string): string {
  const start = readme.indexOf(startMarker);
  const end = readme.indexOf(endMarker);
  if (start === -1 || end < start) throw new Error(`README.md: no ${startMarker} ... ${endMarker} section`);
  return `${readme.slice(0, start)}${startMarker}\n${NOTE}\n\n${content}\n\n${readme.slice(end)}`;
}

/** The README with the parts between the markers replaced by the generated tables. */
export function withErrorTable(readme: string): string {
  const callbacks = between(readme, START, END, renderErrorTable());
  return between(callbacks, CONSUMER_START, CONSUMER_END, renderConsumerErrorTable());
}

export const README = join(__dirname, '..', '..', 'README.md');

if (require.main === module) {
  writeFileSync(README, withErrorTable(readFileSync(README, 'utf8')));
  process.stdout.write(`wrote the error tables in ${README}\n`);
}
