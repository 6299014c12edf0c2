/**
 * The wait before a retry, shared by every retry loop of the bridge (the Kafka side's boot, the recovery loop's
 * StartSmsCallback, the spool's replay, the @platformatic/kafka producer's re-sends, the registration APIs'
 * calls): exponential, capped, with "equal jitter" (AWS Architecture Blog, "Exponential Backoff And Jitter",
 * 2015): uniformly between half the capped exponential and all of it.
 *
 * Jitter because the nodes of a deployment fail together (Kafka, the registry or the platform went away for all
 * of them) and, without it, retry in lockstep: every node's boot, replay or re-send hits the dependency that is
 * coming back at the same instants. Equal rather than full jitter (uniform from 0): full jitter spreads a little
 * wider but may wait next to nothing, attempt after attempt; equal jitter keeps each wait at least half of the
 * unjittered one, so a dependency that is down is never tried faster than half the old pace, a failed attempt's
 * log line stays as rare, and the bounds the loops document ("at most 2 s apart") hold as they did.
 */

/** Uniform in [0, 1), as Math.random; a test passes its own. */
export type Random = () => number;

export interface Backoff {
  /** The unjittered wait before the first retry; doubled for each next one. */
  baseMs: number;
  /** No wait is longer (Infinity where the number of retries bounds the waits). */
  maxMs: number;
  /** Math.random when absent. */
  random?: Random;
}

/** The unjittered wait before retry `attempt` (1, 2, ...): baseMs doubled per attempt after the first, capped. */
export function backoffCeiling(attempt: number, { baseMs, maxMs }: Backoff): number {
  return Math.min(baseMs * 2 ** (attempt - 1), maxMs);
}

/**
 * The wait before retry `attempt` (1, 2, ...), whole milliseconds from half the ceiling to the ceiling: never
 * above maxMs, never negative, whatever `random` returns (clamped to [0, 1]; NaN counts as 0).
 */
export function backoffDelay(attempt: number, backoff: Backoff): number {
  const ceiling = backoffCeiling(attempt, backoff);
  const random = Math.min(Math.max((backoff.random ?? Math.random)(), 0), 1) || 0;
  return Math.floor(ceiling / 2 + (random * ceiling) / 2);
}
