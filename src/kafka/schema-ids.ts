/**
 * Resolves each value schema's registry id once, at boot, so that encoding an event never waits on the registry.
 * Registering, it leaves the compatibility level to the operator: the registry judges the new version under the
 * level set on the subject or globally, and only a subject that gets none (a new subject on a registry whose global
 * level is NONE, Apicurio's default) is given BACKWARD, the contract's rule (schemas/README.md).
 */
import { valueSubject } from '../events/encode';
import { SCHEMAS, type Stream } from '../events/schemas';
import {
  isRegistryFault,
  RegistryRequestError,
  type CompatibilityLevel,
  type RegistryHttp,
} from './registry-http';
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
   * registry refuses one incompatible under the subject's level). false: only look it up, for registries managed by
   * CI or by hand.
   */
  register: boolean;
}

/** The bridge's value schema of every topic under its subject. */
export function topicSubjects(topics: Readonly<Record<Stream, string>>): SubjectSchema[] {
  return (Object.keys(topics) as Stream[]).map((stream) => ({
    subject: valueSubject(topics[stream]),
    schema: SCHEMAS[stream],
  }));
}

/** What the bridge's schemas need at least: old events readable with the new schema. */
export const BRIDGE_LEVEL: CompatibilityLevel = 'BACKWARD';

/**
 * Resolves subject -> schema id for every schema, or rejects with one SchemaResolutionError naming every subject
 * that failed and why.
 */
export async function resolveSchemaIds(
  registry: RegistryHttp,
  schemas: readonly SubjectSchema[],
  options: ResolveSchemaIdsOptions,
): Promise<Map<string, number>> {
  // Asked once for all subjects, and only when one has no level of its own or was refused.
  let global: Promise<CompatibilityLevel> | undefined;
  const globalLevel = () => (global ??= registry.globalLevel());
  const settled = await Promise.allSettled(
    schemas.map(async ({ subject, schema }) => {
      const text = JSON.stringify(schema);
      return options.register
        ? await register(registry, globalLevel, subject, text)
        : await lookup(registry, subject, text);
    }),
  );

  const ids = new Map<string, number>();
  const failures: SubjectFailure[] = [];
  settled.forEach((result, i) => {
    const { subject } = schemas[i]!;
    if (result.status === 'fulfilled') ids.set(subject, result.value);
    else
      failures.push({
        subject,
        reason: describe(result.reason),
        cause: result.reason instanceof Refusal ? result.reason.cause : result.reason,
      });
  });
  if (failures.length > 0) throw new SchemaResolutionError(failures);
  return ids;
}

/**
 * The registry's own failure (isRegistryFault) behind a resolution that failed, if one is: then the registry is
 * what the operator fixes (it is down, refuses the credentials, or the URL is wrong), not a schema.
 */
export function registryFaultOf(err: unknown): RegistryRequestError | undefined {
  if (isRegistryFault(err)) return err;
  if (!(err instanceof SchemaResolutionError)) return undefined;
  return err.failures.map((failure) => failure.cause).find(isRegistryFault);
}

/** A failure whose reason is already said in words for the SubjectFailure; the registry's error is its cause. */
class Refusal extends Error {}

async function register(
  registry: RegistryHttp,
  globalLevel: () => Promise<CompatibilityLevel>,
  subject: string,
  schema: string,
): Promise<number> {
  const own = await registry.subjectLevel(subject);
  const global = own === undefined ? await globalLevel() : undefined;
  let id: number;
  try {
    id = await registry.register(subject, schema);
  } catch (err) {
    if (!(err instanceof RegistryRequestError) || err.status !== 409) throw err;
    // A subject whose own level is NONE refuses nothing: the global level did (Apicurio answers NONE for a
    // subject without a level of its own).
    const level =
      own !== undefined && own !== 'NONE'
        ? `${own} (the subject's level)`
        : `${await globalLevel()} (the global level)`;
    throw new Refusal(
      `refused as incompatible with the subject's registered versions under compatibility level ${level}: ` +
        `${err.message}. Either the registered versions or the level must change for this bridge version ` +
        '(schemas/README.md, "Compatibility levels")',
      { cause: err },
    );
  }
  if (own === undefined && global === 'NONE') await registry.setSubjectLevel(subject, BRIDGE_LEVEL);
  return id;
}

async function lookup(registry: RegistryHttp, subject: string, schema: string): Promise<number> {
  try {
    return await registry.lookup(subject, schema);
  } catch (err) {
    if (!(err instanceof RegistryRequestError) || err.status !== 404) throw err;
    throw new Refusal(`not registered under this subject (registerSchemas is off): ${err.message}`, {
      cause: err,
    });
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
