/**
 * Resolves each value schema's registry id once, at boot, so that encoding an event never waits on the registry.
 */
import { SchemaType, type SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { SchemaResolutionError, type SubjectFailure } from './errors';

export interface SubjectSchema {
  /** Confluent subject, `<topic>-value` for us. */
  subject: string;
  /** The Avro schema as parsed JSON (an .avsc file's content). */
  schema: object;
}

export interface ResolveSchemaIdsOptions {
  /**
   * true: register each schema under its subject (a no-op returning the existing id when already there; the
   * registry refuses an incompatible one). false: only look it up, for registries managed by CI or by hand.
   */
  register: boolean;
}

/**
 * Resolves subject -> schema id for every schema, or rejects with one SchemaResolutionError naming every subject
 * that failed and why.
 */
export async function resolveSchemaIds(
  registry: SchemaRegistry,
  schemas: readonly SubjectSchema[],
  options: ResolveSchemaIdsOptions,
): Promise<Map<string, number>> {
  const settled = await Promise.allSettled(
    schemas.map(async ({ subject, schema }) => {
      const confluentSchema = { type: SchemaType.AVRO, schema: JSON.stringify(schema) } as const;
      return options.register
        ? await registerOrFind(registry, confluentSchema, subject)
        : await registry.getRegistryIdBySchema(subject, confluentSchema);
    }),
  );

  const ids = new Map<string, number>();
  const failures: SubjectFailure[] = [];
  settled.forEach((result, i) => {
    const { subject } = schemas[i]!;
    if (result.status === 'fulfilled') ids.set(subject, result.value);
    else failures.push({ subject, reason: describe(result.reason, options.register), cause: result.reason });
  });
  if (failures.length > 0) throw new SchemaResolutionError(failures);
  return ids;
}

/**
 * Registers the schema under its subject. The client refuses to when the subject's compatibility level is not the
 * one it would set (BACKWARD): an operator's choice, or Apicurio answering its global level for a subject whose
 * own level it lost on a restart (the fault test that restarts Kafka under the registry). The schema is then
 * most likely registered already: its id is looked up instead, and only when that fails too is the refusal the
 * answer.
 */
async function registerOrFind(
  registry: SchemaRegistry,
  schema: { type: SchemaType.AVRO; schema: string },
  subject: string,
): Promise<number> {
  try {
    return (await registry.register(schema, { subject })).id;
  } catch (err) {
    if ((err as { name?: unknown } | undefined)?.name !== 'ConfluentSchemaRegistryCompatibilityError')
      throw err;
    return registry.getRegistryIdBySchema(subject, schema).catch(() => {
      throw err;
    });
  }
}

/** The registry's HTTP status, when the failure is an answer rather than no answer. */
function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number'
    ? err.status
    : undefined;
}

function describe(err: unknown, registering: boolean): string {
  const message = err instanceof Error ? err.message : String(err);
  // getRegistryIdBySchema turns the registry's 404 into a ConfluentSchemaRegistryError without a status.
  if (!registering && err instanceof Error && err.name === 'ConfluentSchemaRegistryError') {
    return `not registered under this subject: ${message}`;
  }
  if (statusOf(err) === 409) return `incompatible with the subject's registered versions: ${message}`;
  return message;
}
