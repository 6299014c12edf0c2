/**
 * A consumer stream's records in batches: up to `size` records, or what came within `lingerMs` of a batch's
 * first record. The first record is awaited without limit; a pull still pending at a batch's end is carried over.
 */
import type { Message } from '@platformatic/kafka';

const LINGERED = Symbol('lingered');

export async function* inBatches(
  stream: AsyncIterable<Message>,
  size: number,
  lingerMs: number,
): AsyncGenerator<Message[]> {
  const records = stream[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<Message>> | undefined;
  for (;;) {
    const first = await (pending ?? records.next());
    pending = undefined;
    if (first.done) return;
    const batch = [first.value];
    const deadline = Date.now() + lingerMs;
    while (batch.length < size) {
      const wait = deadline - Date.now();
      if (wait <= 0) break;
      pending ??= records.next();
      let timer: NodeJS.Timeout | undefined;
      const next = await Promise.race([
        pending,
        new Promise<typeof LINGERED>((resolve) => (timer = setTimeout(resolve, wait, LINGERED))),
      ]);
      clearTimeout(timer);
      if (next === LINGERED) break;
      pending = undefined;
      if (next.done) {
        yield batch;
        return;
      }
      batch.push(next.value);
    }
    yield batch;
  }
}
