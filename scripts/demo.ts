/**
 * `npm run demo`: the bridge's main job end to end on this machine, with the simulator playing ThingSpace.
 *
 *   1. a real Kafka broker and schema registry (the local stack, or KAFKA_BROKERS / SCHEMA_REGISTRY_URL);
 *   2. the simulator: a fake ThingSpace registration API, and the platform's callback sender;
 *   3. the bridge (`thingspace-bridge serve`, examples/demo-bridge.yaml) as a child process;
 *   4. `thingspace-bridge callbacks sync` registers the bridge with the simulator, as an operator would; run
 *      twice, the second run has nothing to do;
 *   5. the simulator sends a callback of every sample in test/fixtures/callbacks to the registered URLs, with
 *      the registered credentials;
 *   6. the events read back from Kafka, decoded with the registry, printed per topic.
 *
 * A stack the demo started is stopped at the end; one that was already running is left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tail, toJsonLine, type TailedRecord } from '../src/cli/tail';
import { reportLine } from '../src/cli/simulate';
import { loadClientConfig, topicsOf } from '../src/config';
import { createLogger } from '../src/observability';
import { Simulator } from '../src/simulator';
import { Secret } from '../src/util/secret';
import { provideInfra } from '../test/infra/environment';

const root = join(__dirname, '..');
const CONFIG = join(root, 'examples/demo-bridge.yaml');
/** Invented, like every value in the fixtures: the callback password, and the API user's. */
const CALLBACK_PASSWORD = 's3cret-fixture-pw';
const API_PASSWORD = 'demo-api-pw';
const ACCOUNT = '0000555123-00001';

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

async function waitUntilReady(base: string, bridge: ChildProcess): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (bridge.exitCode !== null) throw new Error(`the bridge exited with code ${bridge.exitCode}`);
    const ready = await fetch(`${base}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the bridge did not become ready within 90 s');
}

async function main(): Promise<void> {
  const infra = await provideInfra();
  const simulator = await Simulator.start({
    users: [{ username: 'demo-admin', password: new Secret(API_PASSWORD) }],
    accounts: [ACCOUNT],
    retryIntervalMs: 2_000,
    onAttempt: ({ status, target, template, callbackCount }) =>
      process.stdout.write(
        `  ${String(status ?? '-').padEnd(4)} ${target.serviceName.padEnd(28)} ${template} (attempt ${callbackCount})\n`,
      ),
  });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    KAFKA_BROKERS: infra.kafkaBrokers,
    SCHEMA_REGISTRY_URL: infra.schemaRegistryUrl,
    BRIDGE_PORT: String(port),
    BRIDGE_PUBLIC_BASE_URL: base,
    THINGSPACE_URL: simulator.url,
    DEMO_CALLBACK_PASSWORD: CALLBACK_PASSWORD,
    DEMO_THINGSPACE_PASSWORD: API_PASSWORD,
  };
  const bridge = thingspaceBridge(['serve', '--config', CONFIG], env, 'bridge');
  try {
    await waitUntilReady(base, bridge);

    // The simulator's URLs are http on a chosen port; ThingSpace itself wants https on its ports (§4).
    const sync = ['callbacks', 'sync', '--config', CONFIG, '--allow-http', '--allow-any-port'];
    for (const [round, expected] of [
      ['registering the bridge with the simulator', 2],
      ['again: nothing to change', 0],
    ] as const) {
      process.stdout.write(`\nthingspace-bridge ${sync.join(' ')}  (${round})\n`);
      const code = await exitCode(thingspaceBridge(sync, env, 'sync'));
      if (code !== expected) throw new Error(`callbacks sync exited with ${code}, expected ${expected}`);
    }

    const startedAt = Date.now();
    process.stdout.write(`\nThe simulator sends a callback of every sample to the registered URLs:\n`);
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
    const leaked = events.some((e) =>
      [CALLBACK_PASSWORD, API_PASSWORD].some((pw) => toJsonLine(e).includes(pw)),
    );
    process.stdout.write(
      `\n${events.length} of ${report.acknowledged} acknowledged callbacks are in Kafka; the passwords appear in ` +
        `${leaked ? 'SOME EVENTS (a bug)' : 'none of them'}.\n`,
    );
    if (events.length !== report.acknowledged || leaked) process.exitCode = 1;
  } finally {
    bridge.kill('SIGTERM');
    await exitCode(bridge);
    await simulator.close();
    await infra.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
