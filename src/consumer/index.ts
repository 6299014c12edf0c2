/**
 * `thingspace-kafka-bridge/consumer`: what a consumer of the bridge's topics imports (package.json `exports`).
 * The decoder and the values it returns, typed as the current contract; nothing of the bridge itself.
 *
 *   const schemas = registrySchemas({ url: process.env.SCHEMA_REGISTRY_URL! });
 *   const decoded = await decodeEvent(message.value, schemas);
 *   if (decoded.kind === 'event') console.log(decoded.event.eventId, decoded.event.payloadType);
 */
export { decodeEvent, type DecodedRecord } from './decode';
export { ConsumerError, type ConsumerErrorCode } from './errors';
export { registrySchemas, type RegistryOptions } from './registry';
export { givenSchemas, type CacheOptions, type Reader, type WriterSchemas } from './writer-schemas';
export { DEFAULT_TOPICS, type Stream } from '../events/schemas';
/** The records' header names (`event-id`, `payload-type`, ...), and those `replay` adds. */
export { RECORD_HEADERS } from '../events/encode';
export { REPLAY_HEADERS } from '../events/archive';
export { AVRO_NAMESPACE, payloadNameOf } from '../events/types';
export type * from '../events/types';
export type { WireFormat } from '../message/types';
