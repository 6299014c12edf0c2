/**
 * One ingress node, assembled from its config: the listeners, the pipeline and the Kafka side, with their
 * lifecycle.
 *
 * start(): listen at once (health answers, readiness says "starting", callbacks get 503), then boot the Kafka
 *   side (producer connected, topics checked or created, schema ids resolved), retrying with backoff until it
 *   succeeds or close() is called: a node started before its brokers comes up by itself, as Kubernetes expects.
 * spool (config `spool.enabled`): opened by start() before listening; a spool left non-empty by the last run
 *   starts the node in 'spooling' and is replayed once the Kafka side is booted (src/kafka/spool/).
 * close(): readiness false and new callbacks 503 (draining), in-flight requests finish, the publisher flushes and
 *   disconnects, then the listeners close; all within http.shutdownGraceMs. The listeners stay open during the
 *   drain so that whoever still reaches the node (a load balancer that has not seen readiness fail yet, a
 *   kept-alive connection) gets a 503 with Retry-After and /readyz answers, instead of a refused or reset
 *   connection.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Admin } from 'kafkajs';
import { createAuthenticator } from './auth';
import { topicsOf, type Config } from './config';
import { createEventEncoder, valueSubject } from './events/encode';
import { SCHEMAS, type Stream } from './events/schemas';
import { createApp, type Readiness } from './http/app';
import { createCallbackHandler, type CallbackHandler } from './ingress/handle-callback';
import { createKafkaClient, createRegistryClient } from './kafka/clients';
import { KafkaUnavailableError, DeliveryTimeoutError } from './kafka/errors';
import { createProducer } from './kafka/producer';
import { Publisher, type PublishRecord } from './kafka/publisher';
import { Spool } from './kafka/spool/spool';
import { SpoolingPublisher } from './kafka/spool/spooling-publisher';
import { resolveSchemaIds } from './kafka/schema-ids';
import { ensureTopics } from './kafka/topics';
import { createMetrics, type Logger, type Metrics } from './observability';
import { findService, type ServiceName } from './thingspace/catalogue';
import { NotReadyError } from './http/errors';

export interface Listener {
  /** The service a per-service listener serves; undefined for the main listener. */
  service?: ServiceName;
  port: number;
}

export interface Bridge {
  readonly metrics: Metrics;
  /** Listens, then boots the Kafka side in the background; resolves once listening. */
  start(): Promise<Listener[]>;
  /** Resolves when the Kafka side is booted (for tests and the demo); rejects if close() came first. */
  ready(): Promise<void>;
  /** Graceful shutdown; resolves true when everything finished within the grace period. Idempotent. */
  close(): Promise<boolean>;
}

const BOOT_RETRY_MIN_MS = 500;
const BOOT_RETRY_MAX_MS = 30_000;

export function createBridge(config: Config, logger: Logger): Bridge {
  const metrics = createMetrics();
  const topics: Record<Stream, string> = topicsOf(config.kafka);
  const kafka = createKafkaClient(config.kafka, { logger });
  const registry = createRegistryClient(config.schemaRegistry);
  const publisher = new Publisher(createProducer(kafka), {
    ...config.kafka.producer,
    onBatch: (records, _bytes, durationMs) => {
      metrics.batchRecords.observe(records);
      metrics.produceDuration.observe(durationMs / 1000);
    },
  });
  const disabled = new Set(
    Object.entries(config.services)
      .filter(([, options]) => !options.enabled)
      .map(([name]) => canonicalService(name)),
  );

  let state: 'new' | 'starting' | 'ready' | 'draining' = 'new';
  /** Set when a publish failed for Kafka's sake, cleared by the next success: readiness reports it. */
  let kafkaFailing = false;
  let publisherStarted = false;
  let handle: CallbackHandler = () => Promise.reject(new NotReadyError('starting'));
  let booted: Promise<void> | undefined;
  let stopBooting: (() => void) | undefined;
  /** With spool.enabled: opened by start(). */
  let spool: Spool | undefined;
  let delivery: SpoolingPublisher | undefined;
  const servers: Server[] = [];
  /** Requests not yet answered: close() waits for those that came before it. */
  const answering = new Set<ServerResponse>();
  let closed: Promise<boolean> | undefined;

  const readiness: Readiness = () => {
    if (state === 'draining') return 'draining';
    if (state !== 'ready') return 'starting';
    // With the spool, a failing Kafka is what the spool is for: the node still takes callbacks, until it is full.
    if (delivery) return delivery.status().full ? 'spool-full' : undefined;
    return kafkaFailing ? 'kafka-unavailable' : undefined;
  };

  const readinessDetails = (): Record<string, unknown> => {
    if (!delivery || !spool) return {};
    const { records, bytes } = spool.stats();
    return { delivery: delivery.status().mode, spool: { records, bytes, maxBytes: spool.maxBytes } };
  };

  const sampleGauges = () => {
    metrics.queuedRecords.set(publisher.stats().queuedRecords);
    if (spool) {
      const { records, bytes, oldestAppendedAt } = spool.stats();
      metrics.spoolRecords.set(records);
      metrics.spoolBytes.set(bytes);
      metrics.spoolOldestAgeSeconds.set(
        oldestAppendedAt === undefined ? 0 : Math.max(0, (Date.now() - oldestAppendedAt) / 1000),
      );
    }
  };

  const publish = (record: PublishRecord) =>
    (delivery ? delivery.publish(record) : publisher.publish(record)).then(
      (published) => {
        if ('spooled' in published && published.spooled) metrics.spoolAppendedRecords.inc();
        else kafkaFailing = false;
        return published;
      },
      (err: unknown) => {
        if (err instanceof KafkaUnavailableError || err instanceof DeliveryTimeoutError) kafkaFailing = true;
        throw err;
      },
    );

  const appDeps = {
    http: config.http,
    serviceEnabled: (service: ServiceName) => !disabled.has(service),
    // Through a closure: the handler exists only once the Kafka side is booted.
    handle: (incoming: Parameters<CallbackHandler>[0]) => handle(incoming),
    readiness,
    metrics,
    logger,
    readinessDetails,
    beforeScrape: sampleGauges,
  };

  function listen(service: ServiceName | undefined, port: number): Promise<Listener> {
    const app = createApp(appDeps, service);
    const callback = app.callback();
    const server = createServer((req, res) => {
      // Draining: each connection goes once its answer (a 503) is out, so none is left for the listener's close
      // to cut while a request travels on it.
      if (state === 'draining') res.setHeader('Connection', 'close');
      answering.add(res);
      res.once('close', () => answering.delete(res));
      void callback(req, res);
    });
    server.requestTimeout = config.http.requestTimeoutMs;
    server.keepAliveTimeout = config.http.keepAliveTimeoutMs;
    // Headers come before the body timeout starts: bound them by it too.
    server.headersTimeout = Math.min(config.http.bodyTimeoutMs, config.http.requestTimeoutMs);
    servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, config.http.host, () => {
        server.off('error', reject);
        resolve({ ...(service ? { service } : {}), port: (server.address() as AddressInfo).port });
      });
    });
  }

  /** One attempt; `checkStopped` throws once close() has come, so no further step is taken after it. */
  async function bootOnce(admin: Admin, checkStopped: () => void): Promise<void> {
    // A failed connect leaves the publisher unstarted, so the next attempt starts it again.
    if (!publisherStarted) {
      await publisher.start();
      publisherStarted = true;
    }
    checkStopped();
    await admin.connect();
    checkStopped();
    await ensureTopics(
      admin,
      Object.values(topics).map((topic) => ({ topic, ...config.kafka.newTopics })),
      { create: config.kafka.createTopics },
    );
    checkStopped();
    const schemaIds = await resolveSchemaIds(
      registry,
      (Object.keys(topics) as Stream[]).map((stream) => ({
        subject: valueSubject(topics[stream]),
        schema: SCHEMAS[stream],
      })),
      { register: config.schemaRegistry.registerSchemas },
    );
    checkStopped();
    handle = createCallbackHandler({
      parserLimits: { maxBodyBytes: config.http.maxBodyBytes },
      authenticator: createAuthenticator(config.accounts),
      normalizeOptions: { kindPriority: config.normalize.kindPriority },
      encoder: createEventEncoder(topics, schemaIds),
      publish,
      // A record above the batch cap would go alone and meet the broker's message.max.bytes, which the cap's
      // default sits just below: refuse or dead-letter it here rather than have ThingSpace retry it in vain.
      maxRecordBytes: config.kafka.producer.maxBatchBytes,
      ingressNode: config.node,
      onAuthFailure: (reason) => metrics.authFailures.inc({ reason }),
      onAnomalies: (anomalies) => anomalies.forEach((anomaly) => metrics.anomalies.inc({ anomaly })),
      onDeadLetter: (reason, eventId) => logger.warn({ eventId, err: reason }, 'dead-lettering a callback'),
    });
  }

  async function boot(): Promise<void> {
    const admin = kafka.admin();
    let stopped = false;
    let wake: (() => void) | undefined;
    stopBooting = () => {
      stopped = true;
      wake?.();
    };
    const checkStopped = () => {
      if (stopped) throw new NotReadyError('draining');
    };
    try {
      for (let delay = BOOT_RETRY_MIN_MS; ; delay = Math.min(delay * 2, BOOT_RETRY_MAX_MS)) {
        try {
          await bootOnce(admin, checkStopped);
          break;
        } catch (err) {
          if (stopped) throw err;
          logger.error({ err, retryInMs: delay }, 'cannot boot the Kafka side yet');
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, delay).unref();
          });
          if (stopped) throw new NotReadyError('draining');
        }
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    checkStopped();
    state = 'ready';
    delivery?.start();
    logger.info({ topics }, 'ready: Kafka reachable, topics present, schema ids resolved');
  }

  async function drain(): Promise<boolean> {
    // From here on readiness says "draining" and the guard answers callbacks 503 before reading their bodies.
    state = 'draining';
    stopBooting?.();
    // Every request the guard let through came before this line (the guard runs in the request's own tick).
    const taken = [...answering].map((res) => {
      // Their connections go with their answers too: a client would send its next request on them just as the
      // listener closes and cuts idle connections.
      if (!res.headersSent) res.setHeader('Connection', 'close');
      return new Promise((resolve) => res.once('close', resolve));
    });
    const drained = (async () => {
      await Promise.all(taken);
      // A boot attempt under way ends first (a kafkajs connect keeps retrying for ~10 s and cannot be called off):
      // a producer it connected after the publisher's close would keep the process alive.
      await booted?.catch(() => undefined);
      // The replayer stops after its window; the publisher's close settles that window's records.
      const replayerStopped = delivery?.stop();
      await publisher.close();
      await replayerStopped;
      // Every handoff has appended by now (the publisher settled every direct attempt): nothing more comes.
      await spool?.close();
      // One whole turn of the event loop (a poll phase between two check phases): requests that have already
      // arrived on kept-alive connections are read, and answered 503, instead of being cut with the connections
      // that the listener's close finds idle.
      await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
      await Promise.all(servers.map(closeListener));
    })();
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      drained.then(
        () => true,
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          return false;
        },
      ),
      new Promise<false>(
        (resolve) => (timer = setTimeout(() => resolve(false), config.http.shutdownGraceMs)),
      ),
    ]);
    clearTimeout(timer);
    if (!inTime) {
      logger.warn({ unanswered: answering.size }, 'shutdown grace period over: closing what is left');
    }
    for (const server of servers) {
      if (server.listening) server.close();
      server.closeAllConnections();
    }
    return inTime;
  }

  return {
    metrics,

    async start() {
      if (state !== 'new') throw new Error(`Bridge.start() when ${state}`);
      state = 'starting';
      const listeners: Listener[] = [];
      if (config.spool.enabled) {
        spool = await openSpool(config, logger);
        delivery = new SpoolingPublisher(publisher, spool, {
          handoffMs: config.spool.handoffMs,
          maxBatchRecords: config.kafka.producer.maxBatchRecords,
          maxBatchBytes: config.kafka.producer.maxBatchBytes,
          log: (level, fields, message) => logger[level](fields, message),
          onReplayed: (records) => metrics.spoolReplayedRecords.inc(records),
        });
        const { records, bytes } = spool.stats();
        logger.info({ dir: config.spool.dir, records, bytes }, 'spool opened');
      }
      try {
        listeners.push(await listen(undefined, config.http.port));
        for (const [name, options] of Object.entries(config.services)) {
          if (options.port !== undefined && options.enabled) {
            listeners.push(await listen(canonicalService(name), options.port));
          }
        }
      } catch (err) {
        // Never half-started: the listeners already open would keep the process alive, serving without a future.
        for (const server of servers) {
          if (server.listening) server.close();
        }
        throw err;
      }
      booted = boot();
      // Observed through ready(); an unobserved rejection here would crash the process.
      booted.catch(() => undefined);
      return listeners;
    },

    ready() {
      if (!booted) return Promise.reject(new Error('Bridge.ready() before start()'));
      return booted;
    },

    close() {
      closed ??= drain();
      return closed;
    },
  };
}

function openSpool(config: Config, logger: Logger): Promise<Spool> {
  return Spool.open({
    dir: config.spool.dir,
    maxBytes: config.spool.maxBytes,
    fsync: config.spool.fsync,
    segmentBytes: config.spool.segmentBytes,
    log: (level, fields, message) => logger[level](fields, message),
  });
}

/** Stops accepting; resolves once every connection has ended (idle ones are closed at once). */
function closeListener(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

function canonicalService(name: string): ServiceName {
  const entry = findService(name);
  if (!entry) throw new Error(`services.${name}: not a ThingSpace callback service this bridge knows`);
  return entry.name;
}
