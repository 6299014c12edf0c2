/**
 * The part of a schema registry's Confluent-compatible HTTP API the bridge itself needs at boot: a schema's id
 * under its subject (registered, or only looked up) and the compatibility levels that decide whether a new version
 * is taken. Spoken here rather than through @kafkajs/confluent-schema-registry, whose register() refuses any subject
 * whose level is not the one it would set and never reads the global level, so an operator's stricter choice kept
 * the bridge from becoming ready. The client library still decodes records for `tail` and `replay`.
 *
 * Every failure is a RegistryRequestError whose message says what happened in words: the registry's own message
 * with its status and the URL asked, or why no answer came (connection refused, timeout).
 */
import type { SchemaRegistryConfig } from '../config';

/** As the registry names them: BACKWARD, BACKWARD_TRANSITIVE, FORWARD, ..., FULL_TRANSITIVE, NONE. */
export type CompatibilityLevel = string;

export interface RegistryHttp {
  /** The schema's id under the subject, registering it as a new version when it is not there yet. */
  register(subject: string, schema: string): Promise<number>;
  /** The id of a schema already registered under the subject; RegistryRequestError with status 404 when not. */
  lookup(subject: string, schema: string): Promise<number>;
  /** The subject's own level; undefined when it has none (or, as Apicurio answers, the subject does not exist). */
  subjectLevel(subject: string): Promise<CompatibilityLevel | undefined>;
  globalLevel(): Promise<CompatibilityLevel>;
  setSubjectLevel(subject: string, level: CompatibilityLevel): Promise<void>;
}

export class RegistryRequestError extends Error {
  override name = 'RegistryRequestError';
  /** The registry's status, and its error_code when it gave one; undefined when no answer came. */
  constructor(
    message: string,
    readonly status?: number,
    readonly errorCode?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A registry that does not answer in this time is reported, and the boot tries again later. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Registry answers are small JSON documents; anything larger is not one. */
const MAX_ANSWER_BYTES = 1024 * 1024;
const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const NO_SUBJECT_LEVEL = new Set<number | undefined>([40401, 40408]);

export function createRegistryHttp(config: Pick<SchemaRegistryConfig, 'url' | 'auth'>): RegistryHttp {
  const base = config.url.replace(/\/+$/, '');
  const authorization = config.auth
    ? `Basic ${Buffer.from(`${config.auth.username}:${config.auth.password.reveal()}`).toString('base64')}`
    : undefined;

  async function request(method: 'GET' | 'POST' | 'PUT', path: string, body?: object): Promise<unknown> {
    const url = `${base}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: CONTENT_TYPE,
          ...(body ? { 'content-type': CONTENT_TYPE } : {}),
          ...(authorization ? { authorization } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw new RegistryRequestError(
        `${method} ${url}: no answer (${noAnswerReason(err)})`,
        undefined,
        undefined,
        {
          cause: err,
        },
      );
    }
    const text = await readBounded(response);
    const answer = parseJson(text);
    if (response.ok) return answer;
    const { message, error_code: errorCode } = (answer ?? {}) as { message?: unknown; error_code?: unknown };
    const said = typeof message === 'string' ? message : text.slice(0, 200) || response.statusText;
    const code = typeof errorCode === 'number' ? errorCode : undefined;
    throw new RegistryRequestError(
      `${method} ${url}: ${response.status}${meaningOf(response.status, code)} ${said}`,
      response.status,
      code,
    );
  }

  const subjectPath = (subject: string) => `/subjects/${encodeURIComponent(subject)}`;
  const idOf = (answer: unknown, what: string): number => {
    const id = (answer as { id?: unknown } | null)?.id;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0)
      throw new RegistryRequestError(`${what}: the registry's answer has no schema id`);
    return id;
  };
  const levelOf = (answer: unknown): CompatibilityLevel => {
    const level = (answer as { compatibilityLevel?: unknown } | null)?.compatibilityLevel;
    if (typeof level !== 'string') throw new RegistryRequestError("the registry's answer names no level");
    return level.toUpperCase();
  };

  return {
    register: async (subject, schema) =>
      idOf(await request('POST', `${subjectPath(subject)}/versions`, { schema }), `register ${subject}`),
    lookup: async (subject, schema) =>
      idOf(await request('POST', subjectPath(subject), { schema }), `look up ${subject}`),
    subjectLevel: async (subject) => {
      try {
        return levelOf(await request('GET', `/config/${encodeURIComponent(subject)}`));
      } catch (err) {
        // The registry's own 404s (40401 no such subject, 40408 no level of its own), not a wrong URL's.
        if (err instanceof RegistryRequestError && NO_SUBJECT_LEVEL.has(err.errorCode)) return undefined;
        throw err;
      }
    },
    globalLevel: async () => levelOf(await request('GET', '/config')),
    setSubjectLevel: async (subject, level) => {
      await request('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level });
    },
  };
}

/**
 * Whether the failure is the registry's own (no answer, credentials refused, a wrong URL, a server error) rather
 * than its answer about a schema (incompatible, invalid, not registered).
 */
export function isRegistryFault(err: unknown): err is RegistryRequestError {
  if (!(err instanceof RegistryRequestError)) return false;
  const { status, errorCode } = err;
  return (
    status === undefined ||
    status === 401 ||
    status === 403 ||
    status >= 500 ||
    (status === 404 && errorCode === undefined)
  );
}

/** What a status says to the operator, where the registry's own message may not: a 404 of its own has a code. */
function meaningOf(status: number, errorCode: number | undefined): string {
  if (status === 401 || status === 403) return ' authentication failed (check schemaRegistry.auth):';
  if (status === 404 && errorCode === undefined) return ' no such path (check schemaRegistry.url):';
  return '';
}

/** Node's fetch says only "fetch failed"; the reason is in its cause (ECONNREFUSED, ENOTFOUND, a timeout). */
function noAnswerReason(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return `timed out after ${REQUEST_TIMEOUT_MS} ms`;
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused';
  if (cause?.code === 'ENOTFOUND') return 'host not found';
  if (typeof cause?.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}

async function readBounded(response: Response): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early cancels the body.
  for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES)
      throw new RegistryRequestError(`the registry's answer is more than ${MAX_ANSWER_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
