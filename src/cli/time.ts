/**
 * The points in time the commands take (`replay --since/--until`, `tail --since`): ISO 8601 with a zone, a date
 * (midnight UTC), `now`, and where a command allows it, a duration back from now (`90s`, `10m`, `2h`, `7d`).
 */

/** ISO 8601: a date, or a date and time with a zone (a time without one would be the machine's local time). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

const DURATION = /^(\d{1,9})(ms|s|m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Epoch ms of an ISO time, a date or `now`; the problem as text otherwise. */
export function timeOf(flag: string, text: string, now: number): number | string {
  if (text === 'now') return now;
  const ms = ISO_TIME.test(text) && realDate(text) ? Date.parse(text) : NaN;
  return Number.isNaN(ms) ? `${flag}: '${text}' is not an ISO 8601 date or time with a zone, nor 'now'` : ms;
}

/** As timeOf, or a duration before now (`10m`: ten minutes ago). */
export function timeOrAgoOf(flag: string, text: string, now: number): number | string {
  const duration = DURATION.exec(text);
  if (duration) return now - Number(duration[1]) * UNIT_MS[duration[2]!]!;
  const time = timeOf(flag, text, now);
  return typeof time === 'number' ? time : `${time}, nor a duration such as 10m, 2h or 7d`;
}

/** Date.parse rolls 2026-02-30 over into March: the day must exist in its month. */
function realDate(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
