import { parseConfig, parseDedupeConfig } from '../../../src/config';
import { minimal, thrown } from './helpers';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('the dedupe section', () => {
  it('defaults to a 35-day window, and has the full config’s defaults', () => {
    const { config } = parseDedupeConfig({ kafka: { brokers: ['k:9092'] } }, {});
    expect(config.dedupe).toEqual({
      groupId: 'thingspace-bridge-dedupe',
      windowMs: 35 * DAY_MS,
      batchSize: 500,
      lingerMs: 20,
      expiryIntervalMs: 60_000,
      port: 8080,
      host: '0.0.0.0',
    });
    expect(parseConfig(minimal(), {}).config.dedupe).toEqual(config.dedupe);
  });

  it('needs no schema registry and ignores the other sections', () => {
    const { config } = parseDedupeConfig(
      { ...minimal(), schemaRegistry: undefined, accounts: 'not checked here' },
      {},
    );
    expect(config.kafka.brokers).toEqual(['kafka-1:9092']);
  });

  it('takes the instance id and the port from the environment, naming the variable of a bad one', () => {
    const file = { kafka: { brokers: ['k:9092'] }, dedupe: { instanceId: 'from-file', port: 9000 } };
    const { config } = parseDedupeConfig(file, { DEDUPE_INSTANCE_ID: 'dedupe-2', DEDUPE_PORT: '9464' });
    expect(config.dedupe).toMatchObject({ instanceId: 'dedupe-2', port: 9464 });
    const error = thrown(() => parseDedupeConfig(file, { DEDUPE_INSTANCE_ID: 'a b', DEDUPE_PORT: '80a' }));
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`).sort()).toEqual([
      expect.stringMatching(/^dedupe\.instanceId: .*\(from DEDUPE_INSTANCE_ID\)$/),
      expect.stringMatching(/^dedupe\.port: .*\(from DEDUPE_PORT\)$/),
    ]);
  });

  it('reports every bad setting with its path, and unknown keys', () => {
    const error = thrown(() =>
      parseDedupeConfig(
        {
          kafka: { brokers: ['k:9092'] },
          dedupe: { windowMs: 0, batchSize: 100_000, instanceId: 'a b', linger: 5, port: 65_536, host: '' },
        },
        {},
      ),
    );
    expect(error.issues.map((issue) => issue.path).sort()).toEqual([
      'dedupe.batchSize',
      'dedupe.host',
      'dedupe.instanceId',
      'dedupe.linger',
      'dedupe.port',
      'dedupe.windowMs',
    ]);
  });
});
