/**
 * The BatchProducer (producer.ts) on @platformatic/kafka, with the kafkajs producer's guarantees: idempotent, one
 * request in flight, retried without limit at most 2 s apart, no topic created by producing, and the partition of
 * a key the Java client's (murmur2), which is kafkajs's DefaultPartitioner's too.
 *
 * Unlimited, but not inside the library: it routes each retry of what it sent one broker by the leader of that
 * request's first partition, so after a leader move the request's other partitions go on to a broker that no
 * longer leads them, forever (a three-node cluster with a paused leader: the cluster fault test). The library
 * gives a send up after a few attempts, then this sends the batch anew, regrouped by the leaders of fresh
 * metadata. Order holds: the Publisher sends nothing newer while this batch is unacknowledged, and an old attempt
 * still queued at a broker is either ahead on the same connection or refused by a broker no longer the leader.
 */
import {
  murmur2,
  Producer,
  type MessageToProduce,
  type ProduceResult,
  type ProducerOptions,
} from '@platformatic/kafka';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Message, ProducerBatch, RecordMetadata } from 'kafkajs';
import type { KafkaConfig } from '../config';
import type { Logger } from '../observability';
import { backoffDelay, type Random } from '../util/backoff';
import { forwardPlatformaticLogs, platformaticConnection } from './clients';
import type { BatchProducer } from './producer';

/** The longest wait between two attempts of a request, as the kafkajs producer's maxRetryTime. */
export const MAX_RETRY_WAIT_MS = 2_000;

/** Attempts of connect() before the Publisher reports Kafka unavailable (the boot retries it). */
const CONNECT_RETRIES = 3;

/** Retries of one send inside the library (about 5 s of waits) before the batch is sent anew. */
export const LIBRARY_RETRIES = 5;

/**
 * The wait before retry `attempt` (1, 2, ...): 200 ms doubling up to MAX_RETRY_WAIT_MS, jittered (util/backoff:
 * from half of that to all of it), so that the nodes that lost a leader together do not all retry at once.
 */
export const retryWait = (attempt: number, random?: Random) =>
  backoffDelay(attempt, { baseMs: 200, maxMs: MAX_RETRY_WAIT_MS, random });

/** What the adapter uses of a @platformatic/kafka Producer; the real one, or a stand-in in the unit tests. */
export type PlatformaticClient = Pick<Producer, 'metadata' | 'send' | 'close'>;

export function createPlatformaticProducer(
  config: KafkaConfig,
  options: { logger: Logger; clientId?: string },
): BatchProducer {
  const producer = new Producer(producerOptions(config, options.clientId));
  const log = forwardPlatformaticLogs(producer, options.logger);
  return new PlatformaticBatchProducer(producer, (attempt, error) =>
    log.warn({ attempt, codes: errorCodes(error) }, 'batch not acknowledged, sending it anew'),
  );
}

/** @param random the retry waits' jitter; Math.random when absent */
export function producerOptions(
  config: KafkaConfig,
  clientId?: string,
  random?: Random,
): ProducerOptions<Buffer, Buffer, Buffer, Buffer> {
  return {
    ...platformaticConnection(config, clientId),
    // Idempotence makes the library keep one request in flight per broker and acks=-1. Its retries are few: the
    // unlimited ones (for the reason the kafkajs producer's are, producer.ts) are sendBatch's, after fresh
    // metadata. The library takes a new producer id after a send it gave up on, so the sequence numbers of a
    // batch that may have been written are never reused.
    idempotent: true,
    retries: LIBRARY_RETRIES,
    retryDelay: (_client, _operation, attempt) => retryWait(attempt, random),
    // A typo'd or undeployed topic must fail, not appear with broker defaults: ensureTopics() owns creation.
    autocreateTopics: false,
  };
}

export class PlatformaticBatchProducer implements BatchProducer {
  private disconnected = false;

  /**
   * @param onResend told of each time a batch is sent anew, with the library's last error
   * @param random the waits' jitter; Math.random when absent
   */
  constructor(
    private readonly client: PlatformaticClient,
    private readonly onResend: (attempt: number, error: unknown) => void = () => undefined,
    private readonly random?: Random,
  ) {}

  /** The library connects on demand; this reaches a broker once, or fails after a few attempts as kafkajs's. */
  async connect(): Promise<void> {
    await this.client.metadata({ topics: [], forceUpdate: true, retries: CONNECT_RETRIES });
  }

  async disconnect(): Promise<void> {
    this.disconnected = true;
    await this.client.close();
  }

  /**
   * Partitions each message itself (and stamps the partition on it) from the topics' partition counts, then sends
   * with the partitions explicit: the library copies the messages, so the partition it would pick never reaches
   * ours, and its default partitioner is not the Java one for keys whose hash is negative (`>>> 0`).
   */
  async sendBatch({ topicMessages = [] }: ProducerBatch): Promise<RecordMetadata[]> {
    const topics = topicMessages.map(({ topic }) => topic);
    const metadata = await this.client.metadata({ topics });
    const messages: MessageToProduce[] = [];
    for (const { topic, messages: batch } of topicMessages) {
      const partitions = metadata.topics.get(topic)!.partitionsCount;
      for (const message of batch) messages.push(toProduce(topic, message, partitions));
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const { offsets = [] } = await this.client.send({ messages });
        return acknowledgements(offsets);
      } catch (error) {
        // Nobody waits for this batch any more (the Publisher settled it by its deadline).
        if (this.disconnected) throw error;
        this.onResend(attempt, error);
        await sleep(retryWait(attempt, this.random));
        // The next send groups the messages by the leaders these say.
        await this.client.metadata({ topics, forceUpdate: true }).catch(() => undefined);
      }
    }
  }
}

/** Kafka's default partition of a key: murmur2 of its bytes, made positive as Java's Utils.toPositive does. */
export function keyPartition(key: Buffer, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

function toProduce(topic: string, message: Message, partitions: number): MessageToProduce {
  const { key, value, headers, timestamp } = message;
  if (key == null) throw new Error(`A record for ${topic} without a key`);
  const keyBytes = bytes(key);
  message.partition ??= keyPartition(keyBytes, partitions);
  const produced: MessageToProduce = { topic, partition: message.partition, key: keyBytes };
  if (value != null) produced.value = bytes(value);
  if (timestamp !== undefined) produced.timestamp = BigInt(timestamp);
  if (headers) {
    const map = new Map<Buffer, Buffer>();
    for (const name in headers) {
      const header = headers[name];
      if (header === undefined) continue;
      if (Array.isArray(header)) throw new Error(`Header ${name} has several values`);
      map.set(Buffer.from(name), bytes(header));
    }
    produced.headers = map;
  }
  return produced;
}

/** The Kafka error codes (`NOT_LEADER_OR_FOLLOWER`, ...) inside one of the library's errors, for the log. */
export const errorCodes = (error: unknown): string[] => errorFields(error, 'apiId');

/** The library's own codes (`PLT_KFK_NETWORK`, ...) inside one of its errors, the outer one's first. */
export const clientErrorCodes = (error: unknown): string[] => errorFields(error, 'code');

function errorFields(error: unknown, field: 'apiId' | 'code', depth = 0): string[] {
  if (typeof error !== 'object' || error === null || depth > 4) return [];
  const { [field]: value, errors, cause } = error as Record<string, unknown>;
  const inner: unknown[] = Array.isArray(errors) ? [...(errors as unknown[]), cause] : [cause];
  const nested = inner.flatMap((e) => errorFields(e, field, depth + 1));
  return [...new Set([...(typeof value === 'string' ? [value] : []), ...nested])];
}

function bytes(data: Buffer | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data) : data;
}

/** kafkajs's answer (one base offset per partition) from the library's. */
function acknowledgements(offsets: NonNullable<ProduceResult['offsets']>): RecordMetadata[] {
  return offsets.map(({ topic, partition, offset }) => ({
    topicName: topic,
    partition,
    errorCode: 0,
    baseOffset: offset.toString(),
  }));
}
