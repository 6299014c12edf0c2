/**
 * One batch's transaction: its output and changelog records, and the offset after each input partition's last
 * record, committed atomically (TxnOffsetCommit carries the consumer's generation: a member that lost the
 * partition in a rebalance cannot commit, docs/dedupe.md). Any failure aborts, best effort, and rethrows: the
 * caller rewinds to the committed offsets. Resolves with where the records were written (each partition's base
 * offset), once committed.
 */
import type { Consumer, Message, MessageToProduce, Producer, ProduceResult } from '@platformatic/kafka';

export async function commitBatch(
  producer: Producer,
  consumer: Consumer,
  records: readonly MessageToProduce[],
  lastOfPartitions: readonly Message[],
  /** Told when the records are written, uncommitted: the window where a crash leaves a transaction open. */
  onSent: () => void = () => undefined,
): Promise<ProduceResult> {
  const transaction = await producer.beginTransaction();
  try {
    const written = records.length > 0 ? await transaction.send({ messages: [...records] }) : {};
    onSent();
    await transaction.addConsumer(consumer);
    for (const message of lastOfPartitions) await transaction.addOffset(message);
    await transaction.commit();
    return written;
  } catch (error) {
    if (!transaction.completed) await transaction.abort().catch(() => transaction.cancel());
    throw error;
  }
}
