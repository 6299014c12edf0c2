/**
 * A short diff of two decoded events for `replay --dry-run`: the leaf paths whose values differ, each as
 * `path: before -> after`, at most `limit` of them (and how many more there were).
 */

export interface EventDiff {
  lines: string[];
  /** Differences beyond `limit`, not listed. */
  more: number;
}

/** Avro unions decode as `{ "<branch>": value }`; kept as paths, so the branch shows where it changed. */
export function diffValues(before: unknown, after: unknown, limit = 10): EventDiff {
  const a = leaves(before);
  const b = leaves(after);
  const lines: string[] = [];
  let differences = 0;
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    const was = a.get(path);
    const now = b.get(path);
    if (was === now) continue;
    differences++;
    if (lines.length < limit)
      lines.push(`${path || '(value)'}: ${was ?? '(absent)'} -> ${now ?? '(absent)'}`);
  }
  return { lines, more: differences - lines.length };
}

/** Path -> the leaf as JSON; Buffers as base64, bigints as digits, so that any decoded value can be printed. */
function leaves(value: unknown, path = '', into = new Map<string, string>()): Map<string, string> {
  if (Buffer.isBuffer(value)) {
    into.set(path, JSON.stringify(value.toString('base64')));
  } else if (Array.isArray(value)) {
    if (value.length === 0) into.set(path, '[]');
    value.forEach((item, index) => leaves(item, `${path}[${index}]`, into));
  } else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value);
    if (entries.length === 0) into.set(path, '{}');
    for (const [key, item] of entries) leaves(item, path === '' ? key : `${path}.${key}`, into);
  } else {
    into.set(path, typeof value === 'bigint' ? value.toString() : (JSON.stringify(value) ?? 'undefined'));
  }
  return into;
}
