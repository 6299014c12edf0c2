export {
  loadClientConfig,
  loadConfig,
  loadDedupeConfig,
  parseClientConfig,
  parseConfig,
  parseDedupeConfig,
} from './load';
export type { LoadedClientConfig, LoadedConfig, LoadedDedupeConfig, LoadOptions, ParseOptions } from './load';
export { TOPIC_KEYS, topicSettings, topicsOf } from './topics';
export { ConfigError } from './errors';
export type { ConfigIssue } from './errors';
export { parseCidr } from './cidr';
export { DEFAULT_KAFKA_CLIENT, KAFKA_CLIENTS, PRODUCER_DEFAULTS } from './schema';
export type { Cidr } from './cidr';
export type {
  AccountConfig,
  ArchiveConfig,
  ClientConfig,
  Config,
  DedupeConfig,
  DedupeServiceConfig,
  HttpConfig,
  KafkaConfig,
  ListenerTlsConfig,
  LogConfig,
  SpoolConfig,
  LogLevel,
  NormalizeConfig,
  ProducerConfig,
  SchemaRegistryConfig,
  ServiceConfig,
  ThingSpaceApiConfig,
  ThingSpaceConfig,
  TracingConfig,
  RecoveryConfig,
} from './schema';
export type { Env } from './secrets';
