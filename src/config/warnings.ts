import type { Config } from './schema';

/** Ports ThingSpace accepts in a registered callback URL (THINGSPACE.md §4). */
const REGISTRABLE_PORTS: readonly (readonly [number, number])[] = [
  [80, 80],
  [443, 443],
  [9001, 9006],
  [28200, 28220],
  [50551, 50559],
];

/** Settings that are valid but probably not what production wants; the caller logs them at start. */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.http.allowedSources.length === 0) {
    warnings.push(
      "http.allowedSources is empty: callbacks are accepted from any address; list ThingSpace's sender addresses",
    );
  }
  if (config.http.publicBaseUrl !== undefined) {
    const url = new URL(config.http.publicBaseUrl);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    if (!REGISTRABLE_PORTS.some(([low, high]) => port >= low && port <= high)) {
      warnings.push(
        `http.publicBaseUrl: ThingSpace does not register URLs on port ${port} (it takes 80, 443, 9001-9006, 28200-28220, 50551-50559)`,
      );
    }
  }
  if (config.kafka.sasl?.mechanism === 'plain' && !config.kafka.tls.enabled) {
    warnings.push('kafka.sasl: mechanism plain without kafka.tls sends the SASL password in clear');
  }
  return warnings;
}
