import { isRegistrablePort, portOf, REGISTRABLE_PORTS_TEXT } from '../thingspace/registrable-ports';
import type { Config, KafkaConfig } from './schema';

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
  if (config.http.tls?.minVersion === 'TLSv1.3') {
    warnings.push(
      "http.tls.minVersion is TLSv1.3: ThingSpace's senders, which speak TLS 1.2, cannot connect",
    );
  }
  warnings.push(...kafkaWarnings(config.kafka));
  return warnings;
}

/** The warnings about the Kafka side, which every client of it (`serve`, `tail`) repeats. */
export function kafkaWarnings(kafka: KafkaConfig): string[] {
  return kafka.sasl?.mechanism === 'plain' && !kafka.tls.enabled
    ? ['kafka.sasl: mechanism plain without kafka.tls sends the SASL password in clear']
    : [];
}
