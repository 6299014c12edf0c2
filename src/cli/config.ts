/**
 * How `serve` and `tail` start: load the config, and on a ConfigError print every problem and give exit code 2
 * before anything starts; otherwise a logger from its `log` section, with the config's warnings logged.
 */
import type { DestinationStream } from 'pino';
import { ConfigError, type LogConfig } from '../config';
import { createLogger, type Logger } from '../observability';

interface Loaded<C> {
  config: C;
  warnings: readonly string[];
  file: string | undefined;
}

/** `--config` as the config loader reads it (src/config/sources.ts): the flag wins over BRIDGE_CONFIG. */
export function configArgv(options: { config?: unknown }): string[] {
  return typeof options.config === 'string' ? ['--config', options.config] : [];
}

/** The loaded config and its logger; undefined when the config is invalid (the problems are on stderr). */
export function startWithConfig<C extends { log: LogConfig }>(
  command: string,
  load: () => Loaded<C>,
  destination?: DestinationStream,
): (Loaded<C> & { logger: Logger }) | undefined {
  let loaded: Loaded<C>;
  try {
    loaded = load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`thingspace-bridge ${command}: ${err.message}\n`);
    return undefined;
  }
  const logger = createLogger(loaded.config.log, destination);
  for (const warning of loaded.warnings) logger.warn({ config: loaded.file }, warning);
  return { ...loaded, logger };
}
