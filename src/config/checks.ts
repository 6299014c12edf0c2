import type { z } from 'zod';
import { formatPath } from './errors';

type Payload = z.core.ParsePayload;
type Issues = z.core.$RefinementCtx;
type Path = readonly PropertyKey[];

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Two paths where one leads into the other: a problem at either makes the other's value untrustworthy. */
function overlaps(a: Path, b: Path): boolean {
  const shared = Math.min(a.length, b.length);
  for (let i = 0; i < shared; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}

/**
 * Zod skips a refinement once anything in its object failed; this runs it whenever the fields it reads are
 * sound, so a rule spanning fields is reported together with unrelated mistakes elsewhere. (Issues without a
 * path, such as unknown keys, say nothing about any field's value.)
 */
export function whenValid(...reads: Path[]) {
  return {
    when: (payload: Payload) =>
      isRecord(payload.value) &&
      !payload.issues.some(({ path = [] }) => path.length > 0 && reads.some((read) => overlaps(path, read))),
  };
}

/** For a rule across list items: runs on the items that are sound themselves (see `itemsWithoutIssues`). */
export const whenList = { when: (payload: Payload) => Array.isArray(payload.value) };

/** The items of a list, with their index, leaving out those that already have a problem of their own. */
export function itemsWithoutIssues<T>(items: readonly T[], issues: Issues): [number, T][] {
  const broken = new Set(issues.issues.map((issue) => issue.path?.[0]));
  return items.flatMap((item, index): [number, T][] => (broken.has(index) ? [] : [[index, item]]));
}

export interface Keyed {
  /** Where the entry is, relative to the refinement's own place. */
  path: PropertyKey[];
  /** What must not repeat. */
  key: string;
}

/** Reports every entry whose key came before; `describe` turns the first occurrence's path into the message. */
export function reportDuplicates(
  issues: Issues,
  entries: Iterable<Keyed>,
  describe: (first: Path) => string,
) {
  const first = new Map<string, Path>();
  for (const { path, key } of entries) {
    const seen = first.get(key);
    if (seen === undefined) {
      first.set(key, path);
    } else {
      issues.addIssue({ code: 'custom', path, message: describe(seen) });
    }
  }
}

/** `describe` for duplicates whose first occurrence an operator should be pointed at. */
export const sameAs =
  (what: string, base: Path = []) =>
  (first: Path) =>
    `same ${what} as ${formatPath([...base, ...first])}`;
