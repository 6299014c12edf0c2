/**
 * `thingspace-bridge serve [--config FILE]` (also `npm start`): runs an ingress node until SIGTERM or SIGINT,
 * then shuts down gracefully. The config file comes from --config or BRIDGE_CONFIG (YAML or JSON); KAFKA_BROKERS,
 * SCHEMA_REGISTRY_URL and BRIDGE_PORT override it. An invalid config lists every problem and exits 2 before
 * anything starts, as do an unknown option and a stray argument. With `thingspace.recovery.enabled`, the node
 * calls StartSmsCallback after an outage (src/bridge/recovery.ts) through the API of the `thingspace` section.
 */
import { createBridge } from '../bridge';
import { loadConfig } from '../config';
import { defineCommand, EXIT_USAGE, parseCommand } from './command';
import { configArgv, startWithConfig } from './config';
import { platformStartSms } from './start-sms';

export const DESCRIPTION = 'run the bridge: take callbacks, publish them to Kafka, until SIGTERM or SIGINT';

function command() {
  return defineCommand('serve', DESCRIPTION).option(
    '-c, --config <file>',
    'the config file, YAML or JSON (default: $BRIDGE_CONFIG)',
  );
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseCommand(command(), args);
  if (!parsed.ok) return parsed.code;
  const started = startWithConfig('serve', () =>
    loadConfig({ argv: configArgv(parsed.options), env: process.env, cwd: process.cwd() }),
  );
  if (started === undefined) return EXIT_USAGE;
  const { config, file, logger } = started;

  const { thingspace } = config;
  const startSms =
    thingspace &&
    platformStartSms(thingspace, (event) => logger.warn(event, 'ThingSpace API: no answer, retrying'));
  const bridge = createBridge(config, logger, { startSms });
  const listeners = await bridge.start();
  logger.info({ config: file, node: config.node, listeners }, 'listening');

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal, graceMs: config.http.shutdownGraceMs }, 'shutting down');
  const inTime = await bridge.close();
  logger.info({ inTime }, 'stopped');
  const code = inTime ? 0 : 1;
  // Whatever the bridge owned is closed, but kafkajs goes on retrying a batch nobody waits for any more, without
  // limit, even after its producer disconnected (src/kafka/publisher.ts, close()): with Kafka down at shutdown its
  // timers would keep the process alive until the orchestrator kills it. Exit on our own if the event loop has
  // not emptied by then (unref: a process with nothing left exits at once, as usual).
  setTimeout(() => process.exit(code), EXIT_AFTER_STOPPED_MS).unref();
  return code;
}

/** How long after `stopped` the process may take to exit by itself. */
const EXIT_AFTER_STOPPED_MS = 1000;
