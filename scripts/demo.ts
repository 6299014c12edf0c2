/**
 * `npm run demo`: the bridge's main job end to end on this machine, with the simulator playing ThingSpace over
 * both of its APIs.
 *
 *   1. a real Kafka broker and schema registry (the local stack, or KAFKA_BROKERS / SCHEMA_REGISTRY_URL);
 *   2. the simulator: ThingSpace's registration APIs (SOAP UWS v2 and REST, on one port), and the platform's
 *      callback sender;
 *   3. the bridge (`thingspace-bridge serve`, examples/demo-bridge.yaml) as a child process;
 *   4. `thingspace-bridge callbacks sync` registers the bridge as an operator would: one account over SOAP (its
 *      callbacks come as SOAP, with its credentials), one over REST (JSON, its URLs carrying a path token); each
 *      run twice, the second run has nothing to do;
 *   5. the simulator sends a callback of every sample (test/fixtures/callbacks, test/fixtures/rest) to the
 *      registered URLs, in the format of the API each was registered through;
 *   6. the events read back from Kafka, decoded with the registry, printed per topic; no secret in any;
 *   7. `thingspace-bridge dedupe` (docs/dedupe.md), started beside the bridge: one acknowledged callback posted
 *      again, as ThingSpace re-sends one whose acknowledgement it did not get (same eventId: the id leaves out
 *      CallbackCount); its category topic then holds it twice, `<topic>.deduped` (read read_committed) once.
 *
 * A stack the demo started is stopped at the end; one that was already running is left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tail, toJsonLine, type TailedRecord } from '../src/cli/tail';
import { dedupedTopic } from '../src/dedupe/topics';
import { reportLine } from '../src/cli/simulate';
import { loadClientConfig, topicsOf } from '../src/config';
import { createLogger } from '../src/observability';
import { CONTENT_TYPES, Simulator, type DeliveredCallback } from '../src/simulator';
import { Secret } from '../src/util/secret';
import { provideInfra } from '../test/infra/environment';

const root = join(__dirname, '..');
const CONFIG = join(root, 'examples/demo-bridge.yaml');
/** Invented, like every value in the fixtures: the callback password, the API user's, the REST app's. */
const CALLBACK_PASSWORD = 's3cret-fixture-pw';
const API_PASSWORD = 'demo-api-pw';
const APP_KEY = 'demo-app';
const APP_SECRET = 'demo-app-secret';
/** The account registered over SOAP (with credentials), and the one registered over REST (with a path token). */
const SOAP_ACCOUNT = '0000555123-00001';
const REST_ACCOUNT = '0000555123-00002';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `thingspace-bridge <args>` as a child process, its output indented under the demo's own. */
function thingspaceBridge(args: string[], env: NodeJS.ProcessEnv, label: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const relay = (chunk: Buffer) =>
    process.stderr.write(chunk.toString().replace(/^(?=.)/gm, `    ${label} | `));
  child.stdout.on('data', relay);
  child.stderr.on('data', relay);
  return child;
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', resolve));
}

/** Polls `check` until it holds, failing when `child` exits or `seconds` pass. */
async function waitFor(
  what: string,
  child: ChildProcess,
  check: () => Promise<boolean>,
  seconds = 90,
): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what}: the process exited with code ${child.exitCode}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not within ${seconds} s`);
}

const isReady = (base: string) => () => fetch(`${base}/readyz`).then((r) => r.ok);

/** A counter of the dedupe node's /metrics (its sum over labels); 0 before its first increment. */
async function dedupeCounter(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce(
    (sum, match) => sum + Number(match[1]),
    0,
  );
}

async function main(): Promise<void> {
  const infra = await provideInfra();
  // An acknowledged callback with a RequestId of its own (unique to this run): the one posted again below.
  let toResend: DeliveredCallback | undefined;
  const simulator = await Simulator.start({
    users: [{ username: 'demo-admin', password: new Secret(API_PASSWORD) }],
    accounts: [SOAP_ACCOUNT, REST_ACCOUNT],
    apis: ['soap', 'rest'],
    rest: { app: { key: APP_KEY, secret: new Secret(APP_SECRET) } },
    retryIntervalMs: 2_000,
    onAttempt: ({ status, target, template, callbackCount }) =>
      process.stdout.write(
        `  ${String(status ?? '-').padEnd(4)} ${target.serviceName.padEnd(28)} ${template} (attempt ${callbackCount})\n`,
      ),
    onCallback: (callback) => {
      if (toResend === undefined && callback.outcome === 'acknowledged' && callback.requestId !== undefined) {
        toResend = callback;
      }
    },
  });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dedupeBase = `http://127.0.0.1:${await freePort()}`;
  // 128 random bits, as a real one must have: the REST account's URLs carry it.
  const pathToken = randomBytes(16).toString('base64url');
  const secrets = [CALLBACK_PASSWORD, API_PASSWORD, APP_SECRET, pathToken];
  const { restUrl, oauthTokenUrl } = simulator.restUrls;
  const env = {
    ...process.env,
    KAFKA_BROKERS: infra.kafkaBrokers,
    SCHEMA_REGISTRY_URL: infra.schemaRegistryUrl,
    BRIDGE_PORT: String(port),
    BRIDGE_PUBLIC_BASE_URL: base,
    THINGSPACE_URL: simulator.url,
    THINGSPACE_REST_URL: restUrl,
    THINGSPACE_OAUTH_TOKEN_URL: oauthTokenUrl,
    DEMO_CALLBACK_PASSWORD: CALLBACK_PASSWORD,
    DEMO_PATH_TOKEN: pathToken,
    DEMO_THINGSPACE_PASSWORD: API_PASSWORD,
    DEMO_THINGSPACE_APP_KEY: APP_KEY,
    DEMO_THINGSPACE_APP_SECRET: APP_SECRET,
  };
  const bridge = thingspaceBridge(['serve', '--config', CONFIG], env, 'bridge');
  let dedupe: ChildProcess | undefined;
  try {
    await waitFor('the bridge ready', bridge, isReady(base));
    // Once the bridge has created the category topics it reads; it joins its group while the demo goes on.
    dedupe = thingspaceBridge(
      ['dedupe', '--config', CONFIG],
      { ...env, DEDUPE_PORT: new URL(dedupeBase).port, DEDUPE_INSTANCE_ID: 'demo' },
      'dedupe',
    );

    // The simulator's URLs are http on a chosen port; ThingSpace itself wants https on its ports (§4).
    for (const [api, account] of [
      ['soap', SOAP_ACCOUNT],
      ['rest', REST_ACCOUNT],
    ] as const) {
      const sync = [
        'callbacks',
        'sync',
        '--config',
        CONFIG,
        '--account',
        account,
        '--allow-http',
        '--allow-any-port',
        '--detailed-exitcode',
      ];
      for (const [round, expected] of [
        [`registering ${account} with the simulator over ${api.toUpperCase()}`, 3],
        ['again: nothing to change', 0],
      ] as const) {
        process.stdout.write(`\nTHINGSPACE_API=${api} thingspace-bridge ${sync.join(' ')}  (${round})\n`);
        const code = await exitCode(thingspaceBridge(sync, { ...env, THINGSPACE_API: api }, `sync ${api}`));
        if (code !== expected) throw new Error(`callbacks sync exited with ${code}, expected ${expected}`);
      }
    }

    const startedAt = Date.now();
    process.stdout.write(
      `\nThe simulator sends a callback of every sample to the registered URLs, SOAP or JSON by registration:\n`,
    );
    const report = await simulator.send();
    process.stdout.write(`${reportLine(report)}\n`);
    if (report.acknowledged !== report.sent) throw new Error('not every callback was acknowledged');

    // Earlier runs' events stay in the topics of a reused stack: keep only this run's, until all are in.
    // Read as `thingspace-bridge tail --config` would: the bridge's own config and env, its four topics.
    const { config } = loadClientConfig({ argv: ['--config', CONFIG], env, cwd: root });
    const topics = Object.values(topicsOf(config.kafka));
    const events: TailedRecord[] = [];
    const allIn = new AbortController();
    const timeout = setTimeout(() => allIn.abort(), 60_000);
    await tail({
      config,
      logger: createLogger({ level: 'warn' }, process.stderr),
      topics,
      fromBeginning: true,
      signal: allIn.signal,
      onRecord: (record) => {
        if ((record.value as { receivedAt: number }).receivedAt < startedAt) return;
        events.push(record);
        if (events.length === report.acknowledged) allIn.abort();
      },
    });
    clearTimeout(timeout);
    for (const topic of topics) {
      const ofTopic = events.filter((e) => e.topic === topic);
      process.stdout.write(`\n== ${topic}: ${ofTopic.length} event(s)\n`);
      for (const event of ofTopic) process.stdout.write(`${toJsonLine(event)}\n`);
    }
    const leaked = events.some((e) => secrets.some((secret) => toJsonLine(e).includes(secret)));
    const byFormat = (format: string) =>
      events.filter((e) => (e.value as { format?: string }).format === format).length;
    process.stdout.write(
      `\n${events.length} of ${report.acknowledged} acknowledged callbacks are in Kafka (${byFormat('soap')} SOAP, ` +
        `${byFormat('rest')} REST); the passwords and the path token appear in ` +
        `${leaked ? 'SOME EVENTS (a bug)' : 'none of them'}.\n`,
    );
    if (events.length !== report.acknowledged || leaked) process.exitCode = 1;

    if (!(await showResentDropped(toResend, events, config, dedupeBase, dedupe))) process.exitCode = 1;
  } finally {
    if (dedupe) {
      dedupe.kill('SIGTERM');
      await exitCode(dedupe);
    }
    bridge.kill('SIGTERM');
    await exitCode(bridge);
    await simulator.close();
    await infra.stop();
  }
}

/**
 * Posts `callback` again, as ThingSpace re-sends a callback whose acknowledgement it did not get, then shows its
 * records: twice in its category topic, once in `<topic>.deduped` (read_committed, as tail reads). True when so.
 */
async function showResentDropped(
  callback: DeliveredCallback | undefined,
  events: readonly TailedRecord[],
  config: ReturnType<typeof loadClientConfig>['config'],
  dedupeBase: string,
  dedupe: ChildProcess,
): Promise<boolean> {
  const first = events.find(
    (e) => (e.value as { requestId: string | null }).requestId === callback?.requestId,
  );
  if (callback === undefined || first === undefined) throw new Error('no acknowledged callback to re-send');
  const { eventId } = first.value as { eventId: string };
  const deduped = dedupedTopic(first.topic);
  process.stdout.write(
    `\nThingSpace re-sends a callback it got no acknowledgement for: ${callback.target.serviceName} ` +
      `(RequestId ${callback.requestId}) posted again; eventId ${eventId} both times.\n`,
  );
  const response = await fetch(callback.target.url, {
    method: 'POST',
    headers: { 'content-type': CONTENT_TYPES[callback.target.api] },
    body: callback.body,
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`the bridge answered the re-sent callback ${response.status}`);

  // The dedupe node has joined its group and dropped a duplicate in a committed batch.
  await waitFor('the dedupe node ready', dedupe, isReady(dedupeBase));
  await waitFor('the re-sent callback dropped', dedupe, async () => {
    return (await dedupeCounter(dedupeBase, 'thingspace_dedupe_records_duplicate_total')) >= 1;
  });
  const count = async (topic: string) => {
    let n = 0;
    await tail({
      config,
      logger: createLogger({ level: 'warn' }, process.stderr),
      topics: [topic],
      fromBeginning: false,
      since: first.timestamp,
      idleMs: 3_000,
      onRecord: (record) => {
        if ((record.value as { eventId: string }).eventId === eventId) n += 1;
      },
    });
    return n;
  };
  const [inCategory, inDeduped] = [await count(first.topic), await count(deduped)];
  process.stdout.write(
    `${first.topic}: ${inCategory} record(s) with eventId ${eventId} (the bridge publishes every acknowledged ` +
      `callback)\n${deduped}: ${inDeduped} record(s) with it, read read_committed: the re-sent callback ` +
      `${inCategory === 2 && inDeduped === 1 ? 'was dropped by `thingspace-bridge dedupe`' : 'WAS NOT DROPPED (a bug)'}.\n`,
  );
  return inCategory === 2 && inDeduped === 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
