import { parseConfig, topicSettings, topicsOf } from '../../../src/config';
import { DEFAULT_TOPICS } from '../../../src/events/schemas';
import { minimal } from './helpers';

describe('topics per stream', () => {
  it('defaults to the event contract’s DEFAULT_TOPICS', () => {
    expect(topicsOf(parseConfig(minimal(), {}).config.kafka)).toEqual(DEFAULT_TOPICS);
  });

  it('maps each configured topic to its stream, and back', () => {
    const topics = {
      'async-response': 'a',
      'external-change': 'b',
      'device-originated': 'c',
      'dead-letter': 'd',
    };
    const input = minimal();
    const { config } = parseConfig(
      { ...input, kafka: { ...(input.kafka as object), topics: topicSettings(topics) } },
      {},
    );
    expect(config.kafka.topics).toEqual({
      asyncResponses: 'a',
      externalChanges: 'b',
      deviceOriginated: 'c',
      deadLetter: 'd',
    });
    expect(topicsOf(config.kafka)).toEqual(topics);
  });
});
