/**
 * The registry's failures in words, against a local HTTP server standing in for it: credentials refused, a wrong
 * URL, no answer; and which of them are the registry's fault rather than a schema's (the /readyz check they fail).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RegistryRequestError } from '../../../src/kafka/registry-http';
import { createRegistryHttp, isRegistryFault } from '../../../src/kafka/registry-http';
import { registryFaultOf } from '../../../src/kafka/schema-ids';
import { SchemaResolutionError } from '../../../src/kafka/errors';

let server: Server;
let url: string;
/** The stand-in's answer to every request: status and JSON body. */
let answer: { status: number; body: unknown };

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

async function failure(status: number, body: unknown): Promise<RegistryRequestError> {
  answer = { status, body };
  return createRegistryHttp({ url })
    .globalLevel()
    .then(
      () => {
        throw new Error('no failure');
      },
      (err: unknown) => err as RegistryRequestError,
    );
}

describe('createRegistryHttp: failures in words', () => {
  it('401 and 403: authentication failed, with the URL and the registry’s message', async () => {
    for (const status of [401, 403]) {
      const err = await failure(status, { error_code: status, message: 'Unauthorized' });
      expect(err.message).toBe(
        `GET ${url}/config: ${status} authentication failed (check schemaRegistry.auth): Unauthorized`,
      );
      expect(isRegistryFault(err)).toBe(true);
    }
  });

  it('a 404 not from the registry (no error_code, an HTML or JSON page): the URL is wrong', async () => {
    const err = await failure(404, { detail: 'nothing here' });
    expect(err.message).toBe(
      `GET ${url}/config: 404 no such path (check schemaRegistry.url): {"detail":"nothing here"}`,
    );
    expect(isRegistryFault(err)).toBe(true);
  });

  it("the registry's own refusals (with an error_code) are about a schema, not the registry", async () => {
    const err = await failure(409, { error_code: 409, message: 'Schema being registered is incompatible' });
    expect(err.message).toBe(`GET ${url}/config: 409 Schema being registered is incompatible`);
    expect(isRegistryFault(err)).toBe(false);
    expect(isRegistryFault(await failure(404, { error_code: 40401, message: 'Subject not found' }))).toBe(
      false,
    );
    expect(isRegistryFault(await failure(500, { error_code: 50001, message: 'Error in the backend' }))).toBe(
      true,
    );
  });

  it('no answer: connection refused, with the URL (host:port)', async () => {
    const spare = createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    const { port } = spare.address() as AddressInfo;
    await new Promise((resolve) => spare.close(resolve));
    const closed = createRegistryHttp({ url: `http://127.0.0.1:${port}` });
    const err = (await closed.globalLevel().catch((e: unknown) => e)) as RegistryRequestError;
    expect(err.message).toBe(`GET http://127.0.0.1:${port}/config: no answer (connection refused)`);
    expect(isRegistryFault(err)).toBe(true);
  });
});

describe('registryFaultOf', () => {
  it("finds the registry's own failure behind a schema resolution's, and only that", async () => {
    const down = await failure(503, { message: 'down' });
    const refused = await failure(409, { error_code: 409, message: 'incompatible' });
    const resolution = (cause: unknown) =>
      new SchemaResolutionError([{ subject: 'ts.async-value', reason: 'failed', cause }]);
    expect(registryFaultOf(resolution(down))).toBe(down);
    expect(registryFaultOf(down)).toBe(down);
    expect(registryFaultOf(resolution(refused))).toBeUndefined();
    expect(registryFaultOf(new Error('other'))).toBeUndefined();
  });
});
