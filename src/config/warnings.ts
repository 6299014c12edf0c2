import { isRegistrablePort, portOf, REGISTRABLE_PORTS_TEXT } from '../thingspace/registrable-ports';
import type { Config } from './schema';

/** Settings that are valid but probably not what production wants; the caller logs them at start. */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.http.allowedSources.length === 0) {
    warnings.push(
      "http.allowedSources is empty: callbacks are accepted from any address; list ThingSpace's sender addresses",
    );
  }
  if (config.http.publicBaseUrl !== undefined) {
    const port = portOf(new URL(config.http.publicBaseUrl));
    if (!isRegistrablePort(port)) {
      warnings.push(
        `http.publicBaseUrl: ThingSpace does not register URLs on port ${port} (it takes ${REGISTRABLE_PORTS_TEXT})`,
      );
    }
  }
  if (config.kafka.sasl?.mechanism === 'plain' && !config.kafka.tls.enabled) {
    warnings.push('kafka.sasl: mechanism plain without kafka.tls sends the SASL password in clear');
  }
  return warnings;
}
