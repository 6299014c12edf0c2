/**
 * A consumer stream's records in batches: up to `size` records and `maxBytes` of keys, values and headers, or
 * what came within `lingerMs` of a batch's first record. The first record is awaited without limit; a pull still
 * pending at a batch's end, or a record that would pass `maxBytes`, is carried over (a record larger than
 * `maxBytes` makes a batch of its own).
 */
import type { Message } from '@platformatic/kafka';

/**
 * Under the broker's default `message.max.bytes` (1 MiB) with room for a record batch's framing: a batch read from
 * one partition (a consumer catching up is handed a partition at a time) is written to that partition of its
 * `.deduped` topic as one record batch, which the broker refuses beyond it, every time the batch is read again.
 */
export const MAX_BATCH_BYTES = 900 * 1024;

/** A record's key, value and headers, plus its framing in a record batch (about 20 bytes of varints, 10 a header). */
export function recordBytes({ key, value, headers }: Pick<Message, 'key' | 'value' | 'headers'>): number {
  let bytes = 24 + (key?.length ?? 0) + (value?.length ?? 0);
  for (const [name, header] of headers) bytes += 10 + name.length + header.length;
  return bytes;
}

const LINGERED = Symbol('lingered');

export async function* inBatches(
  stream: AsyncIterable<Message>,
  size: number,
  lingerMs: number,
  maxBytes = MAX_BATCH_BYTES,
): AsyncGenerator<Message[]> {
  const records = stream[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<Message>> | undefined;
  for (;;) {
    const first = await (pending ?? records.next());
    pending = undefined;
    if (first.done) return;
    const batch = [first.value];
    let bytes = recordBytes(first.value);
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
      bytes += recordBytes(next.value);
      if (bytes > maxBytes) {
        pending = Promise.resolve(next);
        break;
      }
      batch.push(next.value);
    }
    yield batch;
  }
}
