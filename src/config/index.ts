export { loadConfig, parseConfig } from './load';
export type { LoadedConfig, LoadOptions, ParseOptions } from './load';
export { ConfigError } from './errors';
export type { ConfigIssue } from './errors';
export { parseCidr } from './cidr';
export { PRODUCER_DEFAULTS } from './schema';
export { topicsOf } from './topics';
export type { Cidr } from './cidr';
export type {
  AccountConfig,
  Config,
  HttpConfig,
  KafkaConfig,
  LogConfig,
  SpoolConfig,
  LogLevel,
  NormalizeConfig,
  ProducerConfig,
  SchemaRegistryConfig,
  ServiceConfig,
  ThingSpaceConfig,
} from './schema';
export type { Env } from './secrets';
