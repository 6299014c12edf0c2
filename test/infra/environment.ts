/**
 * Where integration tests get a real Kafka broker and a real Confluent-compatible schema registry, in order:
 *   1. KAFKA_BROKERS and SCHEMA_REGISTRY_URL, when both are set (your own cluster);
 *   2. testcontainers, when a Docker engine answers;
 *   3. the local stack (test/infra/stack): Kafka and Apicurio from Maven Central jars, no Docker needed.
 * None possible: an error naming what is missing. Never a silent skip, never a mock.
 */
import { APICURIO_VERSION, CCOMPAT_PATH, stackDown, stackStatus, stackUp } from './stack/stack';

export type InfraSource = 'environment' | 'testcontainers' | 'local-stack';

export interface IntegrationInfra {
  source: InfraSource;
  kafkaBrokers: string;
  schemaRegistryUrl: string;
  /** Stops what this run started; a no-op for servers it found running. */
  stop(): Promise<void>;
}

const log = (line: string) => process.stderr.write(`integration: ${line}\n`);

export async function provideInfra(env: NodeJS.ProcessEnv = process.env): Promise<IntegrationInfra> {
  const { KAFKA_BROKERS: kafkaBrokers, SCHEMA_REGISTRY_URL: schemaRegistryUrl } = env;
  if (kafkaBrokers && schemaRegistryUrl) {
    log(`using KAFKA_BROKERS=${kafkaBrokers} SCHEMA_REGISTRY_URL=${schemaRegistryUrl}`);
    return { source: 'environment', kafkaBrokers, schemaRegistryUrl, stop: async () => undefined };
  }
  if (kafkaBrokers || schemaRegistryUrl) {
    throw new Error(
      `Only ${kafkaBrokers ? 'KAFKA_BROKERS' : 'SCHEMA_REGISTRY_URL'} is set: set both to use your own cluster, or neither.`,
    );
  }

  const docker = await dockerEngine();
  if (docker.available) return startContainers();

  try {
    const alreadyRunning = stackStatus().servers.some((s) => s.running);
    const started = await stackUp({ log });
    log(
      `local stack ${started.reused ? 'reused' : 'started'}: KAFKA_BROKERS=${started.kafkaBrokers} ` +
        `SCHEMA_REGISTRY_URL=${started.schemaRegistryUrl}`,
    );
    return {
      source: 'local-stack',
      kafkaBrokers: started.kafkaBrokers,
      schemaRegistryUrl: started.schemaRegistryUrl,
      // A stack someone started by hand (`npm run stack:up`) stays up for them.
      stop: async () => {
        if (!alreadyRunning) await stackDown();
      },
    };
  } catch (err) {
    throw new Error(
      'Integration tests need a Kafka broker and a schema registry, and none could be had:\n' +
        '  - KAFKA_BROKERS / SCHEMA_REGISTRY_URL are not set;\n' +
        `  - no Docker engine answered (${docker.reason});\n` +
        `  - the local stack failed: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

async function dockerEngine(): Promise<{ available: true } | { available: false; reason: string }> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return { available: true };
  } catch (err) {
    return { available: false, reason: err instanceof Error ? err.message.split('\n')[0]! : String(err) };
  }
}

/** The same servers as the local stack, as containers: Kafka in KRaft mode and Apicurio (in-memory storage). */
async function startContainers(): Promise<IntegrationInfra> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const { KafkaContainer } = await import('@testcontainers/kafka');
  log('starting Kafka and Apicurio Registry containers (testcontainers)');
  const [kafka, registry] = await Promise.all([
    new KafkaContainer('confluentinc/cp-kafka:7.9.1').withKraft().start(),
    new GenericContainer(`apicurio/apicurio-registry:${APICURIO_VERSION}`)
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp('/health/ready', 8080))
      .start(),
  ]);
  return {
    source: 'testcontainers',
    // The module's plaintext listener for clients outside the container network.
    kafkaBrokers: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
    schemaRegistryUrl: `http://${registry.getHost()}:${registry.getMappedPort(8080)}${CCOMPAT_PATH}`,
    stop: async () => {
      await Promise.all([kafka.stop(), registry.stop()]);
    },
  };
}
