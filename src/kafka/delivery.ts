/**
 * The delivery seam: what the ingress calls to have one record held by Kafka, or by the node's durable spool.
 * Two implementations: the Publisher (Kafka directly, publisher.ts) and the SpoolingPublisher (Kafka while it
 * keeps up, the spool while it does not, spool/spooling-publisher.ts). The bridge picks one from its config; the
 * ingress and the node's readiness see only this interface.
 */
import { BridgeError } from '../errors';

/** An encoded event for one topic; the eventId goes with it so that a spooled record keeps it (spool.ts). */
export interface DeliveryRecord {
  topic: string;
  key: string;
  /** The encoded value (Confluent wire format). */
  value: Buffer;
  headers?: Record<string, string>;
  eventId: string;
  /**
   * The Kafka record's timestamp (CreateTime), epoch ms: when the callback was received, so a record replayed
   * from the spool after an outage lands in the event-time windows it belongs to. Kafka's send time without it.
   */
  timestamp?: number;
  /**
   * Set when the value was encoded before the registry gave its subject an id (a node booted into the spool):
   * its schema id is a placeholder until framed with this subject's id (events/wire-format.ts), which happens
   * before the record goes to Kafka.
   */
  schemaSubject?: string;
}

/** Where a record is held, given back to the caller as its receipt (the HTTP answer's `Receipt` header). */
export type Receipt = KafkaReceipt | SpoolReceipt;

/** Written to Kafka: its partition and offset (int64, hence a string as everywhere in kafkajs). */
export interface KafkaReceipt {
  held: 'kafka';
  topic: string;
  partition: number;
  offset: string;
}

/** Durable in the node's spool, to be replayed to `topic`: the segment file and the position in the log. */
export interface SpoolReceipt {
  held: 'spool';
  topic: string;
  segment: string;
  position: number;
}

export type DeliveryMode = 'direct' | 'spooling';

export interface SpoolStatus {
  records: number;
  bytes: number;
  maxBytes: number;
  /** Epoch ms of the oldest record not yet replayed; undefined when empty. */
  oldestAppendedAt: number | undefined;
}

export interface DeliveryStatus {
  mode: DeliveryMode;
  /** Why the node should take no callbacks now (readiness), or undefined. */
  unavailable: 'kafka-unavailable' | 'spool-full' | undefined;
  /** Records waiting for a batch. */
  queuedRecords: number;
  spool?: SpoolStatus;
}

export interface Delivery {
  /** Connects (and, with a spool, starts replaying); a failed start can be called again. */
  start(): Promise<void>;
  /** Resolves with the receipt once the record is held; rejects with a BridgeError otherwise. */
  deliver(record: DeliveryRecord): Promise<Receipt>;
  status(): DeliveryStatus;
  /** Resolves when nothing is queued and no batch is in flight. */
  idle(): Promise<void>;
  /** Stops taking records, settles every accepted one, disconnects. Idempotent. */
  close(): Promise<void>;
}

/**
 * Kafka did not take the record: it failed the batch, did not acknowledge it in time, or the queue in front of it
 * is full. The one decision of "Kafka is not keeping up": it sends a record to the spool, and without a spool
 * makes the node report itself not ready until the next acknowledgement.
 */
export function isDeliveryFailure(err: unknown): boolean {
  return err instanceof BridgeError && DELIVERY_FAILURES.has(err.code);
}

const DELIVERY_FAILURES: ReadonlySet<string> = new Set([
  'KAFKA_UNAVAILABLE',
  'DELIVERY_TIMEOUT',
  'QUEUE_FULL',
]);
