import type { Stream } from '../events/schemas';
import type { KafkaConfig } from './schema';

type TopicsConfig = KafkaConfig['topics'];

/** Which `kafka.topics` key names the topic of each stream (the defaults are events' DEFAULT_TOPICS). */
export const TOPIC_KEYS: Readonly<Record<Stream, keyof TopicsConfig>> = {
  'async-response': 'asyncResponses',
  'external-change': 'externalChanges',
  'device-originated': 'deviceOriginated',
  'dead-letter': 'deadLetter',
};

const STREAMS = Object.keys(TOPIC_KEYS) as Stream[];

/** The topic of each stream as configured: what the encoder, topic checks and readers work with. */
export function topicsOf(kafka: Pick<KafkaConfig, 'topics'>): Record<Stream, string> {
  return Object.fromEntries(STREAMS.map((stream) => [stream, kafka.topics[TOPIC_KEYS[stream]]])) as Record<
    Stream,
    string
  >;
}

/** The other way round: the `kafka.topics` settings that give each stream this topic (tests, the bench). */
export function topicSettings(topics: Readonly<Record<Stream, string>>): Record<keyof TopicsConfig, string> {
  return Object.fromEntries(STREAMS.map((stream) => [TOPIC_KEYS[stream], topics[stream]])) as Record<
    keyof TopicsConfig,
    string
  >;
}
