import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_ARCHIVE_TOPIC } from '../events/archive';
import { DEFAULT_TOPICS } from '../events/schemas';
import { DEFAULT_PARSER_LIMITS } from '../message/limits';
import { DEVICE_KINDS } from '../thingspace/devices';
import { Secret } from '../util/secret';
import { isRecord, itemsWithoutIssues, reportDuplicates, sameAs, whenList, whenValid } from './checks';
import { parseCidr } from './cidr';
import type { Frozen } from './freeze';
import { serviceKey } from '../thingspace/catalogue';
import { givenSources, MAX_CREDENTIAL_CHARS, readReferencedFile, withPassword, withSecrets } from './secrets';
import type { LoadContext } from './secrets';

/**
 * The one description of the configuration: validation, defaults, the `Config` type and docs/configuration.md
 * (src/config/reference.ts) all come from here. `meta.env` names the variable that overrides a key (applied by
 * sources.ts before validation).
 */

const MiB = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** `0` asks the OS for a free port (tests); it never collides with another listener. */
const port = z.int().min(0).max(65535);
const positiveMs = z.int().min(1);
const count = z.int().min(1);

function required(hint: string) {
  return {
    error: (issue: { input?: unknown }) => (issue.input === undefined ? `required: ${hint}` : undefined),
  };
}

function httpUrl(hint?: string) {
  return z
    .url({
      protocol: /^https?$/,
      error: (issue) => (issue.input === undefined && hint ? `required: ${hint}` : 'expected an http(s) URL'),
    })
    .refine((url) => !/^[a-z]+:\/\/[^/]*@/i.test(url), 'must not hold credentials (URLs get logged)');
}

/** A ThingSpace service name; checked against the service catalogue by the HTTP layer, not here. */
const serviceName = z.string().min(1);

function distinctServices(names: readonly string[], issues: z.core.$RefinementCtx): void {
  reportDuplicates(
    issues,
    names.map((name, index) => ({ path: [index], key: serviceKey(name) })),
    () => 'listed twice (names compare case-insensitively, other spellings included)',
  );
}

/** Admission control of callbacks (src/http/admission.ts); the defaults come from bench/README.md "Overload". */
const admission = z
  .strictObject({
    enabled: z.boolean().default(true).meta({
      description:
        'Shed callbacks with 503 OVERLOADED and Retry-After, before reading their bodies, when the node is past its capacity; /healthz, /readyz and /metrics are never shed.',
    }),
    maxInFlight: count.max(100_000).default(256).meta({
      description:
        'Callbacks being answered at once (from admission to answer, across all listeners) beyond which new ones are shed. Enough for full throughput (batches form while Kafka acknowledges); few enough that an admitted callback is answered within a second.',
    }),
    maxEventLoopDelayMs: z.int().min(0).max(60_000).default(0).meta({
      description:
        'Also shed every callback for 100 ms after the event loop was this late within the last 100 ms; 0 (the default) leaves it off: under a flood of clients that resend at once, shedding itself delays the loop, and this signal then shed nearly everything (bench/README.md, "Overload").',
    }),
    retryAfterSeconds: count.max(3600).default(1).meta({
      description: 'The Retry-After of a shed answer.',
    }),
    shedDelayMs: z.int().min(0).max(5_000).default(500).meta({
      description:
        'How long a shed answer is held before it is sent: a client that resends at once, ignoring Retry-After, is paced to one attempt per this long instead of taking the node from the callbacks it admitted; keep it well under a second (the answers of an overloaded node stay within one).',
    }),
  })
  .meta({ description: 'Admission control: load beyond capacity is refused early rather than queued.' });

/** The TLS versions a listener can require at least; TLS 1.3 is offered either way. */
export const TLS_MIN_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;

const LISTENER_TLS_FILES = ['certFile', 'keyFile', 'chainFile'] as const;

/**
 * HTTPS on the callback listeners (src/bridge/tls.ts). The files are checked readable here, so a wrong path is
 * reported with every other problem; the bridge reads them at start and again whenever they change, so the
 * result keeps their paths (absolute), not their content.
 */
function listenerTls(ctx: LoadContext) {
  const file = (description: string) => z.string().min(1).meta({ description });
  return withSecrets(
    {
      certFile: file(
        'PEM certificate of the listeners, relative to the config file: the server certificate first, then its intermediates (a full chain such as ACME clients write) unless chainFile gives them. ThingSpace needs one a public CA signed.',
      ),
      keyFile: file('PEM private key of certFile; encrypted ones take a passphrase.'),
      chainFile: file(
        'PEM intermediate certificates sent after certFile, for a certFile that holds the server certificate alone.',
      ).optional(),
      minVersion: z.enum(TLS_MIN_VERSIONS).default('TLSv1.2').meta({
        description:
          "The oldest TLS version accepted; TLS 1.3 is always offered. Keep TLSv1.2: ThingSpace's senders speak TLS 1.1/1.2 (THINGSPACE.md §4), so TLSv1.3 locks the platform out.",
      }),
      watchIntervalMs: positiveMs.default(5_000).meta({
        description:
          'How often the files are checked for a change (stat); a changed, valid pair serves new connections from then on, open ones keep theirs, and an invalid one is logged and the pair in use kept.',
      }),
    },
    ctx,
    { passphrase: 'optional' },
    {
      check: (value, issues) => {
        for (const key of LISTENER_TLS_FILES) {
          const path = value[key];
          if (typeof path === 'string' && path.length > 0) readReferencedFile(path, ctx, issues, key);
        }
      },
    },
  ).transform(({ certFile, keyFile, chainFile, ...rest }) => ({
    ...rest,
    certFile: resolve(ctx.baseDir, certFile),
    keyFile: resolve(ctx.baseDir, keyFile),
    ...(chainFile === undefined ? {} : { chainFile: resolve(ctx.baseDir, chainFile) }),
  }));
}

function http(ctx: LoadContext) {
  return z
    .strictObject({
      port: port.default(8080).meta({
        description: 'Port of the main listener: POST /callbacks/:service, /healthz, /readyz, /metrics.',
        env: 'BRIDGE_PORT',
      }),
      host: z
        .string()
        .min(1)
        .default('0.0.0.0')
        .meta({ description: 'Address to listen on; `::` for IPv6.' }),
      maxBodyBytes: count
        .default(DEFAULT_PARSER_LIMITS.maxBodyBytes)
        .meta({ description: 'Larger requests are refused with 413.' }),
      bodyTimeoutMs: positiveMs.default(10_000).meta({
        description: 'A client that has not sent its whole body by then is cut off (slow-client guard).',
      }),
      requestTimeoutMs: positiveMs.default(30_000).meta({
        description:
          'Longest time from request start to answer, Kafka acknowledgement included; at least bodyTimeoutMs.',
      }),
      keepAliveTimeoutMs: positiveMs.default(65_000).meta({
        description:
          'Idle keep-alive connections are closed after this. Above the 60 s idle timeout of common load balancers, so they close first.',
      }),
      shutdownGraceMs: positiveMs.default(25_000).meta({
        description:
          'On SIGTERM, time to finish in-flight requests and flush to Kafka; below the 30 s Kubernetes default grace period.',
      }),
      trustProxy: z.int().min(0).default(0).meta({
        description:
          'Proxies in front of the bridge whose X-Forwarded-For entries are believed; 0 uses the socket address.',
      }),
      allowedSources: z
        .array(
          // Parsed here, once: the HTTP guard gets Cidr objects ready for a net.BlockList.
          z.string().transform((text, issues) => {
            const cidr = parseCidr(text);
            if (cidr === undefined) {
              issues.addIssue({ code: 'custom', message: 'expected an IPv4/IPv6 address or CIDR' });
            }
            return cidr ?? z.NEVER;
          }),
        )
        .default([])
        .meta({
          description:
            "Source addresses (`192.0.2.7`, `192.0.2.0/24`, `2001:db8::/32`) allowed to POST callbacks: ThingSpace's published senders, THINGSPACE.md §4. Empty allows everyone and warns at start.",
        }),
      healthPort: port.optional().meta({
        description:
          'A port of its own for /healthz and /readyz, served by a worker thread so probes are answered at once however busy the node is (/healthz turns 503 only when the main event loop has not run for 10 s). Unset: only on the main listener.',
      }),
      metricsPort: port.optional().meta({
        description:
          'A port of its own for /metrics, apart from the callbacks: a scraper then needs no route to the port ThingSpace posts to, and the callback listeners answer /metrics 404. Unset: /metrics on the main listener.',
      }),
      listenBacklog: count.max(65_535).default(4096).meta({
        description:
          "Connections the kernel queues before the bridge accepts them (Node's default is 511; the kernel caps it at net.core.somaxconn). Past it, new connections are reset.",
      }),
      admission: admission.prefault({}),
      publicBaseUrl: httpUrl().optional().meta({
        description:
          'The URL ThingSpace reaches this bridge at (no trailing /callbacks): `callbacks sync` registers `<publicBaseUrl>/callbacks/<Service>`, on `services.<name>.port` where one is set. Warns when its port is one ThingSpace does not accept.',
        env: 'BRIDGE_PUBLIC_BASE_URL',
      }),
      tls: listenerTls(ctx).optional().meta({
        description:
          'HTTPS on the main and per-service listeners, for a bridge that ThingSpace reaches without a TLS-ending proxy (README, Exposing it to ThingSpace); the health port stays plain HTTP. Absent: plain HTTP.',
      }),
    })
    .superRefine(
      (value, issues) => {
        if (value.requestTimeoutMs < value.bodyTimeoutMs) {
          issues.addIssue({
            code: 'custom',
            path: ['requestTimeoutMs'],
            message: 'must be at least bodyTimeoutMs',
          });
        }
      },
      whenValid(['requestTimeoutMs'], ['bodyTimeoutMs']),
    )
    .meta({ description: 'The HTTP listener(s) receiving callbacks.' });
}

const service = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .meta({ description: 'false: callbacks for this service are refused with 404.' }),
  port: port.optional().meta({
    description: 'An extra listener dedicated to this service, as the platform recommends for robustness.',
  }),
});

const services = z
  .record(serviceName, service)
  .default({})
  .meta({
    description: 'Per-service options, keyed by ThingSpace service name (any case or known spelling).',
  })
  .superRefine((value, issues) =>
    reportDuplicates(
      issues,
      Object.keys(value).map((name) => ({ path: [name], key: serviceKey(name) })),
      (first) =>
        `${sameAs('service', ['services'])(first)} (names compare case-insensitively, other spellings included)`,
    ),
  );

const credentialText = z
  .string()
  .min(1)
  .max(MAX_CREDENTIAL_CHARS)
  // Compared byte for byte with the message's Username (the parser keeps it as sent); blanks at either end are
  // a copy-paste slip far more often than a choice.
  .refine((text) => text.trim() === text, 'must not start or end with whitespace');

/**
 * Who an account is to a callback: its Username and password (sent in every message), a secret path token
 * (`/callbacks/<token>/<Service>`, for registrations made without credentials), or both. A username goes with a
 * password.
 */
function checkAccountIdentity(value: Readonly<Record<string, unknown>>, issues: z.core.$RefinementCtx): void {
  const username = value.username !== undefined;
  const password = givenSources('password', value).length > 0;
  if (username && !password) {
    issues.addIssue({
      code: 'custom',
      path: ['password'],
      message: 'one of password, passwordFile, passwordEnv is required',
    });
  } else if (password && !username) {
    issues.addIssue({ code: 'custom', path: ['username'], message: 'required with a password' });
  } else if (!username && givenSources('pathToken', value).length === 0) {
    issues.addIssue({
      code: 'custom',
      path: ['username'],
      message: 'give a username and password, a pathToken, or both',
    });
  }
}

function account(ctx: LoadContext) {
  return withSecrets(
    {
      name: z.string().min(1).meta({
        description:
          'ThingSpace account name (keep leading zeros: quote it in YAML); events carry it as accountName.',
      }),
      username: credentialText.optional().meta({
        description: `The Username registered with the callbacks, with a password; identifies the account when several share one URL. Unique across accounts, 1-${MAX_CREDENTIAL_CHARS} characters (ThingSpace's REST API takes at most 40). Optional with a pathToken.`,
        defaultText: 'with a password',
      }),
      services: z
        .array(serviceName)
        .min(1)
        .superRefine(distinctServices)
        .superRefine((names, issues) => {
          if (names.includes('*') && names.length > 1) {
            issues.addIssue({ code: 'custom', message: '"*" must be the only entry' });
          }
        })
        .meta({ description: 'Services this account may receive callbacks for; ["*"] for all.' }),
      allowEmptyCredentials: z
        .array(serviceName.refine((name) => name !== '*', 'name each service; "*" is not accepted here'))
        .default([])
        .superRefine(distinctServices)
        .meta({
          description:
            'Services for which a callback with empty Username and Password is taken as this account. At most one account per service.',
        }),
    },
    ctx,
    { password: 'optional', pathToken: 'optional' },
    { check: checkAccountIdentity },
  ).superRefine(
    (value, issues) => {
      if (value.services[0] === '*') return;
      const allowed = new Set(value.services.map(serviceKey));
      value.allowEmptyCredentials.forEach((name, index) => {
        if (!allowed.has(serviceKey(name))) {
          issues.addIssue({
            code: 'custom',
            path: ['allowEmptyCredentials', index],
            message: "not among this account's services",
          });
        }
      });
    },
    whenValid(['services'], ['allowEmptyCredentials']),
  );
}

type Account = z.output<ReturnType<typeof account>>;

function accountsAgree(accounts: readonly Account[], issues: z.core.$RefinementCtx): void {
  const sound = itemsWithoutIssues(accounts, issues);
  reportDuplicates(
    issues,
    sound.map(([index, item]) => ({ path: [index, 'name'], key: item.name })),
    sameAs('name', ['accounts']),
  );
  // Exact comparison, as authentication does; the message points at the other account, never at the value.
  reportDuplicates(
    issues,
    sound.flatMap(([index, item]) =>
      item.username === undefined ? [] : [{ path: [index, 'username'], key: item.username }],
    ),
    (first) => `same username as accounts[${String(first[0])}]`,
  );
  // A path token names one account; the value is a secret, so only the other account is named.
  reportDuplicates(
    issues,
    sound.flatMap(([index, item]) =>
      item.pathToken === undefined ? [] : [{ path: [index, 'pathToken'], key: item.pathToken.reveal() }],
    ),
    (first) => `same pathToken as accounts[${String(first[0])}]`,
  );
  // An empty message names no account, so the service alone must decide which one it is.
  reportDuplicates(
    issues,
    sound.flatMap(([index, item]) =>
      item.allowEmptyCredentials.map((name, at) => ({
        path: [index, 'allowEmptyCredentials', at],
        key: serviceKey(name),
      })),
    ),
    (first) => `accounts[${String(first[0])}] already accepts empty credentials for this service`,
  );
}

const TLS_FILES = ['caFile', 'certFile', 'keyFile'] as const;

/** Like the password check (secrets.ts): runs despite other problems, reading the files to report them early. */
function checkTls(value: Readonly<Record<string, unknown>>, ctx: LoadContext, issues: z.core.$RefinementCtx) {
  const files = TLS_FILES.filter((key) => value[key] !== undefined);
  if (value.enabled === false && files.length > 0) {
    issues.addIssue({
      code: 'custom',
      path: ['enabled'],
      message: `must be true when ${files.join(', ')} is given`,
    });
  }
  if ((value.certFile === undefined) !== (value.keyFile === undefined)) {
    issues.addIssue({ code: 'custom', path: ['certFile'], message: 'certFile and keyFile go together' });
  }
  for (const key of files) {
    const path = value[key];
    if (typeof path === 'string' && !issues.issues.some((issue) => issue.path?.[0] === key)) {
      readReferencedFile(path, ctx, issues, key);
    }
  }
}

function tls(ctx: LoadContext) {
  return z
    .strictObject({
      enabled: z.boolean().default(false).meta({ description: 'Connect to the brokers over TLS.' }),
      caFile: z
        .string()
        .min(1)
        .optional()
        .meta({ description: 'PEM CA bundle; the system CAs when absent.' }),
      certFile: z.string().min(1).optional().meta({ description: 'PEM client certificate (mutual TLS).' }),
      keyFile: z.string().min(1).optional().meta({ description: 'PEM private key of certFile.' }),
    })
    .superRefine((value, issues) => checkTls(value, ctx, issues), {
      when: (payload) => isRecord(payload.value),
    })
    .transform(({ enabled, caFile, certFile, keyFile }, issues) => {
      const read = (path: string | undefined, key: string) =>
        path === undefined ? undefined : readReferencedFile(path, ctx, issues, key);
      const key = read(keyFile, 'keyFile');
      return {
        enabled,
        ca: read(caFile, 'caFile'),
        cert: read(certFile, 'certFile'),
        key: key === undefined ? undefined : new Secret(key),
      };
    })
    .meta({ description: 'TLS to the brokers; the files are read at start.' });
}

const topicName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name: 1-249 of A-Z a-z 0-9 . _ -')
  .refine((name) => name !== '.' && name !== '..', 'expected a Kafka topic name other than . and ..');

const topics = z
  .strictObject({
    asyncResponses: topicName.default(DEFAULT_TOPICS['async-response']).meta({
      description: 'Results of earlier API requests (CarrierService, DeviceUsage, ...).',
    }),
    externalChanges: topicName.default(DEFAULT_TOPICS['external-change']).meta({
      description: 'Changes made outside the API (ExternalProvisioningChanges, PromoChange, ...).',
    }),
    deviceOriginated: topicName.default(DEFAULT_TOPICS['device-originated']).meta({
      description: 'SMS sent by devices.',
    }),
    deadLetter: topicName.default(DEFAULT_TOPICS['dead-letter']).meta({
      description: 'Authenticated callbacks that could not be normalized, with the reason.',
    }),
  })
  // Each topic has its own value schema (subject <topic>-value) and consumers tell categories apart by topic.
  .superRefine((value, issues) =>
    reportDuplicates(
      issues,
      Object.entries(value).map(([key, name]) => ({ path: [key], key: name })),
      sameAs('topic', ['kafka', 'topics']),
    ),
  )
  .meta({ description: 'One topic per event category; the value schema subject is `<topic>-value`.' });

const producer = z
  .strictObject({
    // 0 by default: a 5 ms linger added about 5 ms to every answer at low load (a single client: 137 ack/s against
    // 1,317/s without), while batches under load stayed about the same size (bench/README.md).
    lingerMs: z
      .int()
      .min(0)
      .max(1000)
      .default(0)
      .meta({
        description:
          'How long the first record of an idle producer waits for more before its batch is sent. With 0, records ' +
          'arriving while a batch is in flight still go together in the next one.',
      }),
    maxBatchRecords: count
      .default(500)
      .meta({ description: 'A batch is sent once it holds this many records.' }),
    // Below the broker's default message.max.bytes (1 MiB per partition's record batch), leaving ~48 KiB for the
    // per-record framing of up to 1,000 records.
    maxBatchBytes: count.default(1_000_000).meta({
      description:
        'A batch is sent once its records (keys, values, headers) reach this size; a larger record goes alone.',
    }),
    maxQueuedRecords: count.default(10_000).meta({
      description: 'Records waiting for a batch beyond this are refused with 503 + Retry-After.',
    }),
    maxQueuedBytes: count.default(64 * MiB).meta({
      description: 'Bytes waiting for a batch beyond this are refused with 503 + Retry-After.',
    }),
    // Well inside the time a ThingSpace callback waits for its answer.
    deliveryTimeoutMs: positiveMs.default(10_000).meta({
      description: 'A record not acknowledged by then fails its request with 503.',
    }),
  })
  .superRefine(
    (value, issues) => {
      if (value.maxQueuedRecords < value.maxBatchRecords) {
        issues.addIssue({
          code: 'custom',
          path: ['maxQueuedRecords'],
          message: 'must be at least maxBatchRecords',
        });
      }
    },
    whenValid(['maxQueuedRecords'], ['maxBatchRecords']),
  )
  .meta({ description: 'The batcher in front of the idempotent producer (acks=all, one batch in flight).' });

const spool = z
  .strictObject({
    enabled: z.boolean().default(false).meta({
      description:
        'Keep callbacks on local disk while Kafka cannot take them, and replay them in order when it can (README, Delivery guarantees).',
    }),
    dir: z.string().min(1).default('/var/lib/thingspace-bridge/spool').meta({
      description:
        'Directory of the spool segments and checkpoint; one node per directory, on a persistent volume.',
    }),
    maxBytes: count.default(1024 * MiB).meta({
      description:
        'Spool size beyond which callbacks are refused with 503 + Retry-After (and readiness fails).',
    }),
    fsync: z.boolean().default(true).meta({
      description:
        'fdatasync each group of appends before answering 200; off only where losing them is acceptable.',
    }),
    handoffMs: positiveMs.default(2_000).meta({
      description:
        'How long a callback waits for Kafka before its record is spooled instead; from then on every callback is spooled until the replay has drained the spool.',
    }),
    segmentBytes: count.default(64 * MiB).meta({
      description: 'Size of a spool segment file; acknowledged segments are deleted whole.',
    }),
  })
  .meta({ description: 'The durable spool that keeps callbacks through a Kafka outage.' });

const archive = z
  .strictObject({
    enabled: z.boolean().default(false).meta({
      description:
        'Publish the body of every accepted callback, credentials removed, to the archive topic in the same batch as its event, so that `thingspace-bridge replay` can run it through a later mapping.',
    }),
    topic: topicName.default(DEFAULT_ARCHIVE_TOPIC).meta({
      description: 'The archive topic: raw bodies, with what a replay needs as headers (README, Replay).',
    }),
    retentionMs: count.default(35 * DAY_MS).meta({
      description:
        'retention.ms of the archive topic when kafka.createTopics creates it (gzip-compressed; an existing topic is left as it is).',
    }),
  })
  .prefault({})
  .meta({ description: 'The raw archive of accepted callbacks, for replay.' });

/** `thingspace-bridge dedupe` (docs/dedupe.md): the exactly-once copy of each category topic to `<topic>.deduped`. */
const dedupe = z
  .strictObject({
    groupId: z.string().min(1).max(200).default('thingspace-bridge-dedupe').meta({
      description:
        'Consumer group of the dedupe nodes; also the prefix of the state changelog topics (`<groupId>-<topic>-seen-changelog`).',
    }),
    instanceId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, `.`, `_` and `-`, at most 100')
      .optional()
      .meta({
        description:
          "This node's name, stable across its restarts (a StatefulSet pod's name): its transactional id is `<groupId>-<instanceId>`, so a restart fences what its previous run left open. The host name when absent.",
        env: 'DEDUPE_INSTANCE_ID',
      }),
    windowMs: count.default(35 * DAY_MS).meta({
      description:
        "How long an eventId is remembered, by the records' timestamps: the platform re-sends archived callbacks for 30 days.",
    }),
    batchSize: count.max(10_000).default(500).meta({
      description: 'Most records in one transaction.',
    }),
    lingerMs: positiveMs.max(10_000).default(20).meta({
      description: 'How long a batch waits for more records after its first.',
    }),
    expiryIntervalMs: positiveMs.default(60_000).meta({
      description: "How much stream time passes between two expiries of a partition's remembered ids.",
    }),
    port: port.default(8080).meta({
      description:
        "Port of the node's one listener: GET /metrics, /healthz and /readyz (ready once the consumer has joined, every assigned partition's state is rebuilt and the last batch committed).",
      env: 'DEDUPE_PORT',
    }),
    host: z
      .string()
      .min(1)
      .default('0.0.0.0')
      .meta({ description: 'Address the port listens on; `::` for IPv6.' }),
    stateDir: z.string().min(1).optional().meta({
      description:
        "Directory of the on-disk state (one LMDB file per input partition), on a persistent volume: a restart reads only the changelog's tail. Absent: the state is kept in memory and rebuilt from the whole changelog at every start.",
    }),
  })
  .prefault({})
  .meta({
    description:
      'The dedupe service: each category topic of `kafka.topics` (not the dead-letter topic) copied to `<topic>.deduped` with each eventId once.',
  });

/** The archive is no category: it must not share a topic with one. */
function archiveApart(
  value: { archive: { topic: string }; kafka: { topics: Record<string, string> } },
  issues: z.core.$RefinementCtx,
): void {
  for (const [key, name] of Object.entries(value.kafka.topics)) {
    if (name === value.archive.topic) {
      issues.addIssue({
        code: 'custom',
        path: ['archive', 'topic'],
        message: `same topic as kafka.topics.${key}`,
      });
    }
  }
}

const normalize = z
  .strictObject({
    kindPriority: z
      .array(z.enum(DEVICE_KINDS))
      .min(1)
      .default([...DEVICE_KINDS])
      .superRefine((kinds, issues) =>
        reportDuplicates(
          issues,
          kinds.map((kind, index) => ({ path: [index], key: kind })),
          () => 'listed twice',
        ),
      )
      .meta({
        description:
          'Device identifier kinds in order of preference for the event key (kind:identifier); a message with none of them is keyed by its first device.',
      }),
  })
  .prefault({})
  .meta({ description: 'How callbacks become events.' });

/** The Kafka libraries the producer can run on (src/kafka/producer.ts). */
export const KAFKA_CLIENTS = ['kafkajs', 'platformatic'] as const;
/** `kafka.client` when the config names none (bench/README.md, "The Kafka client" says why). */
export const DEFAULT_KAFKA_CLIENT: (typeof KAFKA_CLIENTS)[number] = 'platformatic';

function kafka(ctx: LoadContext) {
  return z
    .strictObject(
      {
        brokers: z
          .array(
            z
              .string()
              .regex(
                /^(\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+):\d{1,5}$/,
                'expected host:port ([v6::addr]:port for IPv6)',
              ),
            required('list the brokers here or set KAFKA_BROKERS'),
          )
          .min(1)
          .meta({ description: 'Bootstrap brokers as host:port.', env: 'KAFKA_BROKERS' }),
        clientId: z.string().min(1).default('thingspace-bridge').meta({ description: 'Kafka client id.' }),
        client: z.enum(KAFKA_CLIENTS).default(DEFAULT_KAFKA_CLIENT).meta({
          description:
            'The library the producer uses: @platformatic/kafka (faster, maintained), or kafkajs (about 45 MiB less RSS at rest); same guarantees and partitioning; topics and the registry stay on kafkajs. bench/README.md, "The Kafka client", has the measurements.',
        }),
        tls: tls(ctx).prefault({}),
        sasl: withPassword(
          {
            mechanism: z
              .enum(['plain', 'scram-sha-256', 'scram-sha-512'])
              .meta({ description: 'SASL mechanism (plain only over TLS, or it travels in clear).' }),
            username: z.string().min(1).meta({ description: 'SASL username.' }),
          },
          ctx,
        )
          .optional()
          .meta({ description: 'SASL authentication to the brokers; none when absent.' }),
        topics: topics.prefault({}),
        createTopics: z.boolean().default(false).meta({
          description: 'Create missing topics at start (otherwise a missing topic keeps the node unready).',
        }),
        newTopics: z
          .strictObject({
            numPartitions: count
              .default(6)
              .meta({ description: 'Partitions of a created topic: the unit of scaling.' }),
            replicationFactor: z
              .int()
              .min(-1)
              .refine((n) => n !== 0, 'expected -1 or at least 1')
              .default(-1)
              .meta({
                description: "Replicas of a created topic; -1 takes the broker's default.replication.factor.",
              }),
          })
          .prefault({})
          .meta({ description: 'Used when createTopics is true.' }),
        producer: producer.prefault({}),
      },
      required('give kafka.brokers or set KAFKA_BROKERS'),
    )
    .meta({ description: 'Where events are published.' });
}

function schemaRegistry(ctx: LoadContext) {
  return z
    .strictObject(
      {
        url: httpUrl('give the URL here or set SCHEMA_REGISTRY_URL').meta({
          description: 'Base URL of a Confluent-compatible schema registry API.',
          env: 'SCHEMA_REGISTRY_URL',
        }),
        auth: withPassword({ username: z.string().min(1).meta({ description: 'Basic auth username.' }) }, ctx)
          .optional()
          .meta({ description: 'HTTP basic auth to the registry; none when absent.' }),
        registerSchemas: z.boolean().default(false).meta({
          description:
            "Register the Avro schemas at start, under the registry's compatibility level (a new subject gets BACKWARD only when the registry sets none); otherwise they must exist (looked up, never changed).",
        }),
      },
      required('give schemaRegistry.url or set SCHEMA_REGISTRY_URL'),
    )
    .meta({ description: 'The Confluent-compatible registry holding the Avro value schemas.' });
}

/** The ThingSpace registration APIs (THINGSPACE.md §5 SOAP, §6 REST); `soap` unless said. */
export const THINGSPACE_APIS = ['soap', 'rest'] as const;

/** `serve`'s recovery loop (src/bridge/recovery.ts, README "Recovery after an outage"). */
const recovery = z
  .strictObject({
    enabled: z.boolean().default(false).meta({
      description:
        'After an outage that may have made the platform queue device SMS or NIDD device data (5xx answers to those services, readiness lost to Kafka or a full spool, a crash), call StartSmsCallback for the affected accounts once the node is ready again (THINGSPACE.md §3).',
    }),
    quietMs: positiveMs.default(30_000).meta({
      description:
        'How long the node must be ready, with no new refusal, before the calls: the platform queues what it could not deliver only after its attempt failed.',
    }),
    checkIntervalMs: positiveMs.default(1_000).meta({
      description: 'How often the loop samples readiness and looks for accounts to recover.',
    }),
    retryDelayMs: positiveMs.default(5_000).meta({
      description:
        "Wait after an account's failed call before the next, doubled for each failure; each wait is jittered between half of that and all of it.",
    }),
    maxRetryDelayMs: positiveMs.default(300_000).meta({
      description:
        'The longest wait between two calls for one account (before the jitter, which only shortens it).',
    }),
    stateDir: z.string().min(1).optional().meta({
      description:
        'Directory of the marker file written at start and removed on a clean shutdown: found at the next start, it means a crash, and every account is recovered. Defaults to spool.dir when the spool is enabled; without either, crashes go unseen.',
      defaultText: 'spool.dir with the spool',
    }),
  })
  .superRefine(
    (value, issues) => {
      if (value.maxRetryDelayMs < value.retryDelayMs) {
        issues.addIssue({
          code: 'custom',
          path: ['maxRetryDelayMs'],
          message: 'must be at least retryDelayMs',
        });
      }
    },
    whenValid(['maxRetryDelayMs'], ['retryDelayMs']),
  )
  .prefault({})
  .meta({
    description:
      "`serve`'s opt-in StartSmsCallback after an outage; it calls the API of this section, which `serve` needs only for it.",
  });

function thingspace(ctx: LoadContext) {
  return withSecrets(
    {
      api: z.enum(THINGSPACE_APIS).default('soap').meta({
        description:
          'Which registration API `callbacks` speaks: the UWS v2 SOAP API (`url`), or the REST API (`restUrl`, with `appKey` and `appSecret`). A service registered over one cannot be registered over the other (THINGSPACE.md §6).',
        env: 'THINGSPACE_API',
      }),
      url: httpUrl().optional().meta({
        description:
          "Root of ThingSpace's UWS v2 SOAP API, e.g. `https://<host>/api/v2`: SessionService.svc, CallbackRegistrationService.svc and EnhancedConnectivityService.svc are below it (THINGSPACE.md §5). Required when api is soap.",
        env: 'THINGSPACE_URL',
      }),
      restUrl: httpUrl().default('https://thingspace.verizon.com/api/m2m/v1').meta({
        description:
          'Base of the REST M2M API (api: rest): session/login, callbacks, sms (THINGSPACE.md §6).',
        env: 'THINGSPACE_REST_URL',
      }),
      oauthTokenUrl: httpUrl().default('https://thingspace.verizon.com/api/ts/v1/oauth2/token').meta({
        description: 'The OAuth2 token endpoint of the REST API (client-credentials grant; api: rest).',
        env: 'THINGSPACE_OAUTH_TOKEN_URL',
      }),
      username: z
        .string()
        .min(1)
        .meta({ description: 'The API user that logs in (SOAP SessionService LogIn; REST session/login).' }),
      timeoutMs: positiveMs.default(30_000).meta({
        description: 'Longest wait for one answer of the API, its body included.',
      }),
      retries: z.int().min(0).max(10).default(3).meta({
        description:
          'Attempts after the first when no answer came (refused, reset, timeout); an answer, fault or not, is never retried.',
      }),
      retryDelayMs: positiveMs.default(1_000).meta({
        description:
          'Wait before the first retry, doubled for each next one; each wait is jittered between half of that and all of it.',
      }),
      recovery,
    },
    ctx,
    { password: 'required', appKey: 'optional', appSecret: 'optional' },
    { check: checkThingSpaceApi },
  ).meta({
    description:
      'The ThingSpace API that `thingspace-bridge callbacks` manages registrations with; `serve` uses it only for `recovery`.',
  });
}

/** What each API needs: SOAP its URL (no default: hosts differ), REST the app's key and secret. */
function checkThingSpaceApi(value: Readonly<Record<string, unknown>>, issues: z.core.$RefinementCtx): void {
  if (value.api === 'rest') {
    for (const key of ['appKey', 'appSecret'] as const) {
      if (givenSources(key, value).length === 0) {
        issues.addIssue({
          code: 'custom',
          path: [key],
          message: `one of ${key}, ${key}File, ${key}Env is required when api is rest`,
        });
      }
    }
  } else if (value.url === undefined) {
    issues.addIssue({
      code: 'custom',
      path: ['url'],
      message: 'required: give the API root here or set THINGSPACE_URL',
    });
  }
}

/** Traces of callbacks over OTLP (src/observability/tracing.ts); off, the OpenTelemetry SDK is not even loaded. */
const tracing = z
  .strictObject({
    enabled: z.boolean().default(false).meta({
      description:
        'Trace every callback (a server span continuing an incoming W3C traceparent, a child span per pipeline step) and write its `traceparent` into the Kafka record headers.',
    }),
    endpoint: httpUrl().optional().meta({
      description:
        'Base URL of the OTLP/HTTP (JSON) collector, e.g. http://otel-collector:4318; `/v1/traces` is appended. Absent: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the whole URL) or OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4318.',
    }),
    sampleRatio: z.number().min(0).max(1).default(1).meta({
      description:
        "Share of new traces recorded (0 to 1); a callback whose traceparent comes with one follows the caller's sampling decision.",
    }),
    serviceName: z.string().min(1).default('thingspace-bridge').meta({
      description: 'The `service.name` of the spans; the node name is their `service.instance.id`.',
    }),
  })
  .prefault({})
  .meta({
    description: 'OpenTelemetry traces of callbacks, exported over OTLP/HTTP (README, Observability).',
  });

const log = z
  .strictObject({
    level: z.enum(LOG_LEVELS).default('info').meta({ description: 'Lowest level written.' }),
  })
  .prefault({})
  .meta({ description: 'JSON logs on stdout; credentials are redacted.' });

export function configSchema(ctx: LoadContext) {
  return z
    .strictObject({
      node: z.string().min(1).default(hostname).meta({
        description: 'Name of this ingress node, carried by every event and log line.',
        defaultText: 'the host name',
      }),
      http: http(ctx).prefault({}),
      services,
      accounts: z.array(account(ctx)).min(1).superRefine(accountsAgree, whenList).meta({
        description:
          'Who may send callbacks. The path token in the URL, else the Username in the message, picks the account.',
      }),
      kafka: kafka(ctx),
      schemaRegistry: schemaRegistry(ctx),
      thingspace: thingspace(ctx).optional(),
      spool: spool.prefault({}),
      archive,
      normalize,
      log,
      tracing,
      dedupe,
    })
    .superRefine(
      (value, issues) => {
        const listeners = [{ path: ['http', 'port'], key: String(value.http.port) }];
        if (value.http.healthPort !== undefined) {
          listeners.push({ path: ['http', 'healthPort'], key: String(value.http.healthPort) });
        }
        if (value.http.metricsPort !== undefined) {
          listeners.push({ path: ['http', 'metricsPort'], key: String(value.http.metricsPort) });
        }
        for (const [name, options] of Object.entries(value.services)) {
          if (options.port !== undefined) {
            listeners.push({ path: ['services', name, 'port'], key: String(options.port) });
          }
        }
        reportDuplicates(
          issues,
          listeners.filter((listener) => listener.key !== '0'),
          sameAs('port'),
        );
      },
      whenValid(['http', 'port'], ['services']),
    )
    .superRefine(archiveApart, whenValid(['archive', 'topic'], ['kafka', 'topics']));
}

type ConfigSchema = ReturnType<typeof configSchema>;

/**
 * The sections a Kafka client needs, validated exactly as in `configSchema` (same parts, same defaults), for the
 * commands and tools that only read Kafka (`tail`, `replay`, the bench, the tests). The file's other sections are
 * neither needed nor checked: `tail` with the bridge's config works where the accounts' password files are not
 * readable. `replay` reads the archive's topic, and keys events as `serve` does (normalize).
 */
export function clientConfigSchema(ctx: LoadContext) {
  return z
    .object({ kafka: kafka(ctx), schemaRegistry: schemaRegistry(ctx), log, archive, normalize })
    .superRefine(archiveApart, whenValid(['archive', 'topic'], ['kafka', 'topics']));
}

type ClientConfigSchema = ReturnType<typeof clientConfigSchema>;

/** What `thingspace-bridge dedupe` reads of the file: Kafka, the log and its own section; no registry. */
export function dedupeConfigSchema(ctx: LoadContext) {
  return z.object({ kafka: kafka(ctx), log, dedupe });
}

type DedupeConfigSchema = ReturnType<typeof dedupeConfigSchema>;

/** The validated configuration: deeply frozen, credentials as `Secret`. */
export type Config = Frozen<z.output<ConfigSchema>>;
export type HttpConfig = Config['http'];
export type ListenerTlsConfig = NonNullable<HttpConfig['tls']>;
export type ServiceConfig = Config['services'][string];
export type AccountConfig = Config['accounts'][number];
export type KafkaConfig = Config['kafka'];
export type ProducerConfig = KafkaConfig['producer'];
export type SchemaRegistryConfig = Config['schemaRegistry'];
export type NormalizeConfig = Config['normalize'];
export type LogConfig = Config['log'];
export type TracingConfig = Config['tracing'];
export type SpoolConfig = Config['spool'];
export type ArchiveConfig = Config['archive'];
export type ThingSpaceConfig = NonNullable<Config['thingspace']>;
export type RecoveryConfig = ThingSpaceConfig['recovery'];
/** What talking to the API takes: the section without `serve`'s recovery settings. */
export type ThingSpaceApiConfig = Omit<ThingSpaceConfig, 'recovery'>;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** The Kafka side of a config: what `clientConfigSchema` gives, and a part of every `Config`. */
export type ClientConfig = Frozen<z.output<ClientConfigSchema>>;
/** What `dedupeConfigSchema` gives. */
export type DedupeServiceConfig = Frozen<z.output<DedupeConfigSchema>>;
export type DedupeConfig = DedupeServiceConfig['dedupe'];

/** The publisher's limits when the config names none: the one place they are written is the schema above. */
export const PRODUCER_DEFAULTS: ProducerConfig = Object.freeze(producer.parse({}));
