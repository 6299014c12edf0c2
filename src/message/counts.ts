/**
 * A delivery counter (CallbackCount, MaxCallbackThreshold, THINGSPACE.md §2 and §6) from its text: a
 * non-negative integer, or nothing: a count we cannot read is as good as none.
 */
export function parseCount(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^\d{1,15}$/.test(trimmed)) return undefined;
  return Number(trimmed);
}
