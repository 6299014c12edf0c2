/** The node's producer as `kafka.client` says: kafkajs's (producer.ts) or @platformatic/kafka's. */
import type { Kafka } from 'kafkajs';
import type { KafkaConfig } from '../config';
import type { Logger } from '../observability';
import type * as Platformatic from './platformatic-producer';
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
  if (config.client === 'kafkajs') return createProducer(kafka);
  // Loaded only when chosen: @platformatic/kafka's entry brings its registries, protobuf and WASM helpers,
  // about 34 MiB of RSS at start that a node on kafkajs need not carry.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createPlatformaticProducer } = require('./platformatic-producer') as typeof Platformatic;
  return createPlatformaticProducer(config, options);
}
