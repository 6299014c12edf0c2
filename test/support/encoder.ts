import { createEventEncoder, valueSubject, type EventEncoder } from '../../src/events/encode';
import { DEFAULT_TOPICS } from '../../src/events/schemas';

/** Schema ids as a registry would give them (1, 2, ...), for tests that encode without a registry. */
export const TEST_SCHEMA_IDS: ReadonlyMap<string, number> = new Map(
  Object.values(DEFAULT_TOPICS).map((topic, id) => [valueSubject(topic), id + 1]),
);

/** The real encoder on the default topics, with TEST_SCHEMA_IDS. */
export function testEncoder(): EventEncoder {
  return createEventEncoder(DEFAULT_TOPICS, TEST_SCHEMA_IDS);
}
