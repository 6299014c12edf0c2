import type { Kafka, ProducerConfig } from 'kafkajs';
import { createProducer } from '../../../src/kafka/producer';

describe('createProducer', () => {
  it('makes an idempotent producer that never gives a batch up (a given-up batch lets the next one pass for its duplicate)', () => {
    const producer = jest.fn((config: ProducerConfig) => config);
    createProducer({ producer } as unknown as Kafka);
    const config = producer.mock.calls[0]![0];
    expect(config).toMatchObject({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    expect(config.retry?.retries).toBe(Number.MAX_SAFE_INTEGER);
  });
});
