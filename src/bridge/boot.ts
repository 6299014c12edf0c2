/**
 * The Kafka side of a node, booted in the background once it listens: topics checked or created, schema ids
 * resolved (into the node's table, which the encoder and the spool read), the delivery connected. Retried with
 * jittered backoff (util/backoff) until it succeeds or the signal aborts it (close()), so a node started before
 * its brokers comes up by itself, as Kubernetes expects, without all the nodes of a deployment retrying at the
 * same instants; each step is reported as a check that passed or failed, for /readyz to say why the node waits.
 */
import type { Admin, Kafka } from 'kafkajs';
import type { Config } from '../config';
import type { Stream } from '../events/schemas';
import { NotReadyError } from '../http/errors';
import type { Delivery } from '../kafka/delivery';
import { failureInWords } from '../kafka/failure-words';
import type { RegistryHttp } from '../kafka/registry-http';
import { registryFaultOf, resolveSchemaIds, topicSubjects } from '../kafka/schema-ids';
import { ensureTopics, type TopicSpec } from '../kafka/topics';
import type { Logger } from '../observability';
import { backoffDelay, type Backoff, type Random } from '../util/backoff';

export interface KafkaSide {
  config: Pick<Config, 'kafka' | 'schemaRegistry' | 'archive'>;
  kafka: Kafka;
  registry: RegistryHttp;
  topics: Readonly<Record<Stream, string>>;
  delivery: Delivery;
  /** Filled by the boot, before the delivery starts. */
  schemaIds: Map<string, number>;
  logger: Logger;
  /** A check passed (no failure) or failed, as each attempt goes. */
  onCheck?: (check: BootCheck, failure?: unknown) => void;
  /** The backoff's jitter; Math.random when absent. */
  random?: Random;
}

/** What the boot checks, in its order; Kafka again last, when the delivery connects. */
export type BootCheck = 'kafka' | 'topics' | 'registry' | 'schemas';

/** 0.5 s doubling to 30 s, jittered. */
const RETRY: Backoff = { baseMs: 500, maxMs: 30_000 };

/** Resolves once booted; rejects with NotReadyError once the signal aborts. */
export async function bootKafkaSide(side: KafkaSide, signal: AbortSignal): Promise<void> {
  const admin = side.kafka.admin();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await bootOnce(side, admin, signal);
      } catch (err) {
        if (signal.aborted) throw err;
        const delay = backoffDelay(attempt, { ...RETRY, random: side.random });
        // The cause in words in the message (as /readyz gives it); the error itself, with its stack, beside it.
        side.logger.error(
          { err, retryInMs: delay },
          `cannot boot the Kafka side yet: ${failureInWords(err)}`,
        );
        await sleep(delay, signal);
        throwIfAborted(signal);
      }
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** One attempt; no further step is taken once the signal aborted. */
async function bootOnce(side: KafkaSide, admin: Admin, signal: AbortSignal): Promise<void> {
  const { config, topics } = side;
  await check(side, 'kafka', () => admin.connect());
  throwIfAborted(signal);
  const specs: TopicSpec[] = Object.values(topics).map((topic) => ({ topic, ...config.kafka.newTopics }));
  if (config.archive.enabled) specs.push(archiveTopicSpec(config));
  await check(side, 'topics', () => ensureTopics(admin, specs, { create: config.kafka.createTopics }));
  throwIfAborted(signal);
  const schemaIds = await resolveChecked(side);
  throwIfAborted(signal);
  for (const [subject, id] of schemaIds) side.schemaIds.set(subject, id);
  // Last: a failed start leaves the delivery unstarted, so the next attempt starts it again.
  await check(side, 'kafka', () => side.delivery.start());
  throwIfAborted(signal);
}

/**
 * The schema ids, reported as two checks: the registry's own failure (down, credentials refused, a wrong URL)
 * fails `registry`; a schema it refused fails `schemas`.
 */
async function resolveChecked(side: KafkaSide): Promise<Map<string, number>> {
  const { config, topics, registry } = side;
  try {
    const ids = await resolveSchemaIds(registry, topicSubjects(topics), {
      register: config.schemaRegistry.registerSchemas,
    });
    side.onCheck?.('registry');
    side.onCheck?.('schemas');
    return ids;
  } catch (err) {
    const fault = registryFaultOf(err);
    if (fault) side.onCheck?.('registry', fault);
    else {
      side.onCheck?.('registry');
      side.onCheck?.('schemas', err);
    }
    throw err;
  }
}

/** Runs one step, reporting it as the check that passed or failed. */
async function check(side: KafkaSide, name: BootCheck, step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (err) {
    side.onCheck?.(name, err);
    throw err;
  }
  side.onCheck?.(name);
}

/**
 * The archive topic: partitioned like the others (it is keyed like them), kept long, compressed by the broker.
 * gzip because kafkajs, which `replay` reads it with, decompresses gzip by itself; zstd, lz4 and snappy would each
 * need a codec it does not ship.
 */
export function archiveTopicSpec(config: Pick<Config, 'kafka' | 'archive'>): TopicSpec {
  return {
    topic: config.archive.topic,
    ...config.kafka.newTopics,
    configEntries: [
      { name: 'retention.ms', value: String(config.archive.retentionMs) },
      { name: 'compression.type', value: 'gzip' },
    ],
  };
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new NotReadyError('draining');
}

/** Resolves after `ms`, or at once when the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
