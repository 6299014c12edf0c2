/**
 * The Koa app of an ingress listener, over a real socket (a server on port 0 around `app.callback()`): every
 * status the HTTP edge decides, and the pipeline's refusals that never reach Kafka (parse, limits, auth) through
 * the real callback handler, whose publish function fails the test if anything gets that far. A stub handler
 * stands in only where the pipeline is not the subject: to show that a guard answered without calling it, and to
 * throw an error nobody anticipated.
 */
import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createAuthenticator } from '../../../src/auth';
import { parseConfig, type Config } from '../../../src/config';
import { createApp, type AppDeps, type Readiness } from '../../../src/http/app';
import { SOAP_ANSWERS } from '../../../src/http/soap-responses';
import { KafkaUnavailableError, QueueFullError } from '../../../src/kafka/errors';
import type { Receipt } from '../../../src/kafka/delivery';
import { SpoolFullError } from '../../../src/kafka/spool/errors';
import { createCallbackHandler, type CallbackHandler } from '../../../src/ingress/handle-callback';
import { createMetrics, type Metrics } from '../../../src/observability';
import type { WireFormat } from '../../../src/message/types';
import type { ServiceName } from '../../../src/thingspace/catalogue';
import { testEncoder } from '../../support/encoder';
import { faultCodeOf, faultString, send, post, type Answer, type RequestOptions } from '../../support/http';
import { capturingLogger } from '../../support/logs';

const PASSWORD = 's3cret-fixture-pw';
/** The path token of an account registered without credentials; must never leave the process either. */
const TOKEN = 'app-test-token-Qm7Xr2Lp9Kd4';
const MAX_BODY_BYTES = 4096;
const BODY_TIMEOUT_MS = 300;
const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'callbacks');
/** A CarrierService callback of the fixtures account (fixture-user / s3cret-fixture-pw). */
const CARRIER_XML = readFileSync(join(FIXTURES, 'carrier-service-service-plan.xml'), 'utf8');

function withCredentials(xml: string, username: string, password: string): string {
  return xml
    .replace('<Username>fixture-user</Username>', `<Username>${username}</Username>`)
    .replace(`<Password>${PASSWORD}</Password>`, `<Password>${password}</Password>`);
}

/** The accounts as written in a config file. */
const ACCOUNTS = [
  { name: '0000555123-00001', username: 'fixture-user', password: PASSWORD, services: ['*'] },
  {
    name: '0000555123-00002',
    username: 'promo-only',
    password: 'promo-only-pw',
    services: ['PromoChange'],
  },
  // Registered without credentials: known by its path token alone.
  { name: '0000555123-00003', pathToken: TOKEN, services: ['CarrierService', 'PromoChange'] },
];

const config: Config = parseConfig(
  {
    http: { maxBodyBytes: MAX_BODY_BYTES, bodyTimeoutMs: BODY_TIMEOUT_MS },
    accounts: ACCOUNTS,
    // Never contacted: the publish function below refuses to be called.
    kafka: { brokers: ['127.0.0.1:1'] },
    schemaRegistry: { url: 'http://127.0.0.1:1' },
  },
  {},
).config;

/** `http.allowedSources: ['10.0.0.0/8']`, as the config parses it. */
const ONLY_10_0_0_0_8 = parseConfig(
  {
    http: { allowedSources: ['10.0.0.0/8'] },
    accounts: ACCOUNTS,
    kafka: { brokers: ['127.0.0.1:1'] },
    schemaRegistry: { url: 'http://127.0.0.1:1' },
  },
  {},
).config.http.allowedSources;

interface Harness {
  port: number;
  metrics: Metrics;
  /** Calls the app made to its handler (the real pipeline, or a stub). */
  handled: { service: ServiceName }[];
  /** What the app handed its handler last: the service, the format it read, the account of the path token. */
  last?: { service: ServiceName; format: WireFormat; pathAccount?: string };
  /** Records the real pipeline tried to publish: none may get that far unless `delivers`. */
  published: number;
  logs: string[];
  setReadiness(reason: ReturnType<Readiness>): void;
}

interface HarnessOptions {
  /** A stand-in for the pipeline; the real one (with a publish that must not be called) by default. */
  handler?: CallbackHandler;
  /** The real pipeline's publish succeeds instead: a callback can be acknowledged. */
  delivers?: boolean;
  http?: Partial<AppDeps['http']>;
  disabled?: ServiceName[];
  onlyService?: ServiceName;
  beforeScrape?: () => void;
  onServerError?: AppDeps['onServerError'];
}

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(resolve);
        }),
    ),
  );
});

async function start(options: HarnessOptions = {}): Promise<Harness> {
  const metrics = createMetrics();
  const logs: string[] = [];
  const logger = capturingLogger({ level: 'debug' }, logs);
  const harness: Harness = {
    port: 0,
    metrics,
    handled: [],
    published: 0,
    logs,
    setReadiness: (reason) => (readiness = reason),
  };
  let readiness: ReturnType<Readiness>;
  const authenticator = createAuthenticator(config.accounts);
  const pipeline =
    options.handler ??
    createCallbackHandler({
      parserLimits: { maxBodyBytes: options.http?.maxBodyBytes ?? MAX_BODY_BYTES },
      authenticator,
      normalizeOptions: { kindPriority: config.normalize.kindPriority },
      encoder: testEncoder(),
      delivery: {
        deliver: (record) => {
          harness.published++;
          return options.delivers
            ? Promise.resolve({ held: 'kafka' as const, topic: record.topic, partition: 0, offset: '0' })
            : Promise.reject(new Error('this test must not reach Kafka'));
        },
      },
      maxRecordBytes: 1_000_000,
      ingressNode: 'unit-test',
      // As src/bridge/pipeline.ts wires it.
      onAuthFailure: (reason) => metrics.authFailures.inc({ reason }),
    });
  const app = createApp(
    {
      http: { ...config.http, ...options.http },
      serviceEnabled: (service) => !(options.disabled ?? []).includes(service),
      pathAccount: (token) => authenticator.pathAccount(token),
      handle: (incoming) => {
        harness.handled.push({ service: incoming.service });
        harness.last = {
          service: incoming.service,
          format: incoming.format,
          ...(incoming.pathAccount ? { pathAccount: incoming.pathAccount.name } : {}),
        };
        return pipeline(incoming);
      },
      readiness: () => readiness,
      metrics,
      logger,
      ...(options.beforeScrape ? { beforeScrape: options.beforeScrape } : {}),
      ...(options.onServerError ? { onServerError: options.onServerError } : {}),
    },
    options.onlyService,
  );
  const handleRequest = app.callback();
  const server = createServer((req, res) => void handleRequest(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  harness.port = (server.address() as AddressInfo).port;
  return harness;
}

/**
 * Every answer a test looks at passes through here: no body, header or log line may hold the password or the
 * path token, and neither may the metrics.
 */
async function checked(harness: Harness, answer: Promise<Answer>): Promise<Answer> {
  const got = await answer;
  for (const secret of [PASSWORD, TOKEN]) {
    expect(got.body).not.toContain(secret);
    expect(JSON.stringify(got.headers)).not.toContain(secret);
    for (const line of harness.logs) expect(line).not.toContain(secret);
  }
  expect(await harness.metrics.registry.metrics()).not.toContain(TOKEN);
  return got;
}

function call(harness: Harness, path: string, options?: RequestOptions): Promise<Answer> {
  return checked(harness, send(harness.port, path, options));
}

function callback(harness: Harness, path: string, xml: string, options?: Omit<RequestOptions, 'body'>) {
  return checked(harness, post(harness.port, path, xml, options));
}

/** Sends the request line and headers, and whatever part of the body is given, then waits for the answer. */
function partial(
  port: number,
  path: string,
  headers: Record<string, string | number>,
  chunks: (string | Buffer)[],
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers, agent: false }, (res) => {
      const body: Buffer[] = [];
      res.on('data', (chunk: Buffer) => body.push(chunk));
      res.on('end', () => {
        req.destroy();
        resolve({
          status: res.statusCode!,
          headers: res.headers,
          body: Buffer.concat(body).toString('utf8'),
        });
      });
    });
    req.on('error', reject);
    req.flushHeaders();
    for (const chunk of chunks) req.write(chunk);
  });
}

function expectFault(answer: Answer, status: number, code: string): void {
  expect({ status: answer.status, code: faultCodeOf(answer.body) }).toEqual({ status, code });
  expect(answer.headers['content-type']).toBe('text/xml; charset=utf-8');
  expect(answer.body).toMatch(
    /^<\?xml [^>]*\?><s:Envelope [^>]*><s:Body><s:Fault><faultcode>s:(Client|Server)</,
  );
}

function expectJsonError(answer: Answer, status: number, code: string): void {
  expect({ status: answer.status, type: answer.headers['content-type'] }).toEqual({
    status,
    type: 'application/json; charset=utf-8',
  });
  const body = JSON.parse(answer.body) as { code: string; message: string };
  expect(Object.keys(body)).toEqual(['code', 'message']);
  expect(body.code).toBe(code);
}

async function scrape(harness: Harness): Promise<string> {
  return (await call(harness, '/metrics', { method: 'GET' })).body;
}

describe('guards before the body is read', () => {
  it('403: a source outside allowedSources, the client address taken trustProxy hops from the right', async () => {
    const harness = await start({
      http: {
        allowedSources: ONLY_10_0_0_0_8,
        trustProxy: 1,
      },
    });
    const from = (forwardedFor?: string) =>
      callback(harness, '/callbacks/CarrierService', CARRIER_XML, {
        headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
      });

    // The socket peer is 127.0.0.1: refused unless the trusted proxy says the client is in 10/8.
    expectFault(await from(), 403, 'SOURCE_NOT_ALLOWED');
    expectFault(await from('192.0.2.7'), 403, 'SOURCE_NOT_ALLOWED');
    // What a client wrote itself sits left of what the one trusted proxy appended: not believed.
    expectFault(await from('10.1.2.3, 192.0.2.7'), 403, 'SOURCE_NOT_ALLOWED');
    expect(harness.handled).toHaveLength(0);

    // An allowed client gets through to the pipeline (which answers for the message itself).
    expectFault(
      await callback(
        harness,
        '/callbacks/CarrierService',
        withCredentials(CARRIER_XML, 'fixture-user', 'wrong'),
        {
          headers: { 'x-forwarded-for': '192.0.2.7, 10.1.2.3' },
        },
      ),
      401,
      'AUTH_FAILED',
    );
    expect(harness.handled).toHaveLength(1);
    expect(harness.logs.some((line) => line.includes('"clientIp":"192.0.2.7"'))).toBe(true);
  });

  it('404: an unknown service, an unknown path, a malformed escape, a disabled service', async () => {
    const harness = await start({ disabled: ['PromoChange'] });

    expectFault(
      await callback(harness, '/callbacks/NetworkEventService', CARRIER_XML),
      404,
      'UNKNOWN_SERVICE',
    );
    expectFault(await callback(harness, '/callbacks/', CARRIER_XML), 404, 'UNKNOWN_SERVICE');
    expectFault(await callback(harness, '/callbacks/%E0%A4%A', CARRIER_XML), 404, 'NOT_FOUND');
    expectFault(await callback(harness, '/callback/CarrierService', CARRIER_XML), 404, 'NOT_FOUND');
    expectFault(await call(harness, '/nowhere', { method: 'GET' }), 404, 'NOT_FOUND');
    expectFault(await call(harness, '/healthz', { method: 'POST' }), 404, 'NOT_FOUND');
    // Disabled by config, under either spelling of its name.
    const disabled = await callback(harness, '/callbacks/PromoChanges', CARRIER_XML);
    expectFault(disabled, 404, 'SERVICE_DISABLED');
    expect(disabled.body).toContain('PromoChange');
    expect(harness.handled).toHaveLength(0);
  });

  it('405 with Allow: POST for any other method on a callback path', async () => {
    const harness = await start();
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const answer = await call(harness, '/callbacks/CarrierService', { method });
      expectFault(answer, 405, 'METHOD_NOT_ALLOWED');
      expect(answer.headers.allow).toBe('POST');
    }
    expect(harness.handled).toHaveLength(0);
  });

  it('415 for a body that is neither XML nor JSON; every XML media type, and none at all, go on', async () => {
    const harness = await start();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      expectFault(
        await callback(harness, '/callbacks/CarrierService', CARRIER_XML, {
          headers: { 'content-type': type },
        }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
    }
    // A type that names JSON, though not one we read: refused in JSON.
    expectJsonError(
      await callback(harness, '/callbacks/CarrierService', CARRIER_XML, {
        headers: { 'content-type': 'application/jsonl' },
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expect(harness.handled).toHaveLength(0);

    const wrongPassword = withCredentials(CARRIER_XML, 'fixture-user', 'wrong');
    for (const type of ['text/xml', 'Application/SOAP+XML; charset=utf-8', 'application/xml']) {
      expectFault(
        await callback(harness, '/callbacks/CarrierService', wrongPassword, {
          headers: { 'content-type': type },
        }),
        401,
        'AUTH_FAILED',
      );
    }
    // No Content-Type: the parser judges the bytes.
    expectFault(
      await call(harness, '/callbacks/CarrierService', { body: wrongPassword }),
      401,
      'AUTH_FAILED',
    );
    expect(harness.handled).toHaveLength(4);
  });

  it('413 for a declared Content-Length over the limit, answered before the body is sent', async () => {
    const harness = await start();
    // Only the headers travel: an answer proves nobody waited for the body.
    const answer = await partial(
      harness.port,
      '/callbacks/CarrierService',
      { 'content-type': 'text/xml', 'content-length': MAX_BODY_BYTES + 1 },
      [],
    );
    expectFault(answer, 413, 'BODY_TOO_LARGE');
    // The body is still unread: the connection cannot carry another request.
    expect(answer.headers.connection).toBe('close');
    expect(harness.handled).toHaveLength(0);
  });

  it('503 + Retry-After while starting and while draining, without calling the pipeline', async () => {
    const harness = await start();
    for (const reason of ['starting', 'draining'] as const) {
      harness.setReadiness(reason);
      const answer = await callback(harness, '/callbacks/CarrierService', CARRIER_XML);
      expectFault(answer, 503, 'NOT_READY');
      expect(answer.headers['retry-after']).toBe('5');
      // The fault text is the code's, the same for both; which one it was is in the log.
      expect(faultString(answer.body)).toBe(
        'NOT_READY: the bridge is starting or shutting down; retry later',
      );
      // The line before the access line.
      expect(harness.logs.at(-2)).toContain(reason === 'starting' ? 'starting' : 'shutting down');
    }
    expect(harness.handled).toHaveLength(0);

    // Kafka failing lately is the publisher's to judge per record: callbacks still go in.
    harness.setReadiness('kafka-unavailable');
    expectFault(
      await callback(harness, '/callbacks/CarrierService', withCredentials(CARRIER_XML, 'fixture-user', 'x')),
      401,
      'AUTH_FAILED',
    );
    expect(harness.handled).toHaveLength(1);
  });
});

describe('the pipeline refusing, through the real handler', () => {
  it('413 for a chunked body over the limit, counted while streaming', async () => {
    const harness = await start();
    // Valid XML all along, so that only the byte count can stop it: a long comment after the Envelope opens.
    const head = CARRIER_XML.replace('<s:Body', `<!--${'x'.repeat(MAX_BODY_BYTES)}--><s:Body`);
    const answer = await partial(
      harness.port,
      '/callbacks/CarrierService',
      { 'content-type': 'text/xml', 'transfer-encoding': 'chunked' },
      [head.slice(0, 1000), head.slice(1000, 3000), head.slice(3000)],
    );
    expectFault(answer, 413, 'BODY_TOO_LARGE');
    expect(answer.headers.connection).toBe('close');
    expect(harness.handled).toHaveLength(1);
    expect(harness.published).toBe(0);
  });

  it('408 for a client that does not finish its body within bodyTimeoutMs', async () => {
    const harness = await start();
    // Half the body, then silence; the answer comes when the deadline passes.
    const answer = await partial(
      harness.port,
      '/callbacks/CarrierService',
      { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(CARRIER_XML) },
      [CARRIER_XML.slice(0, 300)],
    );
    expectFault(answer, 408, 'BODY_TIMEOUT');
    expect(answer.body).toContain(`${BODY_TIMEOUT_MS} ms`);
    expect(answer.headers.connection).toBe('close');
    expect(harness.published).toBe(0);
  });

  it('400 for malformed XML, a DOCTYPE, an empty body and a document that is no SOAP envelope', async () => {
    const harness = await start();
    const cases: [string, string][] = [
      [CARRIER_XML.slice(0, CARRIER_XML.indexOf('</Data>')), 'MALFORMED_XML'],
      [CARRIER_XML.replace('<Kind>Mdn</Kind>', '<Kind>Mdn</Knd>'), 'MALFORMED_XML'],
      ['<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', 'DOCTYPE_FORBIDDEN'],
      ['', 'EMPTY_BODY'],
      ['<CallbackRequest><Username>fixture-user</Username></CallbackRequest>', 'NOT_SOAP_ENVELOPE'],
    ];
    for (const [xml, code] of cases) {
      expectFault(await callback(harness, '/callbacks/CarrierService', xml), 400, code);
    }
    expect(harness.published).toBe(0);
  });

  it('401 for each authentication failure, counted by reason, the same answer for all', async () => {
    const harness = await start();
    const cases: [string, string, string, string][] = [
      ['unknown-user', 'CarrierService', 'nobody', PASSWORD],
      ['bad-password', 'CarrierService', 'fixture-user', 'not-the-password'],
      ['service-not-allowed', 'CarrierService', 'promo-only', 'promo-only-pw'],
      ['empty-credentials', 'CarrierService', '', ''],
      ['empty-credentials', 'CarrierService', 'fixture-user', ''],
    ];
    const bodies = new Set<string>();
    for (const [, service, username, password] of cases) {
      const answer = await callback(
        harness,
        `/callbacks/${service}`,
        withCredentials(CARRIER_XML, username, password),
      );
      expectFault(answer, 401, 'AUTH_FAILED');
      bodies.add(answer.body);
    }
    // Nothing tells the caller which half was wrong, or whether the user exists.
    expect(bodies.size).toBe(1);
    expect(harness.published).toBe(0);

    const metrics = await scrape(harness);
    expect(metrics).toContain('thingspace_bridge_auth_failures_total{reason="unknown-user"} 1\n');
    expect(metrics).toContain('thingspace_bridge_auth_failures_total{reason="bad-password"} 1\n');
    expect(metrics).toContain('thingspace_bridge_auth_failures_total{reason="service-not-allowed"} 1\n');
    expect(metrics).toContain('thingspace_bridge_auth_failures_total{reason="empty-credentials"} 2\n');
    expect(metrics).toContain(
      'thingspace_bridge_requests_total{service="CarrierService",outcome="rejected",status="401"} 5\n',
    );
    // The password sent with the unknown user is in no log line (checked() looks at every one).
    expect(harness.logs.some((line) => line.includes('"code":"AUTH_FAILED"'))).toBe(true);
  });

  it("503s: Retry-After from the error's own estimate or the default, a fixed text, the detail in the log", async () => {
    const errors = [
      new QueueFullError(7),
      new SpoolFullError(1 << 20),
      new KafkaUnavailableError('broker 10.9.8.7'),
    ];
    let next = 0;
    const harness = await start({ handler: () => Promise.reject(errors[next++]!) });
    const answers = [];
    for (let i = 0; i < errors.length; i++) {
      answers.push(await callback(harness, '/callbacks/CarrierService', CARRIER_XML));
    }
    expect(answers.map((a) => [a.status, faultString(a.body), a.headers['retry-after']])).toEqual([
      [503, 'QUEUE_FULL: the publish queue is full; retry later', '7'],
      [503, 'SPOOL_FULL: the spool is full; retry later', '60'],
      [503, 'KAFKA_UNAVAILABLE: Kafka did not take the event; retry later', '5'],
    ]);
    expect(answers[2]!.body).not.toContain('10.9.8.7');
    expect(harness.logs.some((line) => line.includes('broker 10.9.8.7'))).toBe(true);
  });

  it('onServerError hears of every 5xx answered to a callback of a known service, with its error', async () => {
    const refused = new KafkaUnavailableError('down');
    const seen: unknown[][] = [];
    const harness = await start({
      handler: () => Promise.reject(refused),
      onServerError: (...args) => seen.push(args),
    });
    await callback(harness, '/callbacks/EnhancedConnectivityService', CARRIER_XML);
    harness.setReadiness('starting');
    await callback(harness, '/callbacks/NiddService', CARRIER_XML);
    // Not 5xx, or no service: nothing to hear.
    await callback(harness, '/callbacks/NoSuchService', CARRIER_XML);
    harness.setReadiness(undefined);
    await callback(harness, '/callbacks/CarrierService', CARRIER_XML, {
      headers: { 'content-type': 'image/png' },
    });
    expect(seen.map(([service, err]) => [service, (err as Error).constructor.name])).toEqual([
      ['EnhancedConnectivityService', 'KafkaUnavailableError'],
      ['NiddService', 'NotReadyError'],
    ]);
    expect(seen[0]![1]).toBe(refused);
  });

  it('unknown errors become the fixed 500 fault, their text kept in the process', async () => {
    const harness = await start({
      handler: () => Promise.reject(new TypeError('cannot read properties of undefined (reading "kind")')),
    });
    const answer = await callback(harness, '/callbacks/CarrierService', CARRIER_XML);
    expect(answer.status).toBe(500);
    expect(answer.body).toBe(SOAP_ANSWERS.internal.body.toString('utf8'));
    expect(answer.body).not.toContain('undefined');
    expect(answer.headers['retry-after']).toBeUndefined();
    expect(harness.logs.some((line) => line.includes('reading \\"kind\\"'))).toBe(true);
    expect(await scrape(harness)).toContain(
      'thingspace_bridge_requests_total{service="CarrierService",outcome="failed",status="500"} 1\n',
    );
  });
});

describe('a per-service listener (services.<name>.port)', () => {
  it('takes POST / and /callbacks/<its service> (any spelling), refuses every other service', async () => {
    const harness = await start({ onlyService: 'ExternalProvisioningChanges' });
    const xml = withCredentials(CARRIER_XML, 'fixture-user', 'wrong');

    for (const path of [
      '/',
      '/callbacks/ExternalProvisioningChanges',
      '/callbacks/externalprovisioningchange',
    ]) {
      expectFault(await callback(harness, path, xml), 401, 'AUTH_FAILED');
    }
    expect(harness.handled).toEqual([
      { service: 'ExternalProvisioningChanges' },
      { service: 'ExternalProvisioningChanges' },
      { service: 'ExternalProvisioningChanges' },
    ]);

    expectFault(await callback(harness, '/callbacks/CarrierService', xml), 404, 'UNKNOWN_SERVICE');
    expectFault(await callback(harness, '/callbacks/NetworkEventService', xml), 404, 'UNKNOWN_SERVICE');
    const get = await call(harness, '/', { method: 'GET' });
    expectFault(get, 405, 'METHOD_NOT_ALLOWED');
    expect(get.headers.allow).toBe('POST');
    expect(harness.handled).toHaveLength(3);
    // Health still answers on it.
    expect((await call(harness, '/healthz', { method: 'GET' })).status).toBe(200);
  });

  it('the main listener does not take POST /', async () => {
    const harness = await start();
    expectFault(await callback(harness, '/', CARRIER_XML), 404, 'NOT_FOUND');
    expect(harness.handled).toHaveLength(0);
  });
});

/** A REST callback (THINGSPACE.md §6) with invented values; the credentials as given. */
function carrierJson(username: string, password: string): string {
  return JSON.stringify({
    username,
    password,
    requestId: '6c1f0e2a-0000-4000-8000-00000000c001',
    deviceIds: [{ id: '89148000000000000007', kind: 'Iccid' }],
    deviceResponse: { changeIdentifierResponse: { servicePlan: 'PLAN-555' } },
    status: 'Success',
  });
}

function postJson(harness: Harness, path: string, json: string, type = 'application/json') {
  return callback(harness, path, json, { headers: { 'content-type': type } });
}

/** A handler that takes every callback: the app's own answer is the subject. */
const taken: CallbackHandler = () =>
  Promise.resolve({
    outcome: 'published',
    eventId: 'e',
    accountName: 'a',
    receipt: { held: 'kafka', topic: 't', partition: 0, offset: '0' },
  });

describe('receipts', () => {
  it('every 200 says where the callback went: X-Event-Id and X-Receipt (Kafka or spool), and a debug access line', async () => {
    const receipts: Receipt[] = [
      { held: 'kafka', topic: 'ts.async', partition: 2, offset: '1042' },
      { held: 'spool', topic: 'ts.async', segment: '00000000000000065536.seg', position: 70_000 },
    ];
    for (const receipt of receipts) {
      const harness = await start({
        handler: () =>
          Promise.resolve({ outcome: 'published', eventId: 'ev-1', accountName: 'acct', receipt }),
      });
      const answer = await callback(harness, '/callbacks/CarrierService', CARRIER_XML);
      const expected =
        receipt.held === 'kafka'
          ? 'kafka; topic=ts.async; partition=2; offset=1042'
          : 'spool; topic=ts.async; segment=00000000000000065536.seg; position=70000';
      expect([answer.status, answer.headers['x-event-id'], answer.headers['x-receipt']]).toEqual([
        200,
        'ev-1',
        expected,
      ]);
      const access = harness.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(access).toContainEqual(
        expect.objectContaining({
          level: 'debug',
          msg: 'callback published',
          status: 200,
          outcome: 'published',
          service: 'CarrierService',
          account: 'acct',
          eventId: 'ev-1',
          receipt: expected,
          durationMs: expect.any(Number) as unknown,
          reqId: answer.headers['x-request-id'],
        }),
      );
    }
  });

  it('a refused callback has its debug access line too, without the path or its token', async () => {
    const harness = await start({ handler: taken });
    const answer = await callback(harness, '/callbacks/no-such-token/CarrierService', CARRIER_XML);
    expect(answer.status).toBe(404);
    const lines = harness.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'debug',
        msg: 'callback rejected',
        status: 404,
        outcome: 'rejected',
        service: 'unknown',
        durationMs: expect.any(Number) as unknown,
        reqId: answer.headers['x-request-id'],
      }),
    );
    expect(harness.logs.join('\n')).not.toContain('no-such-token');
  });
});

describe('JSON callers', () => {
  it('JSON goes in on the same routes, by any of its media types, and is answered in JSON', async () => {
    const harness = await start({ handler: taken });
    for (const type of [
      'application/json',
      'Application/JSON; charset=UTF-8',
      'text/json',
      'application/vnd.example.callback+json',
    ]) {
      const answer = await postJson(harness, '/callbacks/CarrierService', '{}', type);
      expect([answer.status, answer.headers['content-type'], JSON.parse(answer.body)]).toEqual([
        200,
        'application/json; charset=utf-8',
        { status: 'ok' },
      ]);
      expect(harness.last).toEqual({ service: 'CarrierService', format: 'rest' });
    }
    // SOAP, as before.
    const soap = await callback(harness, '/callbacks/CarrierService', CARRIER_XML);
    expect([soap.status, soap.headers['content-type']]).toEqual([200, 'text/xml; charset=utf-8']);
    expect(harness.last).toEqual({ service: 'CarrierService', format: 'soap' });
  });

  it('through the real pipeline: acknowledged once published, refused with JSON bodies', async () => {
    const harness = await start({ delivers: true });
    const ok = await postJson(harness, '/callbacks/CarrierService', carrierJson('fixture-user', PASSWORD));
    expect([ok.status, JSON.parse(ok.body)]).toEqual([200, { status: 'ok' }]);
    expect(harness.published).toBe(1);

    const refused = await postJson(
      harness,
      '/callbacks/CarrierService',
      carrierJson('fixture-user', 'wrong'),
    );
    expectJsonError(refused, 401, 'AUTH_FAILED');
    expect(JSON.parse(refused.body)).toEqual({ code: 'AUTH_FAILED', message: 'authentication failed' });
    const malformed = await postJson(harness, '/callbacks/CarrierService', `{"username": "${PASSWORD}`);
    expectJsonError(malformed, 400, 'MALFORMED_JSON');
    expect(harness.published).toBe(1);
    expect(await scrape(harness)).toContain(
      'thingspace_bridge_requests_total{service="CarrierService",outcome="rejected",status="401"} 1\n',
    );
  });

  it('without a Content-Type, the first byte that is not whitespace decides; the parser gets every byte', async () => {
    const harness = await start();
    // An auth failure proves the body was parsed whole, whitespace and all.
    const json = await call(harness, '/callbacks/CarrierService', {
      body: `\n  ${carrierJson('fixture-user', 'wrong')}`,
    });
    expectJsonError(json, 401, 'AUTH_FAILED');
    expect(harness.last?.format).toBe('rest');
    const xml = await call(harness, '/callbacks/CarrierService', {
      body: withCredentials(CARRIER_XML, 'fixture-user', 'wrong'),
    });
    expectFault(xml, 401, 'AUTH_FAILED');
    expect(harness.last?.format).toBe('soap');
  });

  it('the Content-Type decides, not the body: JSON sent as text/xml is malformed XML, and back', async () => {
    const harness = await start();
    expectFault(
      await callback(harness, '/callbacks/CarrierService', carrierJson('fixture-user', PASSWORD)),
      400,
      'MALFORMED_XML',
    );
    expectJsonError(await postJson(harness, '/callbacks/CarrierService', CARRIER_XML), 400, 'MALFORMED_JSON');
    expect(harness.published).toBe(0);
  });

  it("refusals before the body is read answer in the Content-Type's format, with the row's headers", async () => {
    const harness = await start({ disabled: ['PromoChange'] });
    const json = { 'content-type': 'application/json' };
    expectJsonError(
      await call(harness, '/callbacks/NetworkEventService', { headers: json, body: '{}' }),
      404,
      'UNKNOWN_SERVICE',
    );
    expectJsonError(
      await call(harness, '/callbacks/PromoChange', { headers: json, body: '{}' }),
      404,
      'SERVICE_DISABLED',
    );
    expectJsonError(await call(harness, '/elsewhere', { headers: json, body: '{}' }), 404, 'NOT_FOUND');
    const get = await call(harness, '/callbacks/CarrierService', { method: 'GET', headers: json });
    expectJsonError(get, 405, 'METHOD_NOT_ALLOWED');
    expect(get.headers.allow).toBe('POST');
    const large = await partial(
      harness.port,
      '/callbacks/CarrierService',
      { ...json, 'content-length': MAX_BODY_BYTES + 1 },
      [],
    );
    expectJsonError(large, 413, 'BODY_TOO_LARGE');
    expect(large.headers.connection).toBe('close');
    harness.setReadiness('draining');
    const draining = await postJson(harness, '/callbacks/CarrierService', '{}');
    expectJsonError(draining, 503, 'NOT_READY');
    expect(draining.headers['retry-after']).toBe('5');
    expect(JSON.parse(draining.body)).toEqual({
      code: 'NOT_READY',
      message: 'the bridge is starting or shutting down; retry later',
    });
    expect(harness.handled).toHaveLength(0);
  });

  it('403 in JSON too', async () => {
    const harness = await start({
      http: {
        allowedSources: ONLY_10_0_0_0_8,
      },
    });
    expectJsonError(await postJson(harness, '/callbacks/CarrierService', '{}'), 403, 'SOURCE_NOT_ALLOWED');
  });

  it('unknown errors: the fixed 500 in JSON, their text kept in the process', async () => {
    const harness = await start({ handler: () => Promise.reject(new TypeError('secret detail')) });
    const answer = await postJson(harness, '/callbacks/CarrierService', '{}');
    expectJsonError(answer, 500, 'INTERNAL');
    expect(answer.body).not.toContain('secret detail');
  });
});

describe('path tokens: POST /callbacks/<token>/<service>', () => {
  it("takes the callback as the token's account: empty credentials, JSON or SOAP", async () => {
    const harness = await start({ delivers: true });
    const answer = await postJson(harness, `/callbacks/${TOKEN}/CarrierService`, carrierJson('', ''));
    expect([answer.status, JSON.parse(answer.body)]).toEqual([200, { status: 'ok' }]);
    expect(harness.last).toEqual({
      service: 'CarrierService',
      format: 'rest',
      pathAccount: '0000555123-00003',
    });
    const soap = await callback(
      harness,
      `/callbacks/${TOKEN}/carrierservice`,
      withCredentials(CARRIER_XML, '', ''),
    );
    expect(soap.status).toBe(200);
    expect(harness.published).toBe(2);
    // Counted under the service: the token is in no label (checked() looks at every scrape).
    expect(await scrape(harness)).toContain(
      'thingspace_bridge_requests_total{service="CarrierService",outcome="published",status="200"} 2\n',
    );
  });

  it("refuses, with 401, another account's credentials and the services the account does not have", async () => {
    const harness = await start();
    expectJsonError(
      await postJson(harness, `/callbacks/${TOKEN}/CarrierService`, carrierJson('fixture-user', PASSWORD)),
      401,
      'AUTH_FAILED',
    );
    expectJsonError(
      await postJson(harness, `/callbacks/${TOKEN}/DeviceUsage`, carrierJson('', '')),
      401,
      'AUTH_FAILED',
    );
    // Without the token, empty credentials name nobody.
    expectJsonError(
      await postJson(harness, '/callbacks/CarrierService', carrierJson('', '')),
      401,
      'AUTH_FAILED',
    );
    expect(harness.published).toBe(0);
    const metrics = await scrape(harness);
    expect(metrics).toContain('thingspace_bridge_auth_failures_total{reason="unknown-user"} 1\n');
    expect(metrics).toContain('thingspace_bridge_auth_failures_total{reason="service-not-allowed"} 1\n');
    expect(metrics).toContain('thingspace_bridge_auth_failures_total{reason="empty-credentials"} 1\n');
  });

  it('an unknown token is NOT_FOUND, like any path the bridge does not serve, and is never repeated', async () => {
    const harness = await start();
    const near = `${TOKEN.slice(0, -1)}X`;
    const answers = [];
    for (const path of [
      `/callbacks/${near}/CarrierService`,
      `/callbacks/${TOKEN.toLowerCase()}/CarrierService`,
      `/callbacks/${near}/NetworkEventService`,
      `/callbacks/${TOKEN}/CarrierService/more`,
      '/callbacks/CarrierService/',
      // The token without its service: not echoed as the name of an unknown service.
      `/callbacks/${TOKEN}`,
    ]) {
      const answer = await postJson(harness, path, carrierJson('', ''));
      expectJsonError(answer, 404, 'NOT_FOUND');
      answers.push(answer.body);
    }
    // Nothing tells one from another, nor from a path that was never a callback path.
    const elsewhere = await postJson(harness, '/nowhere', '{}');
    expect(new Set([...answers, elsewhere.body]).size).toBe(1);
    for (const line of harness.logs) expect(line).not.toContain(near);
    expect(harness.handled).toHaveLength(0);
    expect(await scrape(harness)).toContain(
      // The six, and /nowhere.
      'thingspace_bridge_requests_total{service="unknown",outcome="rejected",status="404"} 7\n',
    );
  });

  it('a known token with an unknown or disabled service: said as for a path without a token', async () => {
    const harness = await start({ disabled: ['PromoChange'] });
    const unknown = await postJson(harness, `/callbacks/${TOKEN}/NetworkEventService`, '{}');
    expectJsonError(unknown, 404, 'UNKNOWN_SERVICE');
    expect(JSON.parse(unknown.body)).toEqual({
      code: 'UNKNOWN_SERVICE',
      message: "unknown callback service 'NetworkEventService'",
    });
    expectJsonError(
      await postJson(harness, `/callbacks/${TOKEN}/PromoChange`, '{}'),
      404,
      'SERVICE_DISABLED',
    );
    const get = await call(harness, `/callbacks/${TOKEN}/CarrierService`, { method: 'GET' });
    expectFault(get, 405, 'METHOD_NOT_ALLOWED');
  });

  it('a per-service listener takes /callbacks/<token>/<its service>, and no /<token>', async () => {
    const harness = await start({ onlyService: 'CarrierService', handler: taken });
    expect((await postJson(harness, `/callbacks/${TOKEN}/CarrierService`, '{}')).status).toBe(200);
    expect(harness.last?.pathAccount).toBe('0000555123-00003');
    expectJsonError(await postJson(harness, `/callbacks/${TOKEN}/PromoChange`, '{}'), 404, 'UNKNOWN_SERVICE');
    expectJsonError(await postJson(harness, `/${TOKEN}`, '{}'), 404, 'NOT_FOUND');
    expect(harness.handled).toHaveLength(1);
  });
});

describe('health, readiness, metrics, request ids', () => {
  it('/healthz answers whatever the readiness', async () => {
    const harness = await start();
    for (const reason of [undefined, 'starting', 'draining', 'kafka-unavailable'] as const) {
      harness.setReadiness(reason);
      const answer = await call(harness, '/healthz', { method: 'GET' });
      expect([answer.status, JSON.parse(answer.body)]).toEqual([200, { status: 'ok' }]);
    }
  });

  it('/readyz: 200 when ready, 503 with the reason otherwise', async () => {
    const harness = await start();
    const ready = await call(harness, '/readyz', { method: 'GET' });
    expect([ready.status, JSON.parse(ready.body)]).toEqual([200, { status: 'ready' }]);
    for (const reason of ['starting', 'draining', 'kafka-unavailable'] as const) {
      harness.setReadiness(reason);
      const answer = await call(harness, '/readyz', { method: 'GET' });
      expect([answer.status, JSON.parse(answer.body)]).toEqual([503, { status: 'not-ready', reason }]);
    }
  });

  it('/metrics: Prometheus text, gauges sampled before each scrape, requests by service, outcome and status', async () => {
    let queued = 0;
    const harness = await start({ beforeScrape: () => (queued += 7) });
    await callback(harness, '/callbacks/NetworkEventService', CARRIER_XML);
    await call(harness, '/callbacks/DeviceUsage', { method: 'GET' });

    const answer = await call(harness, '/metrics', { method: 'GET' });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(queued).toBe(7);
    const text = answer.body;
    expect(text).toContain('# TYPE thingspace_bridge_requests_total counter');
    expect(text).toContain(
      'thingspace_bridge_requests_total{service="unknown",outcome="rejected",status="404"} 1\n',
    );
    expect(text).toContain(
      'thingspace_bridge_requests_total{service="unknown",outcome="rejected",status="405"} 1\n',
    );
    expect(text).toContain(
      'thingspace_bridge_request_duration_seconds_count{service="unknown",outcome="rejected"} 2\n',
    );
    for (const name of [
      'produce_duration_seconds',
      'produce_batch_records',
      'producer_queued_records',
      'auth_failures_total',
      'anomalies_total',
    ]) {
      expect(text).toContain(`# TYPE thingspace_bridge_${name} `);
    }
    // Every auth failure reason shows from the start.
    expect(text).toContain('thingspace_bridge_auth_failures_total{reason="bad-password"} 0\n');
    expect(text).toContain('process_cpu_user_seconds_total');
    // Health and metrics themselves are not callbacks.
    expect(text).not.toContain('status="200"');
  });

  it('X-Request-Id: a plain one is echoed, any other replaced by a fresh UUID', async () => {
    const harness = await start();
    const echoed = await call(harness, '/healthz', {
      method: 'GET',
      headers: { 'x-request-id': 'lb-7f3a:01.x_y' },
    });
    expect(echoed.headers['x-request-id']).toBe('lb-7f3a:01.x_y');

    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const given of [undefined, 'has spaces in it', 'x'.repeat(129), '<script>']) {
      const answer = await call(harness, '/healthz', {
        method: 'GET',
        headers: given === undefined ? {} : { 'x-request-id': given },
      });
      expect(answer.headers['x-request-id']).toMatch(uuid);
    }

    // Faults carry it too, and the log line of the refusal names it.
    const fault = await callback(
      harness,
      '/callbacks/CarrierService',
      withCredentials(CARRIER_XML, 'x', 'y'),
      {
        headers: { 'x-request-id': 'trace-401' },
      },
    );
    expect(fault.headers['x-request-id']).toBe('trace-401');
    expect(harness.logs.some((line) => line.includes('"reqId":"trace-401"'))).toBe(true);
  });
});

describe('fault bodies', () => {
  it('never echo the password, wherever in the body the sender put it', async () => {
    const harness = await start();
    const cut = CARRIER_XML.indexOf('</Password>') + '</Password>'.length;
    const answers = [
      // As the username too, of an unknown user.
      await callback(harness, '/callbacks/CarrierService', withCredentials(CARRIER_XML, PASSWORD, PASSWORD)),
      // The body ends right after it.
      await callback(harness, '/callbacks/CarrierService', CARRIER_XML.slice(0, cut)),
      // In an element name, and in a close tag that does not match.
      await callback(
        harness,
        '/callbacks/CarrierService',
        CARRIER_XML.replace('</Data>', `<${PASSWORD}></Data>`),
      ),
      await callback(
        harness,
        '/callbacks/CarrierService',
        CARRIER_XML.replace('</Password>', `</${PASSWORD}>`),
      ),
      // In an attribute of a nested element, past the size limit.
      await callback(
        harness,
        '/callbacks/CarrierService',
        CARRIER_XML.replace('<Data>', `<Data><X a="${PASSWORD}">${'y'.repeat(MAX_BODY_BYTES)}</X>`),
      ),
    ];
    // checked() already looked at each body, header and log line.
    expect(answers.map((a) => [a.status, faultCodeOf(a.body)])).toEqual([
      [401, 'AUTH_FAILED'],
      [400, 'MALFORMED_XML'],
      [400, 'MALFORMED_XML'],
      [400, 'MALFORMED_XML'],
      [413, 'BODY_TOO_LARGE'],
    ]);
    expect(harness.published).toBe(0);
  });
});
