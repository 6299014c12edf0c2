/**
 * Writer schemas from a Confluent-compatible schema registry: `GET <url>/schemas/ids/<id>`, the call every
 * Confluent deserializer makes. The URL is used as given, so Apicurio's compatibility API (`.../apis/ccompat/v7`)
 * works like Confluent's root. The bridge registers self-contained schemas (no references).
 */
import { ConsumerError } from './errors';
import { cachedReaders, type CacheOptions, type WriterSchemas } from './writer-schemas';

export interface RegistryOptions extends CacheOptions {
  /** The registry's base URL, e.g. `http://localhost:8081` or Apicurio's `http://host:8080/apis/ccompat/v7`. */
  url: string;
  /** HTTP basic auth (Confluent Cloud: API key and secret); also taken from the URL's user info. */
  username?: string;
  password?: string;
  /** For each request, answer and body together [10000]. */
  timeoutMs?: number;
  /** The largest answer read [1 MiB]; the largest of our schemas is about 25 KB. */
  maxResponseBytes?: number;
}

/** The registry's answer to `GET /schemas/ids/<id>`; `schemaType` is absent for Avro. */
interface SchemaAnswer {
  schema: string;
  schemaType?: string;
  references?: unknown[];
}

/** Readers of the schema ids a registry knows, fetched once per id (cachedReaders). */
export function registrySchemas(options: RegistryOptions): WriterSchemas {
  const { timeoutMs = 10_000, maxResponseBytes = 1024 * 1024 } = options;
  const base = new URL(options.url);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new TypeError(`registrySchemas: url must be http or https, got ${base.protocol}`);
  }
  const username = options.username ?? decodeURIComponent(base.username);
  const password = options.password ?? decodeURIComponent(base.password);
  base.username = '';
  base.password = '';
  base.search = '';
  base.hash = '';
  // Messages name the registry by this: no credentials.
  const where = base.href.replace(/\/+$/, '');
  const headers: Record<string, string> = {
    Accept: 'application/vnd.schemaregistry.v1+json, application/json',
  };
  if (username !== '' || password !== '') {
    headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  const lookup = async (id: number): Promise<unknown> => {
    const signal = AbortSignal.timeout(timeoutMs);
    const unreachable = (err: unknown) => {
      const reason =
        signal.aborted && (err as Error).name === 'TimeoutError'
          ? `no answer within ${timeoutMs} ms`
          : causeOf(err);
      return new ConsumerError(
        'CONSUMER_REGISTRY_UNREACHABLE',
        `cannot reach the schema registry at ${where}: ${reason}`,
        { cause: err },
      );
    };
    let response: Response;
    try {
      response = await fetch(`${where}/schemas/ids/${id}`, { headers, signal });
    } catch (err) {
      throw unreachable(err);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw statusError(response.status, id, where);
    }
    let text: string;
    try {
      text = await readLimited(response, maxResponseBytes);
    } catch (err) {
      if (err instanceof ConsumerError) throw err;
      throw unreachable(err);
    }
    return schemaOf(text, id, where);
  };
  return cachedReaders(lookup, options);
}

function causeOf(err: unknown): string {
  // undici's fetch rejects with TypeError('fetch failed') and the socket's error as its cause.
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

function statusError(status: number, id: number, where: string): ConsumerError {
  if (status === 404) {
    return new ConsumerError(
      'CONSUMER_UNKNOWN_SCHEMA_ID',
      `the schema registry at ${where} has no schema ${id}`,
    );
  }
  if (status >= 500 || status === 408 || status === 429) {
    return new ConsumerError(
      'CONSUMER_REGISTRY_UNREACHABLE',
      `the schema registry at ${where} answered ${status} for schema ${id}; try again later`,
    );
  }
  const hint = status === 401 || status === 403 ? ' (check the username and password)' : '';
  return new ConsumerError(
    'CONSUMER_REGISTRY_FAILED',
    `the schema registry at ${where} answered ${status} for schema ${id}${hint}`,
  );
}

/** The body as text, refused past `max` bytes whether or not Content-Length says so. */
async function readLimited(response: Response, max: number): Promise<string> {
  const tooLarge = () =>
    new ConsumerError('CONSUMER_REGISTRY_FAILED', `the schema registry's answer is larger than ${max} bytes`);
  if (Number(response.headers.get('content-length') ?? 0) > max) {
    await response.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let length = 0;
  if (response.body) {
    // A web ReadableStream is async iterable in Node; the DOM typings do not say so.
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      length += chunk.length;
      if (length > max) throw tooLarge(); // leaving the loop cancels the stream
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks, length).toString('utf8');
}

function schemaOf(text: string, id: number, where: string): unknown {
  const failed = (what: string) =>
    new ConsumerError(
      'CONSUMER_REGISTRY_FAILED',
      `the schema registry at ${where} answered ${what} for schema ${id}`,
    );
  let answer: Partial<SchemaAnswer>;
  try {
    answer = JSON.parse(text) as Partial<SchemaAnswer>;
  } catch {
    throw failed('something that is not JSON');
  }
  if (typeof answer !== 'object' || answer === null || typeof answer.schema !== 'string') {
    throw failed('JSON without a `schema` string');
  }
  if (answer.schemaType !== undefined && answer.schemaType !== 'AVRO') {
    throw new ConsumerError(
      'CONSUMER_UNKNOWN_WRITER_SCHEMA',
      `schema ${id} is a ${answer.schemaType} schema, not Avro: no topic schema of this contract`,
    );
  }
  if (Array.isArray(answer.references) && answer.references.length > 0) {
    throw new ConsumerError(
      'CONSUMER_UNKNOWN_WRITER_SCHEMA',
      `schema ${id} has schema references, which this contract's schemas never have`,
    );
  }
  try {
    return JSON.parse(answer.schema) as unknown;
  } catch {
    throw failed('a schema that is not JSON');
  }
}
