/**
 * The one kafkajs producer of an ingress node, configured for the delivery guarantees in ARCHITECTURE.md, and the
 * seam the Publisher (publisher.ts) sends through, one sendBatch at a time; the other implementation is
 * platformatic-producer.ts, and producers.ts picks one by `kafka.client`.
 */
import { Partitioners, type ICustomPartitioner, type Kafka, type Producer } from 'kafkajs';

/**
 * What the Publisher needs of a producer; a kafkajs Producer from createProducer() is one, and so is the
 * PlatformaticBatchProducer, which takes and answers the same kafkajs shapes.
 */
export interface BatchProducer {
  connect: Producer['connect'];
  disconnect: Producer['disconnect'];
  /**
   * Must leave on each message the partition it was written to (`message.partition`): sendBatch answers with one
   * base offset per partition, and the Publisher maps each record to its own offset from that.
   */
  sendBatch: Producer['sendBatch'];
}

export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    // Exactly once per partition across kafkajs's internal retries. Retries must be unlimited: a batch kafkajs
    // gives up on has its sequence numbers rolled back and reused by the next batch (src/producer/sendMessages.js),
    // so had the broker in fact written it, a next batch of the same size would pass for its duplicate:
    // acknowledged, not written. The Publisher's deadline answers the caller instead, without abandoning the batch.
    // Said explicitly: kafkajs's own unlimited default for an idempotent producer never applies through
    // Kafka#producer(), which always passes a retry object (empty without one), so 5 retries (15 under
    // NODE_ENV=test) was what ran. A three-node cluster with two nodes killed (the leader appends, the followers
    // never confirm) lost 23 acknowledged callbacks that way (test/integration/faults/cluster.test.ts).
    // The wait between two attempts is capped at 2 s: with kafkajs's default (30 s) a batch that waited out an
    // outage could go up to half a minute after the broker was back, and everything queued behind it with it.
    idempotent: true,
    retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 2_000 },
    maxInFlightRequests: 1,
    createPartitioner: recordingPartitioner(Partitioners.DefaultPartitioner),
    // A typo'd or undeployed topic must fail, not appear with broker defaults: ensureTopics() owns creation.
    allowAutoTopicCreation: false,
  });
}

/**
 * Wraps a partitioner so that the chosen partition is written onto the message. kafkajs hands our own message
 * objects to the partitioner (src/producer/groupMessagesPerPartition.js), and DefaultPartitioner honours an
 * explicit `message.partition`, so a retry inside kafkajs keeps the partition we recorded. DefaultPartitioner is
 * the Java client's murmur2: other producers put a key where we do.
 */
export function recordingPartitioner(create: ICustomPartitioner): ICustomPartitioner {
  return () => {
    const partitioner = create();
    return (args) => (args.message.partition = partitioner(args));
  };
}
