/**
 * The error catalogue: every code the bridge reports, with what it means where it can be seen. The error classes
 * (BridgeError's subclasses across src/, RegistrationError's, ConfigError) name the situation and carry its
 * detail; their status, fault code, retriability and exposure come from their row here, and nowhere else. The
 * README's error table is rendered from it (`npm run docs:errors`, src/docs/errors.ts).
 *
 * Statuses: SOAP 1.1 says faults travel with HTTP 500, but ThingSpace retries every non-2xx answer, so we answer
 * the caller's mistakes with 4xx (operators see them for what they are) and keep 5xx for "try again later".
 *
 * The bottom layer: imports nothing.
 */
export type FaultCode = 'Client' | 'Server';

/**
 * Where a code can be seen:
 * - `callback`: the answer to a request on an ingress listener (ThingSpace's callbacks): the README's table.
 * - `dead-letter`: the `reasonCode` of a dead-letter event; the callback itself is acknowledged.
 * - `boot`: stops `serve` before it listens, or keeps the node unready (/readyz answers 503).
 * - `cli`: the `callbacks` command prints it and exits 1.
 * - `consumer`: thrown in a consumer's process by the decoder of `thingspace-kafka-bridge/consumer`.
 */
export type ErrorScope = 'callback' | 'dead-letter' | 'boot' | 'cli' | 'consumer';

/** Headers an answer carries. Their values come from the error: src/http/app.ts's error exit. */
export type FaultHeader = 'Retry-After' | 'Allow';

/** A code with an HTTP answer: a BridgeError's, and INTERNAL (any error that is not one). */
export interface FaultSpec {
  where: ErrorScope;
  /** The HTTP status of the answer. */
  status: number;
  /** SOAP 1.1 fault code: Client (the message is at fault) or Server (we are). */
  faultCode: FaultCode;
  /** Whether trying the same thing again later can succeed. */
  retriable: boolean;
  /** Whether an instance's message may be shown to the caller (it never holds credentials either way). */
  expose: boolean;
  headers: readonly FaultHeader[];
  /**
   * One line, public: the README's table, and the answer's text (SOAP faultstring, JSON message) where the
   * instance's message is not sent (see src/http/answers.ts). Markdown only where it is never an answer's text.
   */
  description: string;
}

/** A code that never becomes an HTTP answer: a process exit, a CLI failure, a dead letter's reason. */
export interface PlainSpec {
  where: Exclude<ErrorScope, 'callback'>;
  retriable: boolean;
  description: string;
  status?: never;
}

const RETRY_AFTER = ['Retry-After'] as const;

/** A caller's mistake: a 4xx, a Client fault, its message shown; the same bytes again cannot succeed. */
function refused<const H extends readonly FaultHeader[] = []>(
  status: number,
  description: string,
  more: { retriable?: boolean; headers?: H } = {},
) {
  const { retriable = false, headers = [] as unknown as H } = more;
  return {
    where: 'callback' as const,
    status,
    faultCode: 'Client' as const,
    retriable,
    expose: true,
    headers,
    description,
  };
}

/** Try again later: 503 with Retry-After, a Server fault. */
function later(description: string) {
  return {
    where: 'callback' as const,
    status: 503,
    faultCode: 'Server' as const,
    retriable: true,
    expose: true,
    headers: RETRY_AFTER,
    description,
  };
}

/** A boot failure: the node stays unready (503 at /readyz); the message names brokers and subjects, so hidden. */
function unready(description: string) {
  return {
    where: 'boot' as const,
    status: 503,
    faultCode: 'Server' as const,
    retriable: false,
    expose: false,
    headers: [],
    description,
  };
}

/** A code that never becomes an HTTP answer. */
function plain<const W extends PlainSpec['where']>(where: W, description: string, retriable = false) {
  return { where, retriable, description };
}

export const ERRORS = {
  // 400: the body cannot be read as a callback (src/message/errors.ts: ParseError), or did not arrive whole.
  EMPTY_BODY: refused(400, 'the body is empty or only whitespace'),
  INVALID_UTF8: refused(400, 'the body is not valid UTF-8'),
  MALFORMED_XML: refused(400, 'the body is not well-formed XML'),
  DOCTYPE_FORBIDDEN: refused(400, 'a DOCTYPE (and with it any entity declaration) was sent'),
  TOO_DEEP: refused(400, 'XML elements, or JSON objects and arrays, are nested deeper than maxDepth'),
  TOO_MANY_ELEMENTS: refused(
    400,
    'the message has more than maxElements XML elements, or JSON values (members and items)',
  ),
  TEXT_TOO_LONG: refused(
    400,
    "an XML element's text or a stretch of XML without markup, or a JSON string (key or value) or number, " +
      'is longer than maxTextBytes',
  ),
  TOO_MANY_ATTRIBUTES: refused(400, 'an element has more than maxAttributes attributes'),
  NOT_SOAP_ENVELOPE: refused(400, 'the document is not a SOAP Envelope with a Body'),
  UNKNOWN_ROOT: refused(
    400,
    'the SOAP Body holds no CallbackRequest or SmsCallbackRequest, another element, or several',
  ),
  BYTE_ORDER_MARK: refused(
    400,
    'a JSON body starts with a byte order mark (RFC 8259 forbids senders to add one)',
  ),
  MALFORMED_JSON: refused(
    400,
    'the body is not JSON as RFC 8259 defines it (no comments, trailing commas, NaN or leading zeros); ' +
      'the message gives the line and column',
  ),
  DUPLICATE_KEY: refused(400, 'a JSON object, at any depth, has the same key twice'),
  NOT_JSON_OBJECT: refused(400, 'the JSON body is not an object (an array, a string, a number, ...)'),
  CREDENTIALS_NOT_STRINGS: refused(
    400,
    'the top-level `username` or `password` of a JSON body is neither a string nor null',
  ),
  BODY_ABORTED: refused(400, 'the client went away before its body was complete'),

  // 401, 403, 404, 405: who may send what, where.
  AUTH_FAILED: refused(
    401,
    'the Username and Password do not admit the message; the reason is only in metrics: ' +
      '`unknown-user`, `bad-password`, `service-not-allowed`, `empty-credentials`',
  ),
  SOURCE_NOT_ALLOWED: refused(403, 'the source address is outside `http.allowedSources`'),
  UNKNOWN_SERVICE: refused(404, 'the URL names no callback service the bridge knows'),
  SERVICE_DISABLED: refused(
    404,
    'a known service this bridge does not take (`services.<name>.enabled: false`)',
  ),
  NOT_FOUND: refused(404, 'no such path'),
  METHOD_NOT_ALLOWED: refused(405, 'a method other than POST on a callback path (`Allow: POST`)', {
    headers: ['Allow'],
  }),

  // 408, 413, 415: how the body was sent.
  // The same body sent faster can be taken; no Retry-After: ThingSpace keeps its own schedule.
  BODY_TIMEOUT: refused(408, 'the body did not arrive within `http.bodyTimeoutMs`', { retriable: true }),
  BODY_TOO_LARGE: refused(413, 'the body is longer than maxBodyBytes'),
  EVENT_TOO_LARGE: refused(
    413,
    'the event and even its dead letter exceed a Kafka record (an event alone too large is dead-lettered)',
  ),
  UNSUPPORTED_MEDIA_TYPE: refused(
    415,
    'the Content-Type is neither XML (`text/xml`, `application/xml`, `application/soap+xml`) nor JSON ' +
      '(`application/json`, `text/json`, `application/*+json`)',
  ),

  // 5xx: try again later. Their descriptions are their answers' texts: plain, no markdown.
  INTERNAL: {
    where: 'callback',
    status: 500,
    faultCode: 'Server',
    retriable: true,
    expose: false,
    headers: [],
    description: 'an unexpected error (a bug); the details are only in the log',
  },
  NOT_READY: later('the bridge is starting or shutting down; retry later'),
  OVERLOADED: later('the bridge is answering as many callbacks as it can; retry later'),
  QUEUE_FULL: later('the publish queue is full; retry later'),
  KAFKA_UNAVAILABLE: later('Kafka did not take the event; retry later'),
  DELIVERY_TIMEOUT: later('Kafka did not acknowledge the event in time; retry later'),
  SHUTTING_DOWN: later('the bridge is shutting down; retry later'),
  SPOOL_FULL: later('the spool is full; retry later'),
  SPOOL_UNAVAILABLE: later('the spool cannot take the event; retry later'),

  // Boot.
  TOPICS_MISSING: unready('Kafka topics the bridge publishes to are missing and were not created'),
  SCHEMA_UNRESOLVED: unready('schemas could not be registered in, or found in, the schema registry'),
  CONFIG_INVALID: plain(
    'boot',
    'the configuration cannot be used; every problem is listed and the process exits 2',
  ),

  // Dead letters: authenticated, so kept; the callback is acknowledged.
  UNEXPECTED_ROOT: {
    where: 'dead-letter',
    status: 422,
    faultCode: 'Client',
    retriable: false,
    expose: true,
    headers: [],
    description: 'a known service received a root element it never sends',
  },
  NORMALIZE_FAILED: plain(
    'dead-letter',
    'the message could not be normalized for a reason no other code names (a bug)',
  ),

  // The `callbacks` command, managing registrations with ThingSpace's UWS API.
  UWS_FAULT: plain('cli', 'ThingSpace answered a SOAP Fault (its text is quoted)'),
  UWS_HTTP_STATUS: plain('cli', 'ThingSpace answered a non-2xx status without a SOAP Fault'),
  UWS_UNREACHABLE: plain(
    'cli',
    'no answer from ThingSpace on any attempt (refused, reset, DNS, TLS, timeout)',
    true,
  ),
  UWS_BAD_RESPONSE: plain('cli', 'a 2xx answer that is not the SOAP response the operation expects'),

  // The same over the REST API (THINGSPACE.md §6, thingspace.api: rest).
  REST_ERROR: plain('cli', 'the REST API answered an error (its text is quoted)'),
  REST_HTTP_STATUS: plain('cli', 'the REST API answered a non-2xx status without an error body'),
  REST_UNREACHABLE: plain(
    'cli',
    'no answer from the REST API on any attempt (refused, reset, DNS, TLS, timeout)',
    true,
  ),
  REST_BAD_RESPONSE: plain('cli', 'a 2xx answer of the REST API that is not the JSON the call expects'),
  REST_AUTH_FAILED: plain(
    'cli',
    'the OAuth2 token or the M2M session was refused (bad app key, secret or API user, or a 401 after a fresh login)',
  ),
  REST_REGISTERED_OVER_SOAP: plain(
    'cli',
    'registering over REST failed because the account has the service registered over SOAP (the platform allows one)',
  ),
  REGISTRATION_INVALID: plain(
    'cli',
    'what would be registered breaks a rule of the platform; nothing was sent',
  ),
  // The `replay` command (src/replay/); its usage errors exit 2, these 1.
  REPLAY_TOPIC_MISSING: plain(
    'cli',
    'the topic to replay from does not exist (the archive was never enabled, or the config names other topics)',
  ),
  REPLAY_KAFKA_FAILED: plain('cli', 'Kafka could not be reached, or did not take the replayed events', true),
  REPLAY_REGISTRY_FAILED: plain(
    'cli',
    'the schema registry could not be reached, or lacks the schemas the events are encoded or decoded with',
    true,
  ),

  // The decoder a consumer imports from `thingspace-kafka-bridge/consumer` (src/consumer/).
  CONSUMER_NOT_WIRE_FORMAT: plain(
    'consumer',
    'a record value is not Confluent wire format: none (a tombstone), under 5 bytes, or a first byte other than 0',
  ),
  CONSUMER_UNKNOWN_SCHEMA_ID: plain(
    'consumer',
    "the schema registry (or the given schemas) has no schema with the record's id, or the id is not positive",
  ),
  CONSUMER_UNKNOWN_WRITER_SCHEMA: plain(
    'consumer',
    "the record's writer schema is no topic schema of this contract (told by its record name), or a newer one " +
      'the current schema of its topic cannot read',
  ),
  CONSUMER_INVALID_AVRO: plain(
    'consumer',
    'the Avro bytes of a record do not decode with its writer schema (truncated, or bytes left over)',
  ),
  CONSUMER_REGISTRY_UNREACHABLE: plain(
    'consumer',
    'no answer from the schema registry in time (refused, DNS, TLS, timeout), or a 5xx, 408 or 429',
    true,
  ),
  CONSUMER_REGISTRY_FAILED: plain(
    'consumer',
    'the schema registry refused the request (401, 403, another 4xx), or its answer is not a schema or too large',
  ),
} as const satisfies Record<string, FaultSpec | PlainSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** The codes with an HTTP answer (a FaultSpec row). */
export type AnswerCode = {
  [C in ErrorCode]: (typeof ERRORS)[C] extends { status: number } ? C : never;
}[ErrorCode];

/** The codes a BridgeError carries: every answer but INTERNAL, which is what any other error becomes. */
export type BridgeErrorCode = Exclude<AnswerCode, 'INTERNAL'>;

/** The codes seen in one place. */
export type ErrorCodeIn<W extends ErrorScope> = {
  [C in ErrorCode]: (typeof ERRORS)[C]['where'] extends W ? C : never;
}[ErrorCode];

/** Every code, in the catalogue's order. */
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

/** The codes with an HTTP answer, in the catalogue's order. */
export const ANSWER_CODES = ERROR_CODES.filter((code): code is AnswerCode => 'status' in ERRORS[code]);

/** The row of a code with an HTTP answer. */
export function faultSpec(code: AnswerCode): FaultSpec {
  return ERRORS[code];
}

/**
 * Whether a code's answer carries its row's description rather than the error's own message: every Server
 * error (5xx) and every hidden message. The same in every wire format (src/http/answers.ts says why).
 */
export function hasFixedText(code: AnswerCode): boolean {
  const spec = faultSpec(code);
  return spec.status >= 500 || !spec.expose;
}

export interface BridgeErrorOptions {
  cause?: unknown;
}

/**
 * A failure with a catalogue code that is never an HTTP answer (a command's, a consumer's): its retriability
 * from its row; subclasses name the situation and narrow the codes.
 */
export abstract class CodedError<C extends ErrorCode> extends Error {
  /** Whether trying the same thing again later can succeed. */
  readonly retriable: boolean;

  constructor(
    readonly code: C,
    message: string,
    options?: BridgeErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
    this.retriable = ERRORS[code].retriable;
  }
}

/**
 * Every failure the bridge answers is a BridgeError subclass with a catalogue code. The one outermost HTTP
 * handler turns any of them into an answer (a SOAP Fault, or JSON for a JSON caller); nothing else decides
 * statuses.
 */
export abstract class BridgeError extends Error {
  /** Stable, documented, tested: dashboards and alerts key on it. */
  readonly code: BridgeErrorCode;
  /** The HTTP status of the answer to ThingSpace. */
  readonly status: number;
  /** SOAP 1.1 fault code: Client (the message is at fault) or Server (we are). */
  readonly faultCode: FaultCode;
  /** Whether `message` may be shown to the caller (it never holds credentials either way). */
  readonly expose: boolean;
  /** Whether trying the same thing again later can succeed. */
  readonly retriable: boolean;

  /** Without a message, the catalogue's description is the message. */
  constructor(code: BridgeErrorCode, message?: string, options: BridgeErrorOptions = {}) {
    const spec = faultSpec(code);
    super(message ?? spec.description, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = spec.status;
    this.faultCode = spec.faultCode;
    this.expose = spec.expose;
    this.retriable = spec.retriable;
  }
}
