/**
 * Traces end to end: a bridge with `tracing.enabled` on the real broker and registry, exporting over OTLP/HTTP to
 * a collector stand-in on loopback. A callback sent with a W3C traceparent is published with a traceparent header
 * in the caller's trace, naming the bridge's server span; that span and its steps reach the collector, in the
 * caller's trace, once the bridge shuts down (the last spans are flushed then).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { post } from '../../support/http';
import { carrierCallback, IngressHarness, report, type RunningBridge } from './harness';

/** A caller's trace (W3C Trace Context's own example ids), sampled. */
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';

/** A span as OTLP/JSON writes it (ids in hex). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

interface OtlpExport {
  resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
}

/** Takes OTLP/HTTP JSON exports at /v1/traces and keeps their spans. */
async function collector(): Promise<{ server: Server; url: string; spans: OtlpSpan[]; paths: string[] }> {
  const spans: OtlpSpan[] = [];
  const paths: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport;
      for (const resource of body.resourceSpans)
        for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, paths };
}

const harness = new IngressHarness();
let otlp: Awaited<ReturnType<typeof collector>>;
let running: RunningBridge;

beforeAll(async () => {
  otlp = await collector();
  running = await harness.startBridge({ tracing: { enabled: true, endpoint: otlp.url } });
});

afterAll(async () => {
  await harness.cleanup();
  await new Promise((resolve) => otlp.server.close(resolve));
});

it('publishes a record whose traceparent continues the caller’s trace, and exports the spans over OTLP', async () => {
  const answer = await post(running.port, '/callbacks/CarrierService', carrierCallback(1, 1), {
    headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
  });
  expect(answer.status).toBe(200);

  const records = await harness.readAll(Object.values(running.topics));
  expect(records).toHaveLength(1);
  const header = records[0]!.headers.traceparent?.toString();
  expect(header).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  const [, traceId, spanId] = header!.split('-');
  expect(traceId).toBe(TRACE_ID);
  // The bridge's own span, not the caller's.
  expect(spanId).not.toBe(PARENT_ID);

  await running.bridge.close();
  expect(otlp.paths[0]).toBe('POST /v1/traces application/json');
  const server = otlp.spans.find((span) => span.spanId === spanId);
  expect(server).toMatchObject({ name: 'callback', traceId: TRACE_ID, parentSpanId: PARENT_ID });
  const steps = otlp.spans.filter((span) => span.parentSpanId === spanId).map((span) => span.name);
  expect(steps).toEqual(['parse', 'authenticate', 'normalize', 'encode', 'publish']);
  report('tracing', { traceparent: header, spans: otlp.spans.length });
});
