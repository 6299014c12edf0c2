/**
 * Property: whatever a JSON caller sends, the ingress answers 200 or a 4xx, never a 5xx, never a dropped
 * connection, and never echoes the password. Seeded mutations of every REST fixture are POSTed as
 * application/json to the real Koa app over a socket, through the real pipeline (parse, authenticate,
 * normalize, encode with the real Avro schemas); the delivery takes every record, so whatever survives the
 * pipeline is acknowledged and counted.
 *
 * Reproduce a failure with the seed it prints: FUZZ_SEED=<seed> npx jest test/unit/http/json-fuzz --selectProjects unit
 * A long run: `npm run fuzz:json` (FUZZ_RUNS=100000 by default), which prints the answers by code.
 */
import { createServer, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createAuthenticator } from '../../../src/auth';
import { parseConfig } from '../../../src/config';
import { createApp } from '../../../src/http/app';
import { createCallbackHandler } from '../../../src/ingress/handle-callback';
import type { CallbackBody } from '../../../src/message/body';
import { createLogger, createMetrics } from '../../../src/observability';
import { expectedOf, FIXTURE_SETS, fixtureSource, PASSWORD, USERNAME } from '../../support/fixtures';
import { testEncoder } from '../../support/encoder';
import { send, type Answer } from '../../support/http';
import { fuzz, FUZZ_RUNS, FUZZ_SEED, rejections } from '../message/fuzz';
import { JSON_MUTATIONS } from '../json/mutations';

// A case is an HTTP round trip: about a millisecond here.
const TIMEOUT_MS = 60_000 + FUZZ_RUNS * 5;

const REST = FIXTURE_SETS.rest;
const MESSAGES = REST.names.map((name) => Buffer.from(fixtureSource(REST, name)));
/** Each message's path: its fixture's service, as the fixture spells it. */
const PATHS = REST.names.map((name) => `/callbacks/${expectedOf(REST, name).context.service}`);

/** A refusal: the answer's status and the catalogue code its JSON body names. */
class Refused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(`${status} ${code}`);
  }
}

let server: Server;
let port: number;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const logs: string[] = [];
let acknowledged = 0;

beforeAll(async () => {
  const { config } = parseConfig(
    {
      accounts: [
        {
          name: '0000555123-00001',
          username: USERNAME,
          password: PASSWORD,
          services: ['*'],
          allowEmptyCredentials: ['AlertService'],
        },
      ],
      kafka: { brokers: ['127.0.0.1:1'] },
      schemaRegistry: { url: 'http://127.0.0.1:1' },
    },
    {},
  );
  const authenticator = createAuthenticator(config.accounts);
  const logger = createLogger(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  const handle = createCallbackHandler({
    parserLimits: { maxBodyBytes: config.http.maxBodyBytes },
    authenticator,
    normalizeOptions: { kindPriority: config.normalize.kindPriority },
    encoder: testEncoder(),
    delivery: {
      deliver: (record) => {
        acknowledged++;
        return Promise.resolve({ held: 'kafka' as const, topic: record.topic, partition: 0, offset: '0' });
      },
    },
    maxRecordBytes: config.kafka.producer.maxBatchBytes,
    ingressNode: 'json-fuzz',
  });
  const app = createApp({
    http: config.http,
    serviceEnabled: () => true,
    pathAccount: (token) => authenticator.pathAccount(token),
    handle,
    readiness: () => undefined,
    metrics: createMetrics(),
    logger,
  });
  const callback = app.callback();
  server = createServer((req, res) => void callback(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  agent.destroy();
  await new Promise((resolve) => server.close(resolve));
});

async function bytesOf(body: CallbackBody): Promise<Buffer> {
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** One POST: resolves on 200, rejects with Refused on a 4xx, with an Error on anything else. */
async function post(path: string, body: CallbackBody): Promise<void> {
  const answer: Answer = await send(port, path, {
    headers: { 'content-type': 'application/json' },
    body: await bytesOf(body),
    agent,
  });
  if (answer.body.includes(PASSWORD)) throw new Error(`the answer holds the password: ${answer.status}`);
  if (answer.status === 200) return;
  const code = (JSON.parse(answer.body) as { code?: unknown }).code;
  if (answer.status >= 400 && answer.status < 500 && typeof code === 'string') {
    throw new Refused(answer.status, code);
  }
  throw new Error(`answered ${answer.status}: ${answer.body}`);
}

it(
  `every mutated JSON callback is answered 200 or 4xx (FUZZ_SEED=${FUZZ_SEED}, FUZZ_RUNS=${FUZZ_RUNS})`,
  async () => {
    const outcome = await fuzz({
      parse: (body, _limits, message) => post(PATHS[message]!, body),
      messages: MESSAGES,
      mutations: JSON_MUTATIONS,
      limitsFor: () => undefined,
      acceptable: (err) => err instanceof Refused,
    });
    if (process.env.FUZZ_RUNS !== undefined) {
      process.stdout.write(
        `JSON ingress fuzz, FUZZ_SEED=${FUZZ_SEED}: ${outcome.runs} cases, ${outcome.parsed} × 200 ` +
          `(${acknowledged} records delivered), refused ${JSON.stringify(outcome.rejected)}\n`,
      );
    }
    expect(acknowledged).toBe(outcome.parsed);
    // Both kinds of outcome happen, or the test tests nothing.
    expect(outcome.parsed).toBeGreaterThan(FUZZ_RUNS / 100);
    expect(rejections(outcome)).toBeGreaterThan(FUZZ_RUNS / 10);
    for (const line of logs) expect(line).not.toContain(PASSWORD);
  },
  TIMEOUT_MS,
);
