/**
 * soapCall over a real socket against servers that misbehave on purpose: retries (with doubling delays) only when
 * no answer came, never for an answer, whatever it says; the timeout; what is refused in an answer.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFault } from '../../../src/soap/envelope';
import {
  UwsBadResponseError,
  UwsFaultError,
  UwsHttpStatusError,
  UwsUnreachableError,
} from '../../../src/registration';
import type { RetryEvent } from '../../../src/registration';
import { writeRequest, writeResponse } from '../../../src/registration/protocol';
import { soapCall } from '../../../src/registration/transport';
import type { TransportOptions } from '../../../src/registration/transport';

type Handler = (req: IncomingMessage, res: ServerResponse, request: number) => void;

interface TestServer {
  url: string;
  requests: { headers: IncomingMessage['headers']; body: string; path: string }[];
  close(): Promise<void>;
}

async function serve(handler: Handler): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push({ headers: req.headers, body, path: req.url ?? '' });
      handler(req, res, requests.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v2`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const LOG_IN = writeRequest('LogIn', [
  ['Username', 'api'],
  ['Password', 'pw'],
]);
const ANSWER = writeResponse('LogIn', [['SessionToken', 'tok']]);

function options(url: string, overrides: Partial<TransportOptions> = {}): TransportOptions {
  return { url, timeoutMs: 5_000, retries: 3, retryDelayMs: 10, ...overrides };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('soapCall', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('posts SOAP 1.1 to the service endpoint with the quoted SOAPAction, and returns the envelope', async () => {
    server = await serve((_req, res) => res.writeHead(200, { 'content-type': 'text/xml' }).end(ANSWER));
    const envelope = await soapCall(options(server.url), 'LogIn', LOG_IN);
    expect(envelope.body[0]?.name).toBe('LogInResponse');
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect([request?.path, request?.body]).toEqual(['/api/v2/SessionService.svc', LOG_IN]);
    expect(request?.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(request?.headers.soapaction).toBe(
      '"http://nphase.com/unifiedwebservice/v2/ISessionService/LogIn"',
    );
  });

  it.each([
    ['at its top', 1, [10, 20]],
    ['at its bottom', 0, [5, 10]],
  ])(
    'retries when the connection dies before an answer, with doubling delays jittered (%s), then succeeds',
    async (_name, jitter, delays) => {
      server = await serve((req, res, n) => (n <= 2 ? req.socket.destroy() : res.writeHead(200).end(ANSWER)));
      const retries: RetryEvent[] = [];
      const policy = options(server.url, { onRetry: (event) => retries.push(event), random: () => jitter });
      await soapCall(policy, 'LogIn', LOG_IN);
      expect(server.requests).toHaveLength(3);
      expect(retries.map(({ attempt, delayMs }) => [attempt, delayMs])).toEqual([
        [1, delays[0]],
        [2, delays[1]],
      ]);
    },
  );

  it('retries a timeout, and gives up after `retries` more attempts', async () => {
    // Never answers: every attempt times out.
    server = await serve(() => undefined);
    const err = await failure(soapCall(options(server.url, { timeoutMs: 200, retries: 2 }), 'LogIn', LOG_IN));
    expect(err).toBeInstanceOf(UwsUnreachableError);
    expect(err).toMatchObject({ code: 'UWS_UNREACHABLE', attempts: 3, retriable: true });
    expect((err as Error).message).toBe(
      `LogIn: no answer from ${server.url}/SessionService.svc after 3 attempts (timed out after 200 ms)`,
    );
    expect(server.requests).toHaveLength(3);
  });

  it('names the system error when nothing listens', async () => {
    const closed = await serve(() => undefined);
    const { url } = closed;
    await closed.close();
    const err = await failure(soapCall(options(url, { retries: 1 }), 'LogIn', LOG_IN));
    expect((err as Error).message).toMatch(/after 2 attempts \(ECONNREFUSED\)$/);
  });

  it('never retries a SOAP Fault, whatever its status', async () => {
    server = await serve((_req, res) => res.writeHead(500).end(writeFault('Server', 'Busy, try later')));
    const err = await failure(soapCall(options(server.url), 'LogIn', LOG_IN));
    expect(err).toBeInstanceOf(UwsFaultError);
    expect(err).toMatchObject({
      status: 500,
      fault: { faultCode: 'Server', faultString: 'Busy, try later' },
    });
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    [503, '<html>Service Unavailable</html>'],
    [404, ''],
    [302, ''],
  ])('never retries an HTTP %i without a fault, nor follows a redirect', async (status, body) => {
    server = await serve((_req, res) => res.writeHead(status, { location: 'http://127.0.0.1:1/' }).end(body));
    const err = await failure(soapCall(options(server.url), 'LogIn', LOG_IN));
    expect(err).toBeInstanceOf(UwsHttpStatusError);
    expect(err).toMatchObject({ code: 'UWS_HTTP_STATUS', status });
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    ['no XML', 'OK'],
    ['another document', '<html/>'],
    ['more than 1 MiB', `<x>${'a'.repeat(1024 * 1024)}</x>`],
  ])('refuses a 2xx answer that is %s', async (_what, body) => {
    server = await serve((_req, res) => res.writeHead(200).end(body));
    const err = await failure(soapCall(options(server.url), 'LogIn', LOG_IN));
    expect(err).toBeInstanceOf(UwsBadResponseError);
    expect(server.requests).toHaveLength(1);
  });

  it('refuses a declared length over 1 MiB without reading it', async () => {
    server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(2 * 1024 * 1024) });
      res.write('<x>');
    });
    const err = await failure(soapCall(options(server.url), 'LogIn', LOG_IN));
    expect(err).toBeInstanceOf(UwsBadResponseError);
    expect((err as Error).message).toContain('an answer of 2097152 bytes');
  });
});
