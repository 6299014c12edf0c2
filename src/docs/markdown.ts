/**
 * Markdown for the generated docs, in the layout prettier gives it, so that `prettier --check` leaves generated
 * files alone.
 */

/** A table with every column padded to its widest cell, as prettier pads it. Cells must not hold `|`. */
export function markdownTable(header: readonly string[], body: readonly (readonly string[])[]): string {
  const all = [header, ...body];
  const widths = header.map((_, column) => Math.max(3, ...all.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${widths.map((width, column) => (cells[column] ?? '').padEnd(width)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)].join('\n');
}
