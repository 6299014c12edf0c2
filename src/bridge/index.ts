/**
 * One ingress node, assembled from its config: the listeners, the pipeline and the Kafka side, with their
 * lifecycle (status.ts: new -> starting -> ready -> draining).
 *
 * start(): opens the delivery (delivery.ts: with `spool.enabled`, the spool first), listens at once, then boots the
 *   Kafka side in the background (boot.ts), retrying until it succeeds or close() is called. Without a spool the
 *   node says "starting" and answers callbacks 503 until booted; with one it is ready at once, taking callbacks
 *   into the spool (boot into the spool), replayed to Kafka once booted. /readyz tells each check's state (Kafka,
 *   topics, registry, schemas, spool) and why a failing one fails, either way.
 * close(): readiness false and new callbacks 503 (draining), in-flight requests finish, the delivery flushes and
 *   disconnects, then the listeners close; all within http.shutdownGraceMs. The listeners stay open during the
 *   drain so that whoever still reaches the node (a load balancer that has not seen readiness fail yet, a
 *   kept-alive connection) gets a 503 with Retry-After and /readyz answers, instead of a refused or reset
 *   connection.
 *
 * With `thingspace.recovery.enabled`, the recovery loop (recovery.ts) watches the node from start to close, and
 * its run marker (run-marker.ts) is removed only by a close that finished in time.
 */
import { createAuthenticator } from '../auth';
import { topicsOf, type Config } from '../config';
import { Admission } from '../http/admission';
import { createEarlyShed } from '../http/early-shed';
import { createApp, type AppDeps } from '../http/app';
import { openHealthPort, type HealthPort } from '../http/health-port';
import { openMetricsPort, type MetricsPort } from '../http/metrics-port';
import { NotReadyError } from '../http/errors';
import type { CallbackHandler } from '../ingress/handle-callback';
import { createKafkaClient } from '../kafka/clients';
import { createRegistryHttp } from '../kafka/registry-http';
import type { Delivery } from '../kafka/delivery';
import { createMetrics, createTracing, type Logger, type Metrics } from '../observability';
import { findService, type ServiceName } from '../thingspace/catalogue';
import { packageVersion } from '../util/version';
import { bootKafkaSide, type BootCheck } from './boot';
import { openDelivery } from './delivery';
import { Listeners, type Listener } from './listeners';
import { createPipeline } from './pipeline';
import { RecoveryLoop, type RecoveryDeps, type StartSms } from './recovery';
import { markRunning, type RunMarker } from './run-marker';
import {
  bootingState,
  readinessDetails,
  readinessOf,
  recordCheck,
  sampleGauges,
  type KafkaSideState,
  type Lifecycle,
} from './status';

export type { Listener } from './listeners';
export type { StartSms } from './recovery';

/** What the node is given besides its config. */
export interface BridgeParts {
  /** StartSmsCallback for the recovery loop; required when `thingspace.recovery.enabled`. */
  startSms?: StartSms;
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

export function createBridge(config: Config, logger: Logger, parts: BridgeParts = {}): Bridge {
  const metrics = createMetrics();
  metrics.buildInfo.set(
    { version: packageVersion(), node: process.version, kafka_client: config.kafka.client },
    1,
  );
  // Undefined unless `tracing.enabled`: then no OpenTelemetry SDK module is loaded.
  const tracing = createTracing(config.tracing, config.node, logger);
  const topics = topicsOf(config.kafka);
  const kafka = createKafkaClient(config.kafka, { logger });
  // One for the guards (path tokens) and the pipeline (credentials): its salt is per instance.
  const authenticator = createAuthenticator(config.accounts);
  const stopBooting = new AbortController();
  let lifecycle: Lifecycle = 'new';
  let delivery: Delivery | undefined;
  let handle: CallbackHandler = () => Promise.reject(new NotReadyError('starting'));
  // Filled by the boot; read by the encoder and the spool's replay at each record.
  const schemaIds = new Map<string, number>();
  const kafkaSide: KafkaSideState = bootingState();
  let booted: Promise<void> | undefined;
  let closed: Promise<boolean> | undefined;
  let marker: RunMarker | undefined;
  let healthPort: HealthPort | undefined;
  let metricsPort: MetricsPort | undefined;
  const readiness = () => readinessOf(lifecycle, delivery);
  const recovery = recoveryLoop(config, parts, { readiness, metrics, logger });
  const admission = new Admission(config.http.admission, metrics, logger);
  const listeners = new Listeners(config.http, logger, createEarlyShed(admission, metrics));

  const beforeScrape = () => sampleGauges(metrics, readiness() === undefined, delivery);
  const appDeps: AppDeps = {
    http: config.http,
    serviceEnabled: enabledServices(config),
    pathAccount: (token) => authenticator.pathAccount(token),
    // Through a closure: the handler exists only once the Kafka side is booted.
    handle: (incoming) => handle(incoming),
    readiness,
    admission,
    readinessDetails: () => readinessDetails(kafkaSide, delivery),
    beforeScrape,
    metricsElsewhere: config.http.metricsPort !== undefined,
    metrics,
    logger,
    onServerError: recovery && ((service, reason) => recovery.refused(service, reason)),
    tracing,
  };

  const pipeline = (opened: Delivery) =>
    createPipeline({
      config,
      authenticator,
      topics,
      schemaIds,
      delivery: opened,
      metrics,
      logger,
      onUndelivered:
        recovery && ((service, account, reason) => recovery.refusedAfterAuth(service, account, reason)),
      tracing,
    });

  async function boot(opened: Delivery): Promise<void> {
    const registry = createRegistryHttp(config.schemaRegistry);
    const onCheck = (check: BootCheck, failure?: unknown) => recordCheck(kafkaSide, check, failure);
    const side = { config, kafka, registry, topics, delivery: opened, schemaIds, logger, onCheck };
    await bootKafkaSide(side, stopBooting.signal);
    kafkaSide.booted = true;
    if (lifecycle === 'starting') {
      handle = pipeline(opened);
      lifecycle = 'ready';
    }
    logger.info({ topics }, 'Kafka side booted: Kafka reachable, topics present, schema ids resolved');
  }

  async function drain(): Promise<boolean> {
    // From here on readiness says "draining" and the guard answers callbacks 503 before reading their bodies.
    lifecycle = 'draining';
    stopBooting.abort();
    const drained = (async () => {
      // No call starts from here; one under way is not waited for before the drain, only before the end.
      const recoveryStopped = recovery?.stop();
      await listeners.drain();
      // A boot attempt under way ends first (a kafkajs connect keeps retrying for ~10 s and cannot be called off):
      // a producer it connected after the delivery's close would keep the process alive.
      await booted?.catch(() => undefined);
      await delivery?.close();
      await listeners.close();
      await recoveryStopped;
    })();
    const inTime = await withinGrace(drained, config.http.shutdownGraceMs, logger);
    if (!inTime) {
      logger.warn({ unanswered: listeners.unanswered }, 'shutdown grace period over: closing what is left');
    }
    listeners.destroy();
    admission.stop();
    // Outside the grace period: an unreachable collector (the exporter's own timeout) is no unclean shutdown.
    await tracing
      ?.shutdown()
      .catch((err: unknown) => logger.warn({ err }, 'exporting the last spans failed'));
    // Last: a liveness probe keeps its answer through the drain, a scrape sees it.
    await metricsPort?.close();
    await healthPort?.close();
    if (inTime) await marker?.clear();
    return inTime;
  }

  return {
    metrics,

    async start() {
      if (lifecycle !== 'new') throw new Error(`Bridge.start() when ${lifecycle}`);
      lifecycle = 'starting';
      const opened = (delivery = await openDelivery(config, kafka, schemaIds, metrics, logger));
      if (recovery) marker = await watchForRecovery(recovery, config, logger);
      if (config.spool.enabled) {
        // Callbacks go to the spool until the Kafka side is booted: a node started during a Kafka or registry
        // outage still takes them.
        handle = pipeline(opened);
        lifecycle = 'ready';
      }
      const listening = await openListeners(listeners, config, appDeps);
      const { host, healthPort: health, metricsPort: scrape } = config.http;
      try {
        if (health !== undefined) {
          healthPort = await openHealthPort({ host, port: health, readiness });
          listening.push({ health: true, port: healthPort.port });
        }
        if (scrape !== undefined) {
          metricsPort = await openMetricsPort({
            host,
            port: scrape,
            metrics,
            beforeScrape,
          });
          listening.push({ metrics: true, port: metricsPort.port });
        }
      } catch (err) {
        // Never half-started: what opened would keep the process alive.
        listeners.destroy();
        await healthPort?.close();
        throw err;
      }
      booted = boot(opened);
      // Observed through ready(); an unobserved rejection here would crash the process.
      booted.catch(() => undefined);
      return listening;
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

/** The recovery loop when `thingspace.recovery.enabled`, else undefined. */
function recoveryLoop(
  config: Config,
  { startSms }: BridgeParts,
  node: Pick<RecoveryDeps, 'readiness' | 'metrics' | 'logger'>,
): RecoveryLoop | undefined {
  const options = config.thingspace?.recovery;
  if (!options?.enabled) return undefined;
  if (startSms === undefined)
    throw new Error('thingspace.recovery.enabled, but the bridge was given no startSms');
  return new RecoveryLoop({ config, options, startSms, ...node });
}

/**
 * Starts the loop; with a state directory (`recovery.stateDir`, else the spool's), writes the run marker and takes
 * one left by the last run as a crash.
 */
async function watchForRecovery(
  recovery: RecoveryLoop,
  config: Config,
  logger: Logger,
): Promise<RunMarker | undefined> {
  const dir = config.thingspace?.recovery.stateDir ?? (config.spool.enabled ? config.spool.dir : undefined);
  let marker: RunMarker | undefined;
  if (dir === undefined) {
    logger.warn(
      'recovery: no stateDir and no spool, so a crash of this node will not be noticed at its restart',
    );
  } else {
    marker = await markRunning(dir);
    if (marker.crashed) {
      logger.warn({ dir }, 'recovery: the last run did not shut down cleanly');
      recovery.observe({ kind: 'crashed' });
    }
  }
  recovery.start();
  return marker;
}

/** The main listener, then one per service with a port of its own; never half-started. */
async function openListeners(listeners: Listeners, config: Config, deps: AppDeps): Promise<Listener[]> {
  try {
    const opened = [await listeners.open(createApp(deps), undefined, config.http.port)];
    for (const [name, options] of Object.entries(config.services)) {
      if (options.port === undefined || !options.enabled) continue;
      const service = canonicalService(name);
      opened.push(await listeners.open(createApp(deps, service), service, options.port));
    }
    return opened;
  } catch (err) {
    // The listeners already open would keep the process alive, serving without a future.
    listeners.destroy();
    throw err;
  }
}

/** Whether the node takes a (canonical) service: config `services.<name>.enabled`. */
function enabledServices(config: Config): (service: ServiceName) => boolean {
  const disabled = new Set(
    Object.entries(config.services)
      .filter(([, options]) => !options.enabled)
      .map(([name]) => canonicalService(name)),
  );
  return (service) => !disabled.has(service);
}

function canonicalService(name: string): ServiceName {
  const entry = findService(name);
  if (!entry) throw new Error(`services.${name}: not a ThingSpace callback service this bridge knows`);
  return entry.name;
}

/** Whether `work` settled within `ms`; a failure is logged and counts as not in time. */
async function withinGrace(work: Promise<void>, ms: number, logger: Logger): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([
    work.then(
      () => true,
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        return false;
      },
    ),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  return inTime;
}
