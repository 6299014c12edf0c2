/**
 * One dedupe node assembled from its config: the category topics of `kafka.topics` (the dead-letter topic is not
 * deduplicated), their output and changelog topics ensured, then the loop until `signal` aborts.
 */
import { hostname } from 'node:os';
import type { DedupeServiceConfig } from '../config';
import { topicsOf } from '../config';
import { platformaticConnection } from '../kafka/clients';
import type { Logger } from '../observability';
import { DiskSeenStore } from './disk-store';
import { MemorySeenStore } from './memory-store';
import type { SeenStore } from './seen-store';
import { DedupeService, type DedupeServiceOptions } from './service';
import { dedupeTopics, ensureDedupeTopics } from './topics';

/** What the service tells (metrics, readiness: monitor.ts), and its store. */
export interface DedupeHooks extends Pick<
  DedupeServiceOptions,
  'onBatch' | 'onAbort' | 'onJoin' | 'onRestored' | 'onLag'
> {
  /** The state store of a partition; else on disk under `dedupe.stateDir`, in memory without one. */
  createStore?: (topic: string, partition: number) => SeenStore;
}

/** The topics deduplicated: every stream's but the dead letters' (nothing a reader would drop a copy of). */
export function categoryTopics(kafka: DedupeServiceConfig['kafka']): string[] {
  return Object.entries(topicsOf(kafka))
    .filter(([stream]) => stream !== 'dead-letter')
    .map(([, topic]) => topic);
}

export async function runDedupe(
  config: DedupeServiceConfig,
  logger: Logger,
  signal: AbortSignal,
  hooks: DedupeHooks = {},
): Promise<void> {
  const { kafka, dedupe } = config;
  const connection = platformaticConnection(kafka, `${kafka.clientId}-dedupe`);
  const streams = dedupeTopics(categoryTopics(kafka), dedupe.groupId);
  await ensureDedupeTopics(connection, streams, { windowMs: dedupe.windowMs, create: kafka.createTopics });
  const transactionalId = `${dedupe.groupId}-${dedupe.instanceId ?? hostname()}`;
  logger.info({ groupId: dedupe.groupId, transactionalId, streams }, 'dedupe starting');
  const { createStore, ...events } = hooks;
  await new DedupeService({
    ...events,
    connection,
    groupId: dedupe.groupId,
    transactionalId,
    streams,
    windowMs: dedupe.windowMs,
    batchSize: dedupe.batchSize,
    lingerMs: dedupe.lingerMs,
    expiryIntervalMs: dedupe.expiryIntervalMs,
    createStore: createStore ?? storeFactory(dedupe.stateDir),
    logger,
  }).run(signal);
}

/** One LMDB file per partition under `stateDir` (a restart reads only the changelog's tail); else memory. */
function storeFactory(stateDir: string | undefined): DedupeServiceOptions['createStore'] {
  if (stateDir === undefined) return () => new MemorySeenStore();
  return (topic, partition) => DiskSeenStore.open(stateDir, topic, partition);
}
