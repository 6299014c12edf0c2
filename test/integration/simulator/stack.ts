/**
 * What the simulator's end-to-end tests share: a bridge running in-process against the real Kafka and schema
 * registry (its own topics, every service of one account allowed), a consumer that records every event's
 * eventId and topic, the event the bridge makes of a callback the simulator sent (the same parse, SOAP or JSON,
 * and normalize it runs), and the cleanup.
 */
import type { Consumer } from 'kafkajs';
import { createBridge } from '../../../src/bridge';
import type { Bridge } from '../../../src/bridge';
import { parseConfig, topicsOf } from '../../../src/config';
import type { Category } from '../../../src/events/types';
import { parseJsonCallback } from '../../../src/json/parser';
import { createLogger } from '../../../src/observability';
import type { DeliveredCallback } from '../../../src/simulator';
import { parseCallback } from '../../../src/soap/parser';
import { normalize } from '../../../src/thingspace/normalize';
import type { NormalizedCallback } from '../../../src/thingspace/normalize';
import { testServers, uniqueName } from '../../infra/kafka';
import { testKafkaClient } from '../../support/clients';

export const ACCOUNT = '0000555123-00001';
export const CALLBACK_USER = 'fixture-user';
export const CALLBACK_PASSWORD = 's3cret-fixture-pw';

export interface E2eStack {
  bridge: Bridge;
  /** `http://127.0.0.1:<port>`, the bridge's callbacks listener. */
  base: string;
  topics: Record<'asyncResponses' | 'externalChanges' | 'deviceOriginated' | 'deadLetter', string>;
  /** eventId -> topic, as consumed. */
  inKafka: Map<string, string>;
  brokers: string[];
  registryUrl: string;
  /** The eventId and topic the bridge gives a callback the simulator sent. */
  expectedEvent: (callback: DeliveredCallback) => Promise<{ eventId: string; topic: string }>;
  /** Resolves once every eventId was consumed; throws after 90 s. */
  untilInKafka: (eventIds: readonly string[]) => Promise<void>;
  /** Stops the consumer and the bridge, deletes the topics. */
  close: () => Promise<void>;
}

/** The event the bridge makes of a callback the simulator sent to `accountName`: the same parse and normalize. */
export async function eventOf(
  callback: DeliveredCallback,
  accountName: string,
): Promise<NormalizedCallback['event']> {
  const parse = callback.target.api === 'rest' ? parseJsonCallback : parseCallback;
  const normalized = normalize(await parse(callback.body), {
    service: callback.target.serviceName,
    accountName,
    receivedAt: new Date(),
    ingressNode: 'e2e',
  });
  return normalized.event;
}

/** The Kafka section of the simulator tests' bridges: the tests' producer client, topics it creates, 3 partitions. */
export function bridgeKafka(brokers: string[], topics: Record<string, string>) {
  return {
    brokers,
    client: testKafkaClient(),
    topics,
    createTopics: true,
    newTopics: { numPartitions: 3, replicationFactor: 1 },
  };
}

export async function startE2eStack(prefix: string): Promise<E2eStack> {
  const { kafka, registry, brokers, registryUrl } = testServers();
  const topics = {
    asyncResponses: uniqueName(`${prefix}-async`),
    externalChanges: uniqueName(`${prefix}-external`),
    deviceOriginated: uniqueName(`${prefix}-device`),
    deadLetter: uniqueName(`${prefix}-dead`),
  };
  const topicOf: Record<Category | 'dead-letter', string> = topicsOf({ topics });
  const inKafka = new Map<string, string>();
  const { config } = parseConfig(
    {
      http: { port: 0, host: '127.0.0.1', shutdownGraceMs: 10_000 },
      accounts: [{ name: ACCOUNT, username: CALLBACK_USER, password: CALLBACK_PASSWORD, services: ['*'] }],
      kafka: bridgeKafka(brokers, topics),
      schemaRegistry: { url: registryUrl, registerSchemas: true },
      log: { level: 'error' },
    },
    {},
  );
  const bridge = createBridge(config, createLogger(config.log));
  const [{ port }] = (await bridge.start()) as [{ port: number }];
  await bridge.ready();

  const consumer: Consumer = kafka.consumer({ groupId: uniqueName(prefix) });
  await consumer.connect();
  await consumer.subscribe({ topics: Object.values(topics), fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const event = (await registry.decode(message.value!)) as { eventId: string };
      inKafka.set(event.eventId, topic);
    },
  });

  return {
    bridge,
    base: `http://127.0.0.1:${port}`,
    topics,
    inKafka,
    brokers,
    registryUrl,
    expectedEvent: async (callback) => {
      const event = await eventOf(callback, ACCOUNT);
      return { eventId: event.eventId, topic: topicOf[event.category] };
    },
    untilInKafka: async (eventIds) => {
      const deadline = Date.now() + 90_000;
      while (!eventIds.every((id) => inKafka.has(id))) {
        if (Date.now() > deadline) {
          throw new Error(
            `${eventIds.filter((id) => !inKafka.has(id)).length} events never arrived in Kafka`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    close: async () => {
      await consumer.disconnect();
      await bridge.close();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: Object.values(topics) });
      await admin.disconnect();
    },
  };
}
