import { Writable } from 'node:stream';
import { logLevel } from 'kafkajs';
import { parseClientConfig } from '../../../src/config';
import { createKafkaClient, platformaticConnection } from '../../../src/kafka/clients';
import { createPlatformaticProducer } from '../../../src/kafka/platformatic-producer';
import { Secret } from '../../../src/util/secret';
import { createLogger } from '../../../src/observability';

const PASSWORD = 'hunter2-Xq9!zz';
const TLS_KEY = '-----BEGIN PRIVATE KEY-----not-a-key';

/** A logger writing into an array of lines, as the bridge's does into stdout. */
function captured(level: 'info' | 'debug' = 'debug') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return {
    logger: createLogger({ level }, stream),
    lines,
    parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

function kafkaConfig(kafka: Record<string, unknown> = {}) {
  return parseClientConfig(
    { kafka: { brokers: ['127.0.0.1:1'], ...kafka }, schemaRegistry: { url: 'http://registry:8081' } },
    {},
  ).config.kafka;
}

const saslConfig = () =>
  kafkaConfig({ sasl: { mechanism: 'scram-sha-512', username: 'bridge', password: PASSWORD } });

describe('createKafkaClient: kafkajs logs through pino', () => {
  const saved = process.env.KAFKAJS_LOG_LEVEL;
  beforeEach(() => delete process.env.KAFKAJS_LOG_LEVEL);
  afterAll(() => {
    if (saved !== undefined) process.env.KAFKAJS_LOG_LEVEL = saved;
  });

  it('maps kafkajs levels to pino levels, as lines of a kafkajs component with the namespace and fields', () => {
    const { logger, parsed } = captured();
    const log = createKafkaClient(saslConfig(), { logger, logLevel: logLevel.DEBUG }).logger();
    log.namespace('Connection').error('Connection error: connect ECONNREFUSED', {
      broker: 'kafka-1:9092',
      clientId: 'thingspace-bridge',
      stack: 'Error: ...',
    });
    log
      .namespace('Producer')
      .warn('Could not create topics', { error: 'boom', retryCount: 2, retryTime: 600 });
    log.info('Starting', { groupId: 'g' });
    log.debug('Request Metadata(key: 3, version: 6)', { correlationId: 1 });

    const lines = parsed();
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['error', 'Connection error: connect ECONNREFUSED'],
      ['warn', 'Could not create topics'],
      ['info', 'Starting'],
      ['debug', 'Request Metadata(key: 3, version: 6)'],
    ]);
    expect(lines[0]).toMatchObject({
      component: 'kafkajs',
      namespace: 'Connection',
      broker: 'kafka-1:9092',
      clientId: 'thingspace-bridge',
      stack: 'Error: ...',
    });
    expect(lines[1]).toMatchObject({ namespace: 'Producer', error: 'boom', retryCount: 2, retryTime: 600 });
    // pino's time and level, not kafkajs's copies.
    for (const line of lines) {
      expect(line).not.toHaveProperty('timestamp');
      expect(line).not.toHaveProperty('logger');
      expect(typeof line.time).toBe('string');
    }
  });

  it('redacts a password-looking field as the bridge logger does, and drops client options and protocol bytes', () => {
    const { logger, lines, parsed } = captured();
    const log = createKafkaClient(saslConfig(), { logger, logLevel: logLevel.DEBUG }).logger();
    log.error('SASL SCRAM SHA512 authentication failed', {
      broker: 'kafka-1:9092',
      password: PASSWORD,
      request: { username: 'bridge', Password: PASSWORD },
      sasl: { mechanism: 'scram-sha-512', username: 'bridge', password: PASSWORD },
      ssl: { key: TLS_KEY },
      payload: { type: 'Buffer', data: Buffer.from(`\0bridge\0${PASSWORD}`).toString('base64') },
    });
    log.debug('Connecting', { broker: 'kafka-1:9092', ssl: true, sasl: true });

    expect(lines.join('\n')).not.toContain(PASSWORD);
    expect(lines.join('\n')).not.toContain(Buffer.from(PASSWORD).toString('base64').slice(0, 12));
    expect(lines.join('\n')).not.toContain('PRIVATE KEY');
    const [failed, connecting] = parsed();
    expect(failed).toMatchObject({
      level: 'error',
      broker: 'kafka-1:9092',
      password: '[redacted]',
      request: { username: 'bridge', Password: '[redacted]' },
    });
    expect(failed).not.toHaveProperty('sasl');
    expect(failed).not.toHaveProperty('ssl');
    expect(failed).not.toHaveProperty('payload');
    // What kafkajs itself logs under those names: whether TLS and SASL are on.
    expect(connecting).toMatchObject({ ssl: true, sasl: true });
  });

  it('passes on WARN and ERROR only by default; the logger level filters further', () => {
    const verbose = captured('debug');
    const log = createKafkaClient(kafkaConfig(), { logger: verbose.logger }).logger();
    log.debug('request');
    log.info('Starting');
    log.warn('The group is rebalancing, re-joining');
    log.error('Crash');
    expect(verbose.parsed().map((l) => l.level)).toEqual(['warn', 'error']);

    const quiet = captured('info');
    createKafkaClient(kafkaConfig(), { logger: quiet.logger, logLevel: logLevel.DEBUG }).logger().debug('x');
    expect(quiet.lines).toEqual([]);
  });

  it('logs what the client really does: a refused connection, with the broker, and the client id asked for', async () => {
    const { logger, lines, parsed } = captured();
    const kafka = createKafkaClient(saslConfig(), {
      logger,
      clientId: 'unit-test',
      logLevel: logLevel.DEBUG,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    await expect(admin.connect()).rejects.toThrow();
    await admin.disconnect();

    expect(lines.join('\n')).not.toContain(PASSWORD);
    const refused = parsed().find((l) => l.level === 'error' && /ECONNREFUSED/.test(String(l.msg)));
    expect(refused).toMatchObject({ component: 'kafkajs', broker: '127.0.0.1:1', clientId: 'unit-test' });
    expect(parsed().find((l) => l.msg === 'Connecting')).toMatchObject({ ssl: false, sasl: true });
  });
});

describe('the @platformatic/kafka producer: the same connection settings, its logs through pino', () => {
  it('maps TLS and SASL; the password only through a function, never in the options', () => {
    const config = kafkaConfig({
      sasl: { mechanism: 'scram-sha-256', username: 'bridge', password: PASSWORD },
    });
    const tlsConfig = { ...config, tls: { enabled: true, ca: 'CA', cert: 'CERT', key: new Secret(TLS_KEY) } };

    const connection = platformaticConnection(tlsConfig, 'bridge-1');

    expect(connection).toMatchObject({
      clientId: 'bridge-1',
      bootstrapBrokers: ['127.0.0.1:1'],
      tls: { ca: 'CA', cert: 'CERT', key: TLS_KEY },
      sasl: { mechanism: 'SCRAM-SHA-256', username: 'bridge' },
    });
    const password = connection.sasl?.password as () => string;
    expect(password()).toBe(PASSWORD);
    expect(JSON.stringify(connection)).not.toContain(PASSWORD);
    expect(platformaticConnection(kafkaConfig())).toEqual({
      clientId: 'thingspace-bridge',
      bootstrapBrokers: ['127.0.0.1:1'],
    });
  });

  it('logs a refused connection with its broker, the retries and the give-up; no credentials', async () => {
    const { logger, lines, parsed } = captured();
    const producer = createPlatformaticProducer(saslConfig(), { logger });

    await expect(producer.connect()).rejects.toThrow();
    await producer.disconnect();

    expect(lines.join('\n')).not.toContain(PASSWORD);
    const logged = parsed();
    expect(logged.every((l) => l.component === 'platformatic-kafka')).toBe(true);
    expect(logged.find((l) => l.level === 'error' && l.broker === '127.0.0.1:1')).toMatchObject({
      msg: 'Could not connect to a broker',
    });
    const retries = logged.filter((l) => l.level === 'warn');
    expect(retries.map((l) => [l.operation, l.attempt])).toEqual([
      ['metadata', 1],
      ['metadata', 2],
      ['metadata', 3],
    ]);
    // 200 ms doubling, jittered down to half.
    retries.forEach((l, i) => {
      expect(l.delayMs).toBeGreaterThanOrEqual(100 * 2 ** i);
      expect(l.delayMs).toBeLessThanOrEqual(200 * 2 ** i);
    });
    expect(logged.at(-1)).toMatchObject({ level: 'error', operation: 'metadata', msg: 'metadata failed' });
    expect(logged.at(-1)?.error).toEqual(expect.any(String));
  });
});
