/**
 * Traces of callbacks (config `tracing`) through the real wiring: the app's server span (src/http/app.ts) and the
 * pipeline's step spans and record header (src/bridge/pipeline.ts -> src/ingress/tracing.ts), exported to an
 * in-memory exporter. The span tree, its attributes (never a credential), the caller's traceparent continued, the
 * callback's own traceparent in the record's headers; the dead-letter path (withStepSpans on the handler
 * directly); sampling; and with tracing off, no header and no span.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { InMemorySpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { createAuthenticator } from '../../../src/auth';
import { createPipeline } from '../../../src/bridge/pipeline';
import { parseConfig } from '../../../src/config';
import { RECORD_HEADERS } from '../../../src/events/encode';
import { DEFAULT_TOPICS } from '../../../src/events/schemas';
import { createApp } from '../../../src/http/app';
import { createCallbackHandler } from '../../../src/ingress/handle-callback';
import { withStepSpans } from '../../../src/ingress/tracing';
import type { Delivery, DeliveryRecord } from '../../../src/kafka/delivery';
import { QueueFullError } from '../../../src/kafka/errors';
import { createLogger, createMetrics, createTracing, type Tracing } from '../../../src/observability';
import { ATTRIBUTES, startTracing } from '../../../src/observability/otel';
import { TEST_SCHEMA_IDS, testEncoder } from '../../support/encoder';
import { post, send, type Answer } from '../../support/http';

const PASSWORD = 's3cret-fixture-pw';
const CARRIER_XML = readFileSync(
  join(__dirname, '..', '..', 'fixtures', 'callbacks', 'carrier-service-service-plan.xml'),
  'utf8',
);
const ACCOUNT = '0000555123-00001';
/** A caller's trace (W3C Trace Context's own example ids), sampled. */
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;
const TRACEPARENT_FORMAT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;
const silent = createLogger({ level: 'silent' });
const STEPS = ['parse', 'authenticate', 'normalize', 'encode', 'publish'];

function configWith(tracing: Record<string, unknown>) {
  return parseConfig(
    {
      node: 'unit-node',
      accounts: [{ name: ACCOUNT, username: 'fixture-user', password: PASSWORD, services: ['*'] }],
      kafka: { brokers: ['127.0.0.1:1'] },
      schemaRegistry: { url: 'http://127.0.0.1:1' },
      tracing,
    },
    {},
  ).config;
}

interface Harness {
  port: number;
  /** What the pipeline handed its delivery. */
  delivered: DeliveryRecord[];
  /** The spans exported so far (after a flush). */
  spans(): Promise<ReadableSpan[]>;
}

const servers: Server[] = [];
const tracings: Tracing[] = [];

afterEach(async () => {
  await Promise.all(tracings.splice(0).map((tracing) => tracing.shutdown()));
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A node's app and pipeline as createBridge wires them, with `tracing` on an in-memory exporter, or off. */
async function start(
  tracing: Record<string, unknown> | false,
  deliver: Delivery['deliver'] = (record) =>
    Promise.resolve({ held: 'kafka', topic: record.topic, partition: 0, offset: '0' }),
): Promise<Harness> {
  const config = configWith(tracing === false ? {} : { enabled: true, ...tracing });
  const exporter = new InMemorySpanExporter();
  const traced = tracing === false ? undefined : startTracing(config.tracing, config.node, silent, exporter);
  if (traced) tracings.push(traced);
  const delivered: DeliveryRecord[] = [];
  const delivery: Delivery = {
    start: () => Promise.resolve(),
    deliver: (record) => {
      delivered.push(record);
      return deliver(record);
    },
    status: () => ({ mode: 'direct', unavailable: undefined, queuedRecords: 0 }),
    idle: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const metrics = createMetrics();
  const logger = silent;
  const authenticator = createAuthenticator(config.accounts);
  const handle = createPipeline({
    config,
    authenticator,
    topics: DEFAULT_TOPICS,
    schemaIds: TEST_SCHEMA_IDS,
    delivery,
    metrics,
    logger,
    tracing: traced,
  });
  const app = createApp({
    http: config.http,
    serviceEnabled: () => true,
    pathAccount: (token) => authenticator.pathAccount(token),
    handle,
    readiness: () => undefined,
    metrics,
    logger,
    tracing: traced,
  });
  const handler = app.callback();
  const server = createServer((req, res) => void handler(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    delivered,
    spans: async () => {
      await traced?.flush();
      return exporter.getFinishedSpans();
    },
  };
}

function callback(
  harness: Harness,
  headers: Record<string, string> = {},
  xml = CARRIER_XML,
): Promise<Answer> {
  return post(harness.port, '/callbacks/CarrierService', xml, { headers });
}

const byName = (spans: readonly ReadableSpan[], name: string): ReadableSpan[] =>
  spans.filter((span) => span.name === name);

describe('tracing on', () => {
  it('makes a server span in the caller’s trace, a child span per step, and writes its traceparent', async () => {
    const harness = await start({});
    const answer = await callback(harness, { traceparent: TRACEPARENT });
    expect(answer.status).toBe(200);

    const spans = await harness.spans();
    const [server] = byName(spans, 'callback');
    expect(server).toBeDefined();
    const { traceId, spanId } = server!.spanContext();
    expect([server!.kind, traceId, server!.parentSpanContext?.spanId]).toEqual([
      SpanKind.SERVER,
      TRACE_ID,
      PARENT_ID,
    ]);
    expect(server!.attributes).toEqual({
      [ATTRIBUTES.method]: 'POST',
      [ATTRIBUTES.service]: 'CarrierService',
      [ATTRIBUTES.account]: ACCOUNT,
      [ATTRIBUTES.eventId]: answer.headers['x-event-id'],
      [ATTRIBUTES.outcome]: 'published',
      [ATTRIBUTES.status]: 200,
    });
    expect(server!.resource.attributes).toMatchObject({
      'service.name': 'thingspace-bridge',
      'service.instance.id': 'unit-node',
    });

    // Every step once, in order, each a child of the server span.
    const children = spans.filter((span) => span !== server);
    expect(children.map((span) => span.name)).toEqual(STEPS);
    for (const child of children) {
      expect([child.spanContext().traceId, child.parentSpanContext?.spanId]).toEqual([traceId, spanId]);
    }
    expect(byName(spans, 'publish')[0]).toMatchObject({
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.destination.name': DEFAULT_TOPICS['async-response'],
      },
    });

    // The record carries the server span's traceparent: a consumer continues this callback's trace.
    expect(harness.delivered).toHaveLength(1);
    expect(harness.delivered[0]!.headers?.[RECORD_HEADERS.traceparent]).toBe(`00-${traceId}-${spanId}-01`);
    expect(JSON.stringify(spans.map((span) => span.attributes))).not.toContain(PASSWORD);
  });

  it('starts a new trace without a traceparent, or with one that is not valid', async () => {
    const harness = await start({});
    await callback(harness);
    await callback(harness, { traceparent: `00-${'0'.repeat(32)}-${PARENT_ID}-01` });
    const servers = byName(await harness.spans(), 'callback');
    expect(servers).toHaveLength(2);
    for (const [index, server] of servers.entries()) {
      expect(server.parentSpanContext).toBeUndefined();
      const header = harness.delivered[index]!.headers?.[RECORD_HEADERS.traceparent];
      const [, traceId, spanId, flags] = TRACEPARENT_FORMAT.exec(header ?? '') ?? [];
      expect([traceId, spanId, flags]).toEqual([
        server.spanContext().traceId,
        server.spanContext().spanId,
        '01',
      ]);
    }
    expect(servers[0]!.spanContext().traceId).not.toBe(servers[1]!.spanContext().traceId);
  });

  it('records a refused callback with its status and outcome, no account, no later step, no credential', async () => {
    const harness = await start({});
    const answer = await callback(harness, {}, CARRIER_XML.replace(PASSWORD, 'wrong-password'));
    expect(answer.status).toBe(401);
    const spans = await harness.spans();
    expect(spans.map((span) => span.name)).toEqual(['parse', 'authenticate', 'callback']);
    expect(byName(spans, 'callback')[0]!.attributes).toEqual({
      [ATTRIBUTES.method]: 'POST',
      [ATTRIBUTES.service]: 'CarrierService',
      [ATTRIBUTES.outcome]: 'rejected',
      [ATTRIBUTES.status]: 401,
    });
    expect(JSON.stringify(spans.map((span) => span.attributes))).not.toContain('wrong-password');
    expect(harness.delivered).toEqual([]);
  });

  it('marks a failed step as an error by its code only, and the server span when the answer is a 5xx', async () => {
    const harness = await start({});
    expect((await callback(harness, {}, CARRIER_XML.replace('<Username>', '<Username><'))).status).toBe(400);
    const spans = await harness.spans();
    const [parse] = byName(spans, 'parse');
    expect(parse!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'MALFORMED_XML' });
    expect(parse!.attributes).toEqual({ [ATTRIBUTES.errorType]: 'MALFORMED_XML' });
    // A caller's mistake is no error of the server's.
    expect(byName(spans, 'callback')[0]!.status.code).toBe(SpanStatusCode.UNSET);

    const failing = await start({}, () => Promise.reject(new QueueFullError(1)));
    expect((await callback(failing)).status).toBe(503);
    const failed = await failing.spans();
    expect(byName(failed, 'publish')[0]!.attributes[ATTRIBUTES.errorType]).toBe('QUEUE_FULL');
    expect(byName(failed, 'callback')[0]!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('dead-letters in the same tree: the normalize span failed, the dead letter carries the traceparent', async () => {
    const config = configWith({ enabled: true });
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing(config.tracing, config.node, silent, exporter);
    tracings.push(tracing);
    const delivered: DeliveryRecord[] = [];
    const handle = createCallbackHandler(
      withStepSpans(
        {
          parserLimits: {},
          authenticator: createAuthenticator(config.accounts),
          normalizeOptions: { kindPriority: config.normalize.kindPriority },
          normalize: () => {
            throw new Error(`a mapping bug quoting ${PASSWORD}`);
          },
          encoder: testEncoder(),
          delivery: {
            deliver: (record) => {
              delivered.push(record);
              return Promise.resolve({ held: 'kafka', topic: record.topic, partition: 0, offset: '0' });
            },
          },
          maxRecordBytes: 1_000_000,
          ingressNode: config.node,
        },
        tracing,
      ),
    );
    await tracing.callback({ traceparent: TRACEPARENT }, async () => {
      const handled = await handle({
        service: 'CarrierService',
        format: 'soap',
        body: CARRIER_XML,
        receivedAt: new Date(),
      });
      return { service: 'CarrierService', outcome: handled.outcome, status: 200 };
    });
    await tracing.flush();
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual([...STEPS, 'callback']);
    expect(byName(spans, 'normalize')[0]!.attributes).toEqual({ [ATTRIBUTES.errorType]: 'UNEXPECTED' });
    expect(byName(spans, 'callback')[0]!.attributes[ATTRIBUTES.outcome]).toBe('dead-lettered');
    const { spanId } = byName(spans, 'callback')[0]!.spanContext();
    expect(delivered.map((record) => [record.topic, record.headers?.[RECORD_HEADERS.traceparent]])).toEqual([
      [DEFAULT_TOPICS['dead-letter'], `00-${TRACE_ID}-${spanId}-01`],
    ]);
    expect(JSON.stringify(spans.map((span) => [span.attributes, span.status, span.events]))).not.toContain(
      PASSWORD,
    );
  });

  it('logs a failed export as a warning or error of the SDK, through the bridge’s logger', async () => {
    const lines: string[] = [];
    const logger = createLogger(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString('utf8'));
          done();
        },
      }),
    );
    const refusing: SpanExporter = {
      export: (_spans, done) =>
        done({ code: ExportResultCode.FAILED, error: new Error('collector refused') }),
      shutdown: () => Promise.resolve(),
    };
    // A failure is reported (not thrown) on the batch processor's own schedule: 5 s, on fake time here.
    jest.useFakeTimers();
    try {
      const tracing = startTracing(configWith({ enabled: true }).tracing, 'unit-node', logger, refusing);
      tracings.push(tracing);
      await tracing.callback({}, () => Promise.resolve({ service: 'CarrierService', status: 200 }));
      await jest.advanceTimersByTimeAsync(5_000);
    } finally {
      jest.useRealTimers();
    }
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toContainEqual(
      expect.objectContaining({ component: 'opentelemetry', level: 'error' }),
    );
    expect(lines.join('')).toContain('collector refused');
  });

  it('makes no span for the status paths', async () => {
    const harness = await start({});
    expect((await send(harness.port, '/healthz', { method: 'GET' })).status).toBe(200);
    expect(await harness.spans()).toEqual([]);
  });

  it('samples new traces by sampleRatio, and follows a caller’s sampling decision', async () => {
    const harness = await start({ sampleRatio: 0 });
    await callback(harness);
    await callback(harness, { traceparent: TRACEPARENT });
    const spans = await harness.spans();
    // The unsampled trace records nothing, but its records still say where they belong (flag 00).
    expect(new Set(spans.map((span) => span.spanContext().traceId))).toEqual(new Set([TRACE_ID]));
    const headers = harness.delivered.map((record) => record.headers?.[RECORD_HEADERS.traceparent] ?? '');
    expect(headers.map((header) => TRACEPARENT_FORMAT.exec(header)?.[3])).toEqual(['00', '01']);
  });
});

describe('tracing off', () => {
  it('is no Tracing at all, and adds no header', async () => {
    expect(createTracing(configWith({}).tracing, 'unit-node', silent)).toBeUndefined();
    const harness = await start(false);
    expect((await callback(harness, { traceparent: TRACEPARENT })).status).toBe(200);
    expect(harness.delivered).toHaveLength(1);
    expect(Object.keys(harness.delivered[0]!.headers ?? {})).not.toContain(RECORD_HEADERS.traceparent);
  });
});
