/**
 * registrySchemas against a real HTTP server on a local port playing the registry: the path under the URL as
 * given (Apicurio's ccompat prefix), basic auth from the options or the URL, and each way the registry can fail.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from 'avsc';
import { ConsumerError, decodeEvent, registrySchemas } from '../../../src/consumer';
import { SAMPLE_DEAD_LETTER } from '../../support/fixtures';
import { encodeWireFormat } from '../../../src/events/wire-format';

const SCHEMA = readFileSync(
  join(__dirname, '..', '..', '..', 'schemas', 'thingspace.dead-letter.avsc'),
  'utf8',
);
const LETTER = SAMPLE_DEAD_LETTER;
const record = (id: number) => encodeWireFormat(Type.forSchema(JSON.parse(SCHEMA) as never), id, LETTER);
const PASSWORD = 'registry-pw-do-not-print';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler;
const requests: { url: string; authorization: string | undefined }[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push({ url: req.url!, authorization: req.headers.authorization });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  requests.length = 0;
  server.closeAllConnections();
});

const json = (status: number, body: unknown) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
  res.end(JSON.stringify(body));
};

async function failure(promise: Promise<unknown>): Promise<ConsumerError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ConsumerError);
  return error as ConsumerError;
}

describe('registrySchemas', () => {
  it('asks <url>/schemas/ids/<id> under the URL as given, once per id, with basic auth', async () => {
    handler = json(200, { schema: SCHEMA, references: [] });
    const schemas = registrySchemas({ url: `${base}/apis/ccompat/v7/`, username: 'key', password: PASSWORD });
    for (let i = 0; i < 3; i += 1) {
      expect(await decodeEvent(record(42), schemas)).toEqual({
        kind: 'dead-letter',
        schemaId: 42,
        deadLetter: LETTER,
      });
    }
    expect(requests).toEqual([
      {
        url: '/apis/ccompat/v7/schemas/ids/42',
        authorization: `Basic ${Buffer.from(`key:${PASSWORD}`).toString('base64')}`,
      },
    ]);
  });

  it("takes credentials from the URL's user info and names the registry without them", async () => {
    handler = json(500, { error_code: 50001, message: 'x' });
    const url = `${base.replace('//', `//key:${PASSWORD}@`)}/ccompat?token=abc`;
    const error = await failure(decodeEvent(record(1), registrySchemas({ url })));
    expect(requests[0]).toEqual({
      url: '/ccompat/schemas/ids/1',
      authorization: `Basic ${Buffer.from(`key:${PASSWORD}`).toString('base64')}`,
    });
    expect(error.message).toBe(
      `the schema registry at ${base}/ccompat answered 500 for schema 1; try again later`,
    );
    expect(`${error.message} ${String(error.stack)}`).not.toMatch(/registry-pw|token=abc/);
  });

  it('sends no Authorization without credentials', async () => {
    handler = json(200, { schema: SCHEMA });
    await decodeEvent(record(2), registrySchemas({ url: base }));
    expect(requests).toEqual([{ url: '/schemas/ids/2', authorization: undefined }]);
  });

  it.each([
    [
      404,
      { error_code: 40403, message: 'Schema not found' },
      'CONSUMER_UNKNOWN_SCHEMA_ID',
      false,
      /has no schema 7$/,
    ],
    [
      401,
      { message: 'no' },
      'CONSUMER_REGISTRY_FAILED',
      false,
      /answered 401 .*check the username and password/,
    ],
    [400, { message: 'no' }, 'CONSUMER_REGISTRY_FAILED', false, /answered 400 for schema 7$/],
    [503, { message: 'later' }, 'CONSUMER_REGISTRY_UNREACHABLE', true, /answered 503/],
    [429, { message: 'slow down' }, 'CONSUMER_REGISTRY_UNREACHABLE', true, /answered 429/],
    [200, { id: 7 }, 'CONSUMER_REGISTRY_FAILED', false, /JSON without a `schema` string/],
    [200, { schema: '{not json' }, 'CONSUMER_REGISTRY_FAILED', false, /a schema that is not JSON/],
    [
      200,
      { schema: SCHEMA, schemaType: 'PROTOBUF' },
      'CONSUMER_UNKNOWN_WRITER_SCHEMA',
      false,
      /PROTOBUF schema/,
    ],
    [
      200,
      { schema: SCHEMA, references: [{ name: 'x' }] },
      'CONSUMER_UNKNOWN_WRITER_SCHEMA',
      false,
      /references/,
    ],
  ])('a %d answer (case %#)', async (status, body, code, retriable, message) => {
    handler = json(status, body);
    const error = await failure(decodeEvent(record(7), registrySchemas({ url: base })));
    expect([error.code, error.retriable, error.message]).toEqual([
      code,
      retriable,
      expect.stringMatching(message),
    ]);
  });

  it('refuses an answer that is not JSON', async () => {
    handler = (_req, res) => res.end('<html>proxy error</html>');
    const error = await failure(decodeEvent(record(7), registrySchemas({ url: base })));
    expect([error.code, error.message]).toEqual([
      'CONSUMER_REGISTRY_FAILED',
      expect.stringMatching(/not JSON/),
    ]);
  });

  it.each([
    ['declared', (res: ServerResponse) => res.end(`{"schema": ${JSON.stringify(' '.repeat(2000))}}`)],
    [
      'streamed without a length',
      (res: ServerResponse) => {
        res.writeHead(200, { 'transfer-encoding': 'chunked' });
        for (let i = 0; i < 10; i += 1) res.write(' '.repeat(500));
        res.end('{}');
      },
    ],
  ])('refuses an answer over maxResponseBytes, %s', async (_label, answer) => {
    handler = (_req, res) => answer(res);
    const error = await failure(
      decodeEvent(record(7), registrySchemas({ url: base, maxResponseBytes: 1000 })),
    );
    expect([error.code, error.message]).toEqual([
      'CONSUMER_REGISTRY_FAILED',
      "the schema registry's answer is larger than 1000 bytes",
    ]);
  });

  it('gives up on a registry that does not answer within timeoutMs, and asks again for the next record', async () => {
    handler = () => {}; // never answers
    const schemas = registrySchemas({ url: base, timeoutMs: 200 });
    const error = await failure(decodeEvent(record(7), schemas));
    expect([error.code, error.retriable, error.message]).toEqual([
      'CONSUMER_REGISTRY_UNREACHABLE',
      true,
      `cannot reach the schema registry at ${base}: no answer within 200 ms`,
    ]);
    handler = json(200, { schema: SCHEMA });
    expect((await decodeEvent(record(7), schemas)).kind).toBe('dead-letter');
  });

  it('names the socket error of a registry that cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(decodeEvent(record(7), registrySchemas({ url: `http://127.0.0.1:${port}` })));
    expect([error.code, error.message]).toEqual([
      'CONSUMER_REGISTRY_UNREACHABLE',
      `cannot reach the schema registry at http://127.0.0.1:${port}: ECONNREFUSED`,
    ]);
  });

  it('refuses a URL that is not http(s)', () => {
    expect(() => registrySchemas({ url: 'file:///etc/passwd' })).toThrow('must be http or https');
  });
});
