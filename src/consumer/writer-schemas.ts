/**
 * Writer schemas by id, each resolved once against the current schema of its topic. A record written with any
 * released schema (schemas/released/) or the current one reads as the current contract's value: fields added
 * since take their defaults, as Avro's schema resolution says. The topic is told by the writer record's name,
 * not by the Kafka topic, so a consumer that renamed its topics needs no mapping.
 */
import { Type, type Resolver } from 'avsc';
import { AVRO_TYPES } from '../events/avro';
import type { Stream } from '../events/schemas';
import { ConsumerError } from './errors';

/** The writer schema of a schema id (parsed JSON); throws a ConsumerError when there is none. */
export type SchemaLookup = (id: number) => Promise<unknown>;

/** How to read the Avro bytes written with one schema id. */
export interface Reader {
  readonly stream: Stream;
  /** The current contract's value; throws CONSUMER_INVALID_AVRO on bytes that do not decode. */
  read(avro: Buffer): unknown;
}

/** A source of readers by schema id: registrySchemas() or givenSchemas(). */
export interface WriterSchemas {
  readerOf(id: number): Promise<Reader>;
}

export interface CacheOptions {
  /** Readers kept, the oldest dropped beyond [256]; a topic has one id per schema version. */
  maxCachedSchemas?: number;
}

/** The topic of each writer record name: `thingspace.bridge.v1.AsyncResponseEvent` -> async-response, ... */
const STREAM_OF_RECORD: ReadonlyMap<string, Stream> = new Map(
  (Object.entries(AVRO_TYPES) as [Stream, Type][]).map(([stream, type]) => [type.name!, stream]),
);

type AvscSchema = Parameters<typeof Type.forSchema>[0];

/** The reader of one writer schema: its topic's current type and the resolver from the writer's. */
function readerFor(id: number, schema: unknown): Reader {
  let writer: Type;
  try {
    writer = Type.forSchema(schema as AvscSchema);
  } catch (err) {
    throw new ConsumerError(
      'CONSUMER_UNKNOWN_WRITER_SCHEMA',
      `schema ${id} is not a valid Avro schema: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const stream = writer.typeName === 'record' ? STREAM_OF_RECORD.get(writer.name!) : undefined;
  if (stream === undefined) {
    throw new ConsumerError(
      'CONSUMER_UNKNOWN_WRITER_SCHEMA',
      `schema ${id} (${writer.name ?? writer.typeName}) is no topic schema of this contract; expected a record ` +
        `named ${[...STREAM_OF_RECORD.keys()].join(', ')}`,
    );
  }
  const type = AVRO_TYPES[stream];
  let resolver: Resolver;
  try {
    resolver = type.createResolver(writer);
  } catch (err) {
    throw new ConsumerError(
      'CONSUMER_UNKNOWN_WRITER_SCHEMA',
      `schema ${id} (${writer.name}) cannot be read with this package's schema of that topic (a newer contract? ` +
        `upgrade thingspace-kafka-bridge): ${(err as Error).message}`,
      { cause: err },
    );
  }
  return {
    stream,
    read(avro) {
      try {
        return type.fromBuffer(avro, resolver) as unknown;
      } catch (err) {
        throw new ConsumerError(
          'CONSUMER_INVALID_AVRO',
          `a record of schema ${id} (${writer.name}, ${avro.length} bytes) does not decode: ${(err as Error).message}`,
          { cause: err },
        );
      }
    },
  };
}

/**
 * Readers over `lookup`, cached per id. Concurrent records of a new id share one lookup; a failed lookup is not
 * cached, so a registry that was down is asked again by the next record.
 */
export function cachedReaders(lookup: SchemaLookup, options: CacheOptions = {}): WriterSchemas {
  const { maxCachedSchemas = 256 } = options;
  const readers = new Map<number, Promise<Reader>>();
  return {
    readerOf(id) {
      const cached = readers.get(id);
      if (cached) return cached;
      if (!Number.isInteger(id) || id < 1) {
        // Registries number schemas from 1; the bridge never publishes its placeholder 0.
        return Promise.reject(
          new ConsumerError(
            'CONSUMER_UNKNOWN_SCHEMA_ID',
            `schema id ${id} is not a registry id (ids are positive)`,
          ),
        );
      }
      const reader = lookup(id).then((schema) => readerFor(id, schema));
      if (readers.size >= maxCachedSchemas) readers.delete(readers.keys().next().value!);
      readers.set(id, reader);
      reader.catch(() => {
        if (readers.get(id) === reader) readers.delete(id);
      });
      return reader;
    },
  };
}

/**
 * Writer schemas given by id, for offline use and tests: e.g. the ids a registry assigned, with the schemas it
 * holds (self-contained, as the files of schemas/released/; the topic files of schemas/ name shared types kept in
 * files of their own). A value is the schema parsed, or as JSON text (parsed here, once).
 */
export function givenSchemas(
  schemas: ReadonlyMap<number, unknown> | Readonly<Record<number, unknown>>,
): WriterSchemas {
  const entries = schemas instanceof Map ? [...schemas] : Object.entries(schemas);
  const byId = new Map<number, unknown>(
    entries.map(([id, schema]) => [
      Number(id),
      typeof schema === 'string' ? (JSON.parse(schema) as unknown) : schema,
    ]),
  );
  return cachedReaders(async (id) => {
    if (!byId.has(id)) {
      throw new ConsumerError(
        'CONSUMER_UNKNOWN_SCHEMA_ID',
        `no schema with id ${id} among the given schemas`,
      );
    }
    return byId.get(id);
  });
}
