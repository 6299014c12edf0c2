import { parseClientConfig, parseConfig } from '../../../src/config';
import { archiveTopicSpec } from '../../../src/bridge/boot';
import { minimal, problems } from './helpers';

describe('archive', () => {
  it('is off by default, on a topic named like the others, kept 35 days', () => {
    const { archive } = parseConfig(minimal(), {}).config;
    expect(archive).toEqual({ enabled: false, topic: 'thingspace.archive', retentionMs: 35 * 86_400_000 });
  });

  it('must not share a topic with a category', () => {
    const input = { ...minimal(), archive: { enabled: true, topic: 'thingspace.dead-letter' } };
    expect(problems(input)).toEqual(['archive.topic: same topic as kafka.topics.deadLetter']);
  });

  it('is read by the Kafka clients too (replay reads the archive topic)', () => {
    const { config } = parseClientConfig({ ...minimal(), archive: { topic: 'acme.archive' } }, {});
    expect(config.archive.topic).toBe('acme.archive');
    expect(config.normalize.kindPriority.length).toBeGreaterThan(0);
  });

  it('creates its topic partitioned like the others, gzip-compressed, with its retention', () => {
    const { config } = parseConfig(
      {
        ...minimal(),
        kafka: { brokers: ['k:9092'], newTopics: { numPartitions: 3, replicationFactor: 2 } },
        archive: { enabled: true, retentionMs: 1000 },
      },
      {},
    );
    expect(archiveTopicSpec(config)).toEqual({
      topic: 'thingspace.archive',
      numPartitions: 3,
      replicationFactor: 2,
      configEntries: [
        { name: 'retention.ms', value: '1000' },
        { name: 'compression.type', value: 'gzip' },
      ],
    });
  });
});
