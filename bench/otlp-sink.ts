/**
 * Where the `bridge-tracing` target exports its spans: a loopback OTLP/HTTP receiver that answers every POST
 * /v1/traces with 200 and counts what came, so the bench measures the bridge's tracing cost (spans made, batched,
 * serialized, sent) and not a collector's. It reads each body to count the spans: the figure says whether the
 * exporter kept up or dropped spans.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpSink {
  /** The base URL to give `tracing.endpoint`. */
  endpoint: string;
  received(): { requests: number; spans: number; bytes: number };
  close(): Promise<void>;
}

interface ExportRequest {
  resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[];
}

export async function startOtlpSink(): Promise<OtlpSink> {
  let requests = 0;
  let spans = 0;
  let bytes = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests++;
      bytes += body.length;
      try {
        const request = JSON.parse(body.toString('utf8')) as ExportRequest;
        for (const resource of request.resourceSpans ?? [])
          for (const scope of resource.scopeSpans ?? []) spans += scope.spans?.length ?? 0;
      } catch {
        // Not JSON (a protobuf exporter): counted in requests and bytes only.
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    received: () => ({ requests, spans, bytes }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
