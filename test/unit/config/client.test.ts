import { join } from 'node:path';
import { loadClientConfig, parseClientConfig, parseConfig } from '../../../src/config';
import { minimal, PASSWORD, scratch, thrown } from './helpers';

describe('parseClientConfig: the Kafka side alone', () => {
  it('has exactly the defaults of the full config', () => {
    const full = parseConfig(minimal(), {}).config;
    const { config } = parseClientConfig(minimal(), {});
    const { kafka, schemaRegistry, log, archive, normalize } = full;
    expect(config).toEqual({ kafka, schemaRegistry, log, archive, normalize });
  });

  it('takes everything from KAFKA_BROKERS and SCHEMA_REGISTRY_URL when there is no file', () => {
    const { config } = parseClientConfig(undefined, {
      KAFKA_BROKERS: 'k1:9092, k2:9092',
      SCHEMA_REGISTRY_URL: 'http://registry:8081',
    });
    expect(config.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(config.schemaRegistry.url).toBe('http://registry:8081');
  });

  it('ignores the other sections, even invalid ones, and validates its own as the full config does', () => {
    expect(
      parseClientConfig({ ...minimal(), accounts: 'not checked here', http: { port: -1 } }, {}).config.kafka
        .brokers,
    ).toEqual(['kafka-1:9092']);
    const error = thrown(() =>
      parseClientConfig({ kafka: { brokers: ['no-port'], sasl: { mechanism: 'md5' } } }, {}),
    );
    expect(error.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['kafka.brokers[0]', 'kafka.sasl.mechanism', 'schemaRegistry']),
    );
    expect(error.message).toContain('SCHEMA_REGISTRY_URL');
  });

  it('resolves SASL and registry passwords as Secrets, and warns about plain SASL without TLS', () => {
    const { config, warnings } = parseClientConfig(
      {
        kafka: { brokers: ['k:9092'], sasl: { mechanism: 'plain', username: 'u', passwordEnv: 'KAFKA_PW' } },
        schemaRegistry: { url: 'http://r:8081', auth: { username: 'r', password: PASSWORD } },
      },
      { KAFKA_PW: PASSWORD },
    );
    expect(config.kafka.sasl?.password.reveal()).toBe(PASSWORD);
    expect(config.schemaRegistry.auth?.password.reveal()).toBe(PASSWORD);
    expect(JSON.stringify(config)).not.toContain(PASSWORD);
    expect(warnings).toEqual([expect.stringContaining('kafka.sasl: mechanism plain without kafka.tls')]);
  });
});

describe('loadClientConfig', () => {
  const files = scratch({
    'bridge.yaml': `accounts:
  - name: acme
    username: acme-user
    passwordFile: /nowhere/readable
    services: ['*']
kafka:
  brokers: [kafka-1:9092]
  clientId: acme-bridge
  topics: { asyncResponses: acme.async }
  sasl: { mechanism: scram-sha-512, username: acme, passwordFile: kafka.password }
schemaRegistry:
  url: http://registry:8081
`,
    'kafka.password': `${PASSWORD}\n`,
  });
  afterAll(files.cleanup);

  it('reads the bridge’s file (--config or BRIDGE_CONFIG): its Kafka side, secrets relative to it', () => {
    for (const options of [
      { argv: ['--topic', 't', '--config', 'bridge.yaml'], env: {} },
      { argv: [], env: { BRIDGE_CONFIG: 'bridge.yaml' } },
    ]) {
      const { config, file } = loadClientConfig({ ...options, cwd: files.dir });
      expect(file).toBe(join(files.dir, 'bridge.yaml'));
      expect(config.kafka.clientId).toBe('acme-bridge');
      expect(config.kafka.topics.asyncResponses).toBe('acme.async');
      expect(config.kafka.sasl?.password.reveal()).toBe(PASSWORD);
    }
  });

  it('lets the env override the file, as for serve', () => {
    const { config } = loadClientConfig({
      argv: ['--config', 'bridge.yaml'],
      env: { KAFKA_BROKERS: 'other:9092' },
      cwd: files.dir,
    });
    expect(config.kafka.brokers).toEqual(['other:9092']);
  });

  it('needs no file', () => {
    const { config, file } = loadClientConfig({
      env: { KAFKA_BROKERS: 'k:9092', SCHEMA_REGISTRY_URL: 'http://r:8081' },
      cwd: files.dir,
    });
    expect(file).toBeUndefined();
    expect(config.kafka.clientId).toBe('thingspace-bridge');
    expect(thrown(() => loadClientConfig({ env: {}, cwd: files.dir })).message).toContain('KAFKA_BROKERS');
  });
});
