import type { Kafka, ProducerConfig } from 'kafkajs';
import { parseClientConfig } from '../../../src/config';
import { createLogger } from '../../../src/observability';
import { PlatformaticBatchProducer } from '../../../src/kafka/platformatic-producer';
import { createProducer } from '../../../src/kafka/producer';
import { createBatchProducer } from '../../../src/kafka/producers';

describe('createProducer', () => {
  it('makes an idempotent producer that never gives a batch up (a given-up batch lets the next one pass for its duplicate)', () => {
    const producer = jest.fn((config: ProducerConfig) => config);
    createProducer({ producer } as unknown as Kafka);
    const config = producer.mock.calls[0]![0];
    expect(config).toMatchObject({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    expect(config.retry?.retries).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('createBatchProducer', () => {
  const kafkaConfig = (kafka: Record<string, unknown>) =>
    parseClientConfig(
      { kafka: { brokers: ['127.0.0.1:1'], ...kafka }, schemaRegistry: { url: 'http://r:8081' } },
      {},
    ).config.kafka;
  const logger = createLogger({ level: 'silent' });

  it('is the kafkajs producer with kafka.client kafkajs', () => {
    const producer = jest.fn(() => ({}));
    createBatchProducer(kafkaConfig({ client: 'kafkajs' }), { producer } as unknown as Kafka, { logger });
    expect(producer).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['by default', {}],
    ['with kafka.client platformatic', { client: 'platformatic' }],
  ])('is the @platformatic/kafka one %s, the kafkajs client left unused', async (_, client) => {
    const producer = jest.fn(() => ({}));
    const made = createBatchProducer(kafkaConfig(client), { producer } as unknown as Kafka, { logger });
    expect(made).toBeInstanceOf(PlatformaticBatchProducer);
    expect(producer).not.toHaveBeenCalled();
    await made.disconnect();
  });
});
