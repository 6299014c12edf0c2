/**
 * A plain HTTP client for tests, on node:http: the status, headers and body of one answer, or the socket error
 * that came instead. No dependency, and full control of what goes on the wire (declared lengths, chunking, a
 * body that stops halfway).
 */
import {
  request as httpRequest,
  type Agent,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  /** Sent at once, with its Content-Length unless the headers say otherwise. */
  body?: string | Buffer;
  /** A fresh connection per request (false, the default) or a pool. */
  agent?: Agent | false;
}

/** One request to 127.0.0.1:<port>; rejects only with a socket error (refused, reset). */
export function send(port: number, path: string, options: RequestOptions = {}): Promise<Answer> {
  const { method = 'POST', headers = {}, body, agent = false } = options;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A SOAP callback: POST with text/xml. */
export function post(
  port: number,
  path: string,
  xml: string | Buffer,
  options: Omit<RequestOptions, 'body'> = {},
): Promise<Answer> {
  return send(port, path, {
    ...options,
    headers: { 'content-type': 'text/xml; charset=utf-8', ...options.headers },
    body: xml,
  });
}

/** The `faultstring` of a SOAP Fault body: `<CODE>: <message>`. */
export function faultString(body: string): string | undefined {
  return /<faultstring>([^<]*)<\/faultstring>/.exec(body)?.[1];
}

/** The stable code a SOAP Fault body carries (its faultstring's prefix). */
export function faultCodeOf(body: string): string | undefined {
  return faultString(body)?.split(':')[0];
}

/** A request whose body the test sends when it chooses. */
export interface OpenRequest {
  /** Resolves once the server has taken the request (its `100 Continue`): its handler has started. */
  continued: Promise<void>;
  answer: Promise<Answer>;
  write(chunk: string | Buffer): void;
  end(chunk?: string | Buffer): void;
}

/** POSTs with `Expect: 100-continue`, so the test knows when the server took the request before sending the body. */
export function open(
  port: number,
  path: string,
  headers: OutgoingHttpHeaders,
  agent: Agent | false = false,
): OpenRequest {
  let continued!: () => void;
  const continuedPromise = new Promise<void>((resolve) => (continued = resolve));
  let req!: ReturnType<typeof httpRequest>;
  const answer = new Promise<Answer>((resolve, reject) => {
    req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { ...headers, expect: '100-continue' },
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('continue', () => continued());
    req.on('error', reject);
    req.flushHeaders();
  });
  return {
    continued: continuedPromise,
    answer,
    write: (chunk) => void req.write(chunk),
    end: (chunk) => void req.end(chunk),
  };
}
