/** The node's producer as `kafka.client` says: kafkajs's (producer.ts) or @platformatic/kafka's. */
import type { Kafka } from 'kafkajs';
import type { KafkaConfig } from '../config';
import type { Logger } from '../observability';
import { createPlatformaticProducer } from './platformatic-producer';
import { createProducer, type BatchProducer } from './producer';

/**
 * The producer `kafka.client` names. `kafka` is the node's kafkajs client (its admin side stays on kafkajs
 * whichever producer runs); the @platformatic/kafka one gets its own connections, from the same config.
 */
export function createBatchProducer(
  config: KafkaConfig,
  kafka: Kafka,
  options: { logger: Logger; clientId?: string },
): BatchProducer {
  return config.client === 'platformatic'
    ? createPlatformaticProducer(config, options)
    : createProducer(kafka);
}
