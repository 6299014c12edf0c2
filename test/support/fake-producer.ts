/**
 * The one stand-in for a kafkajs producer in unit tests (BatchProducer, src/kafka/producer.ts). It appends each
 * batch to an in-memory log per partition, as a broker would, and answers with one base offset per partition.
 * Partitions come from a toy hash of the key, written onto the message as producer.ts's partitioner does.
 *
 * `manual`: each sendBatch waits for the test to complete() or fail() it; otherwise it completes on the next turn
 * of the event loop. `down`: every sendBatch (and connect) fails, as against a broker that is gone.
 * What the unit tests claim of Kafka itself is proven again against the real broker in test/integration.
 */
import type { Message, ProducerBatch, RecordMetadata } from 'kafkajs';
import type { BatchProducer } from '../../src/kafka/producer';

export interface Call {
  batch: ProducerBatch;
  complete(): void;
  fail(error: Error): void;
}

export class FakeProducer implements BatchProducer {
  readonly calls: Call[] = [];
  readonly events: string[] = [];
  readonly log = new Map<string, Message[]>();
  /** Keys in the order the fake broker wrote them, across partitions. */
  readonly writtenKeys: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  stampPartitions = true;
  /** Partitions left out of the answer, records unwritten: as kafkajs does when a leader moved during its retries. */
  readonly unanswered = new Set<number>();
  down = false;

  constructor(
    private manual = false,
    private readonly partitions = 3,
  ) {}

  /** Completes every call held now, and from now on every call completes by itself. */
  release(): void {
    this.manual = false;
    for (const call of this.calls) call.complete();
  }

  /** From now on every call waits for complete() or fail() (or release()). */
  hold(): void {
    this.manual = true;
  }

  connect = jest.fn(async () => {
    this.events.push('connect');
    if (this.down) throw new Error('broker down');
  });

  disconnect = jest.fn(async () => {
    this.events.push('disconnect');
  });

  sendBatch = async (batch: ProducerBatch): Promise<RecordMetadata[]> => {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.events.push('sendBatch');
    try {
      await new Promise<void>((resolve, reject) => {
        this.calls.push({ batch, complete: resolve, fail: reject });
        if (!this.manual) setImmediate(resolve);
      });
      if (this.down) throw new Error('broker down');
      return this.append(batch);
    } finally {
      this.inFlight--;
      this.events.push('sendBatch done');
    }
  };

  /** Where the broker put the record whose value is `value`. */
  positionOf(value: string): { partition: number; offset: string } | undefined {
    for (const [name, messages] of this.log) {
      const index = messages.findIndex((m) => m.value!.toString() === value);
      if (index >= 0) return { partition: Number(name.split('/')[1]), offset: String(index) };
    }
    return undefined;
  }

  sentValues(): string[] {
    return this.calls.flatMap((c) =>
      c.batch.topicMessages!.flatMap((t) => t.messages.map((m) => m.value!.toString())),
    );
  }

  private append(batch: ProducerBatch): RecordMetadata[] {
    const acks = new Map<string, RecordMetadata>();
    for (const { topic, messages } of batch.topicMessages!) {
      for (const message of messages) {
        const partition =
          [...String(message.key)].reduce((sum, c) => sum + c.charCodeAt(0), 0) % this.partitions;
        if (this.stampPartitions) message.partition = partition;
        if (this.unanswered.has(partition)) continue;
        const name = `${topic}/${partition}`;
        const log = this.log.get(name) ?? [];
        this.log.set(name, log);
        if (!acks.has(name)) {
          acks.set(name, { topicName: topic, partition, errorCode: 0, baseOffset: String(log.length) });
        }
        log.push(message);
        this.writtenKeys.push(String(message.key));
      }
    }
    return [...acks.values()];
  }
}
