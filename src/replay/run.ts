/**
 * The replay command's composition: from the client config (kafka, schemaRegistry, archive, normalize), the
 * Kafka and registry clients, the current encoder and mapping, and a Publisher for the replayed events; every
 * failure becomes a ReplayError that says which side failed.
 */
import { topicsOf, type ClientConfig } from '../config';
import { createEventEncoder } from '../events/encode';
import { createKafkaClient, createRegistryClient } from '../kafka/clients';
import { createProducer } from '../kafka/producer';
import { Publisher } from '../kafka/publisher';
import { createRegistryHttp } from '../kafka/registry-http';
import { resolveSchemaIds, topicSubjects } from '../kafka/schema-ids';
import type { Logger } from '../observability';
import { normalize as currentNormalize } from '../thingspace/normalize';
import { ReplayError, type ReplayErrorCode } from './errors';
import { createRemapper } from './remap';
import { replay, type ReplayPlan, type ReplayReport, type ReplaySummary } from './replay';

export interface ReplayRun {
  plan: ReplayPlan;
  config: Pick<ClientConfig, 'kafka' | 'schemaRegistry' | 'archive' | 'normalize'>;
  logger: Logger;
  onReport?: (report: ReplayReport) => void;
  /** The mapping to replay through: the current one unless a test gives another. */
  normalize?: typeof currentNormalize;
}

/** A tool run by hand: give up on an unreachable broker after a few seconds, not kafkajs's half minute. */
const RETRIES = 2;

export async function runReplay(run: ReplayRun): Promise<ReplaySummary> {
  const { plan, config, logger } = run;
  const kafka = createKafkaClient(config.kafka, {
    logger,
    clientId: `${config.kafka.clientId}-replay`,
    retry: { retries: RETRIES },
  });
  const registry = createRegistryClient(config.schemaRegistry);
  const topics = topicsOf(config.kafka);
  const schemaIds = await failingAs('REPLAY_REGISTRY_FAILED', 'schema registry', () =>
    resolveSchemaIds(createRegistryHttp(config.schemaRegistry), topicSubjects(topics), {
      register: config.schemaRegistry.registerSchemas,
    }),
  );
  const remap = createRemapper({
    normalize: run.normalize ?? currentNormalize,
    normalizeOptions: { kindPriority: config.normalize.kindPriority },
    encoder: createEventEncoder(topics, schemaIds),
    maxRecordBytes: config.kafka.producer.maxBatchBytes,
  });
  const publisher = new Publisher(createProducer(kafka), config.kafka.producer);
  if (!plan.dryRun) await failingAs('REPLAY_KAFKA_FAILED', 'Kafka', () => publisher.start());
  try {
    return await failingAs('REPLAY_KAFKA_FAILED', 'Kafka', () =>
      replay(plan, {
        kafka,
        sourceTopic: plan.from === 'archive' ? config.archive.topic : topics['dead-letter'],
        categoryTopics: [topics['async-response'], topics['external-change'], topics['device-originated']],
        remap,
        decode: (value) =>
          failingAs('REPLAY_REGISTRY_FAILED', 'schema registry', () => registry.decode(value)),
        delivery: publisher,
        onReport: run.onReport,
      }),
    );
  } finally {
    if (!plan.dryRun) await publisher.close();
  }
}

/** Runs `step`; any failure but a ReplayError becomes one with `code`, its message prefixed by `side`. */
async function failingAs<T>(code: ReplayErrorCode, side: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof ReplayError) throw err;
    throw new ReplayError(code, `${side}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}
