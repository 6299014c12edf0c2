/**
 * `npm run demo`: the bridge's main job end to end on this machine.
 *
 *   1. a real Kafka broker and schema registry (the local stack, or KAFKA_BROKERS / SCHEMA_REGISTRY_URL);
 *   2. the bridge (`thingspace-bridge serve`, examples/demo-bridge.yaml) as a child process;
 *   3. every sample callback in test/fixtures/callbacks POSTed to it as ThingSpace would;
 *   4. the events read back from Kafka, decoded with the registry, printed per topic.
 *
 * A stack the demo started is stopped at the end; one that was already running is left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tail, toJsonLine, type TailedRecord } from '../src/cli/tail';
import { provideInfra } from '../test/infra/environment';

const root = join(__dirname, '..');
const fixtures = join(root, 'test/fixtures/callbacks');
const TOPICS = [
  'thingspace.async-responses',
  'thingspace.external-changes',
  'thingspace.device-originated',
  'thingspace.dead-letter',
];
/** The password the sample callbacks carry (invented, like every value in the fixtures). */
const SAMPLE_PASSWORD = 's3cret-fixture-pw';

interface Sample {
  name: string;
  /** The service as the URL names it (fixtures use every spelling ThingSpace does). */
  service: string;
  body: Buffer;
}

function samples(): Sample[] {
  return readdirSync(fixtures)
    .filter((file) => file.endsWith('.xml'))
    .sort()
    .map((file) => {
      const name = file.slice(0, -'.xml'.length);
      const expected = JSON.parse(readFileSync(join(fixtures, `${name}.expected.json`), 'utf8')) as {
        context: { service: string };
      };
      return { name, service: expected.context.service, body: readFileSync(join(fixtures, file)) };
    });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function startBridge(port: number, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'src/cli/main.ts'),
      'serve',
      '--config',
      join(root, 'examples/demo-bridge.yaml'),
    ],
    {
      cwd: root,
      env: { ...env, BRIDGE_PORT: String(port), DEMO_CALLBACK_PASSWORD: SAMPLE_PASSWORD },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // The bridge's JSON log lines, indented under the demo's own output.
  const relay = (chunk: Buffer) =>
    process.stderr.write(chunk.toString().replace(/^(?=.)/gm, '    bridge | '));
  child.stdout.on('data', relay);
  child.stderr.on('data', relay);
  return child;
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
  const env = {
    ...process.env,
    KAFKA_BROKERS: infra.kafkaBrokers,
    SCHEMA_REGISTRY_URL: infra.schemaRegistryUrl,
  };
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const bridge = startBridge(port, env);
  try {
    await waitUntilReady(base, bridge);
    const sent = samples();
    const startedAt = Date.now();
    process.stdout.write(`\nPOSTing ${sent.length} sample callbacks to ${base}/callbacks/<service>\n`);
    for (const sample of sent) {
      const response = await fetch(`${base}/callbacks/${sample.service}`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8' },
        body: sample.body,
      });
      process.stdout.write(
        `  ${String(response.status).padEnd(4)} ${sample.service.padEnd(30)} ${sample.name}\n`,
      );
      if (!response.ok) throw new Error(`${sample.name}: the bridge answered ${response.status}`);
    }

    // Earlier runs' events stay in the topics of a reused stack: keep only this run's, until all are in.
    const events: TailedRecord[] = [];
    const allIn = new AbortController();
    const timeout = setTimeout(() => allIn.abort(), 60_000);
    await tail({
      brokers: infra.kafkaBrokers.split(','),
      registryUrl: infra.schemaRegistryUrl,
      topics: TOPICS,
      fromBeginning: true,
      signal: allIn.signal,
      onRecord: (record) => {
        if ((record.value as { receivedAt: number }).receivedAt < startedAt) return;
        events.push(record);
        if (events.length === sent.length) allIn.abort();
      },
    });
    clearTimeout(timeout);
    for (const topic of TOPICS) {
      const ofTopic = events.filter((e) => e.topic === topic);
      process.stdout.write(`\n== ${topic}: ${ofTopic.length} event(s)\n`);
      for (const event of ofTopic) process.stdout.write(`${toJsonLine(event)}\n`);
    }
    const leaked = events.some((e) => toJsonLine(e).includes(SAMPLE_PASSWORD));
    process.stdout.write(
      `\n${events.length} of ${sent.length} callbacks are in Kafka; the callback password appears in ` +
        `${leaked ? 'SOME EVENTS (a bug)' : 'none of them'}.\n`,
    );
    if (events.length !== sent.length || leaked) process.exitCode = 1;
  } finally {
    bridge.kill('SIGTERM');
    await new Promise((resolve) => bridge.once('exit', resolve));
    await infra.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
