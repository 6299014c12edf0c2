/**
 * The consumer guide's examples (docs/consuming.md), run as a consumer team would run them, against the real broker
 * and registry: a bridge takes every hand-written callback (SOAP and REST) twice, as ThingSpace re-sends one that
 * got no 2xx in time; then the Python, Java and TypeScript examples each read the three topics to their end.
 * Each must print the same per-device state changes and summary as this test works out from the records itself,
 * each duplicate skipped.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Category } from '../../src/events/types';
import { FIXTURE_SETS, fixtureSource, expectedOf } from '../support/fixtures';
import { send } from '../support/http';
import { carrierCallback, IngressHarness, type RunningBridge } from '../integration/ingress/harness';
import { uniqueName } from '../infra/kafka';

const root = join(__dirname, '../..');
/** How each example is run (its README says the same); the first run of Java and Python also builds or installs. */
const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  python: ['bash', join(root, 'examples/python/run.sh')],
  java: ['bash', join(root, 'examples/java/run.sh')],
  // The package name resolves through package.json "exports" to dist/, as for any consumer: built first.
  typescript: [
    'bash',
    '-c',
    'npm run -s build >&2 && exec bash scripts/run node --import tsx examples/typescript/consumer.ts',
  ],
};
const CATEGORIES: readonly Category[] = ['async-response', 'external-change', 'device-originated'];
/** A first run builds the Java example with Maven or fills the Python venv from PyPI. */
const RUN_TIMEOUT_MS = 600_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The guide's algorithm, worked out here from the decoded records: what every example must print. */
function expectedOutput(records: readonly { key: string; event: Record<string, unknown> }[]): string[] {
  const seen = new Set<string>();
  const states = new Map<string, string>();
  const lines: string[] = [];
  for (const { key, event } of records) {
    if (seen.has(event.eventId as string)) continue;
    seen.add(event.eventId as string);
    const state = [event.service, event.payloadType ?? '-', event.status ?? '-'].join(' ');
    const device = `${key} ${event.category as string}`;
    if (states.get(device) === state) continue;
    states.set(device, state);
    lines.push(`${device}: ${state}`);
  }
  const duplicates = records.length - seen.size;
  lines.push(
    `summary: records=${records.length} duplicates=${duplicates} events=${seen.size} changes=${lines.length}`,
  );
  return lines;
}

const harness = new IngressHarness();
let running: RunningBridge;
let expected: string[];

beforeAll(async () => {
  running = await harness.startBridge({ allowEmptyCredentials: ['AlertService'] });
  const fixtures = Object.values(FIXTURE_SETS).flatMap((set) => set.names.map((name) => ({ set, name })));
  // Twice each: the second copy is a re-send, with the first one's eventId.
  for (const copy of [1, 2]) {
    for (const { set, name } of fixtures) {
      const answer = await send(running.port, `/callbacks/${expectedOf(set, name).context.service}`, {
        method: 'POST',
        headers: { 'content-type': set.contentType },
        body: fixtureSource(set, name),
      });
      if (answer.status !== 200) throw new Error(`${set.format}/${name} copy ${copy}: ${answer.status}`);
    }
  }
  // One device's plan changes, three requests: three events, one state (the first change only is printed).
  for (const sequence of [1, 2, 3]) {
    const answer = await send(running.port, '/callbacks/CarrierService', {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8' },
      body: carrierCallback(9, sequence),
    });
    if (answer.status !== 200) throw new Error(`plan change ${sequence}: ${answer.status}`);
  }
  const topics = CATEGORIES.map((category) => running.topics[category]);
  const { registry } = harness.servers;
  // Per partition in offset order: what a consumer sees per key, whatever the order between partitions.
  const records = await Promise.all(
    (await harness.readAll(topics)).map(async (record) => ({
      key: record.key!.toString('utf8'),
      event: (await registry.decode(record.value!)) as Record<string, unknown>,
    })),
  );
  expected = expectedOutput(records);
  // What the examples' runs read: a duplicate of every fixture's event, and fewer state changes than events.
  const [, total, duplicates, events, changes] =
    /^summary: records=(\d+) duplicates=(\d+) events=(\d+) changes=(\d+)$/
      .exec(expected.at(-1)!)!
      .map(Number);
  expect(duplicates).toBe(total! - events!);
  expect(duplicates).toBe(fixtures.length);
  expect(changes).toBeLessThan(events!);
}, 120_000);

afterAll(() => harness.cleanup());

const sorted = (lines: readonly string[]) => [...lines].sort();

describe.each(Object.keys(EXAMPLES))('the %s example', (language) => {
  it(
    'prints every device state change once and the summary, each duplicate skipped',
    async () => {
      const { code, stdout, stderr } = await run(EXAMPLES[language]!, {
        ...process.env,
        KAFKA_BOOTSTRAP: harness.servers.brokers.join(','),
        SCHEMA_REGISTRY_URL: harness.servers.registryUrl,
        TOPICS: CATEGORIES.map((category) => running.topics[category]).join(','),
        GROUP_ID: uniqueName(`example-${language}`),
        STOP_AT_END: '1',
      });
      if (code !== 0) throw new Error(`${language} exited ${code}:\n${stderr.slice(-4000)}`);
      const lines = stdout.split('\n').filter(Boolean);
      process.stderr.write(`${language} example: ${lines.at(-1)}\n`);
      expect(lines.at(-1)).toBe(expected.at(-1));
      expect(sorted(lines)).toEqual(sorted(expected));
    },
    RUN_TIMEOUT_MS + 30_000,
  );
});
