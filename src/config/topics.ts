import type { Stream } from '../events/schemas';
import type { KafkaConfig } from './schema';

/** The topic of each stream, as the config names them. */
export function topicsOf(kafka: Pick<KafkaConfig, 'topics'>): Record<Stream, string> {
  const { asyncResponses, externalChanges, deviceOriginated, deadLetter } = kafka.topics;
  return {
    'async-response': asyncResponses,
    'external-change': externalChanges,
    'device-originated': deviceOriginated,
    'dead-letter': deadLetter,
  };
}
