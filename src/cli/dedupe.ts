/**
 * `thingspace-bridge dedupe [--config FILE]`: runs a dedupe node (docs/dedupe.md) until SIGTERM or SIGINT, then
 * lets the batch in flight commit (a restore in progress is cut short), leaves the consumer group and exits 0.
 * /metrics, /healthz and /readyz on `dedupe.port` from the start; /readyz is 503 `stopping` once the signal came.
 * Reads the kafka, log and dedupe sections of the config file (--config or BRIDGE_CONFIG, optional: KAFKA_BROKERS
 * can say everything). An invalid config lists every problem and exits 2 before anything starts; the port taken,
 * Kafka unreachable or a topic wrong at start exits 1.
 */
import { loadDedupeConfig } from '../config';
import { createDedupeMetrics } from '../dedupe/metrics';
import { DedupeMonitor } from '../dedupe/monitor';
import { runDedupe } from '../dedupe/run';
import { openMetricsPort, type MetricsPort } from '../http/metrics-port';
import { defineCommand, EXIT_FAILED, EXIT_OK, EXIT_USAGE, parseCommand } from './command';
import { configArgv, startWithConfig } from './config';

export const DESCRIPTION =
  'copy each category topic to <topic>.deduped, each eventId once (Kafka transactions), until SIGTERM or SIGINT';

function command() {
  return defineCommand('dedupe', DESCRIPTION).option(
    '-c, --config <file>',
    'the config file, YAML or JSON (default: $BRIDGE_CONFIG; optional)',
  );
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseCommand(command(), args);
  if (!parsed.ok) return parsed.code;
  const started = startWithConfig('dedupe', () =>
    loadDedupeConfig({ argv: configArgv(parsed.options), env: process.env, cwd: process.cwd() }),
  );
  if (started === undefined) return EXIT_USAGE;
  const { config, file, logger } = started;
  const controller = new AbortController();
  const metrics = createDedupeMetrics();
  const monitor = new DedupeMonitor(metrics);
  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    monitor.stop();
    controller.abort();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  logger.info({ config: file }, 'dedupe node starting');
  let port: MetricsPort | undefined;
  try {
    const { host, port: listen } = config.dedupe;
    port = await openMetricsPort({
      host,
      port: listen,
      metrics,
      beforeScrape: monitor.beforeScrape,
      probes: monitor,
    });
    logger.info({ host, port: port.port }, 'dedupe port listening: /metrics, /healthz, /readyz');
    await runDedupe(config, logger, controller.signal, monitor.hooks);
  } catch (err) {
    logger.error({ err }, 'dedupe could not start');
    return EXIT_FAILED;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    await port?.close();
  }
  logger.info('stopped');
  return EXIT_OK;
}
