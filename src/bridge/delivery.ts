/**
 * The node's Delivery (src/kafka/delivery.ts) from its config: the Publisher alone, or with `spool.enabled` the
 * SpoolingPublisher over a spool opened here, before the node listens (a spool that cannot be opened fails the
 * start). The spooling one takes records from the moment it is opened, into the spool until the Kafka side is
 * booted; `schemaIds` is the table the boot fills, with which it frames the records encoded before that.
 */
import type { Kafka } from 'kafkajs';
import type { Config } from '../config';
import type { Delivery } from '../kafka/delivery';
import { createBatchProducer } from '../kafka/producers';
import { Publisher } from '../kafka/publisher';
import { Spool } from '../kafka/spool/spool';
import { SpoolingPublisher } from '../kafka/spool/spooling-publisher';
import type { Logger, Metrics } from '../observability';

export async function openDelivery(
  config: Pick<Config, 'kafka' | 'spool'>,
  kafka: Kafka,
  schemaIds: ReadonlyMap<string, number>,
  metrics: Metrics,
  logger: Logger,
): Promise<Delivery> {
  const { producer: limits } = config.kafka;
  const publisher = new Publisher(createBatchProducer(config.kafka, kafka, { logger }), {
    ...limits,
    onBatch: (records, _bytes, durationMs) => {
      metrics.batchRecords.observe(records);
      metrics.produceDuration.observe(durationMs / 1000);
    },
  });
  if (!config.spool.enabled) return publisher;

  const log = (level: 'info' | 'warn', fields: Record<string, unknown>, message: string) =>
    logger[level](fields, message);
  const { dir, maxBytes, fsync, segmentBytes, handoffMs } = config.spool;
  const spool = await Spool.open({ dir, maxBytes, fsync, segmentBytes, log });
  const { records, bytes } = spool.stats();
  logger.info({ dir, records, bytes }, 'spool opened');
  return new SpoolingPublisher(publisher, spool, {
    handoffMs,
    schemaIds,
    maxBatchRecords: limits.maxBatchRecords,
    maxBatchBytes: limits.maxBatchBytes,
    log,
    onSpooled: () => metrics.spoolAppendedRecords.inc(),
    onReplayed: (replayed) => metrics.spoolReplayedRecords.inc(replayed),
  });
}
