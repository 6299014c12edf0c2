/**
 * `thingspace-bridge serve` as operators run it: a child process, SIGTERM under load, exit codes. Shutdown is a
 * process matter (signals, open handles, exit code), so it is tested across a process boundary.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readToEnd, testServers, uniqueName } from '../../infra/kafka';
import { listeningPort, serve } from '../../support/serve';
import { tempDirs } from '../../support/temp';
import { testKafkaClient } from '../../support/clients';

const root = join(__dirname, '../../..');
const fixture = readFileSync(join(root, 'test/fixtures/callbacks/carrier-service-service-plan.xml'), 'utf8');
const REQUEST_ID = /<RequestId>[^<]*<\/RequestId>/;

async function untilReady(port: number): Promise<void> {
  for (let i = 0; i < 240; i++) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the bridge did not become ready');
}

describe('thingspace-bridge serve', () => {
  const { kafka, registry } = testServers();
  const dir = tempDirs('serve-test-')();

  /** `serve <args>` as a child process, without a config in the env. */
  async function serveArgs(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const env = { ...process.env };
    delete env.BRIDGE_CONFIG;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'serve', ...args],
      {
        cwd: root,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { code, stdout, stderr };
  }

  it('answers --help with its usage and exit 0, not a config error (issue 18)', async () => {
    const { code, stdout, stderr } = await serveArgs(['--help']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('Usage: thingspace-bridge serve [options]');
  });

  it('refuses an unknown flag and a stray argument with exit 2 instead of ignoring them (issue 18)', async () => {
    const file = join(dir, 'unused.yaml');
    writeFileSync(file, 'accounts: []\n');
    const flag = await serveArgs(['--config', file, '--port', '8080']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("error: unknown option '--port'");
    const stray = await serveArgs(['--config', file, 'now']);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('too many arguments');
  });

  it('refuses an invalid config before starting, listing every problem, with exit code 2', async () => {
    const file = join(dir, 'invalid.yaml');
    writeFileSync(file, 'http:\n  port: -1\naccounts:\n  - name: a\n    username: u\n    services: ["*"]\n');
    const child = serve(file, { stderr: 'pipe' });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('http.port');
    expect(stderr).toContain('accounts[0]');
  });

  it('on SIGTERM under load: finishes what it took, exits 0, and every 200 is in Kafka', async () => {
    const topics = {
      asyncResponses: uniqueName('serve-async'),
      externalChanges: uniqueName('serve-external'),
      deviceOriginated: uniqueName('serve-device'),
      deadLetter: uniqueName('serve-dead'),
    };
    const file = join(dir, 'bridge.json');
    writeFileSync(
      file,
      JSON.stringify({
        http: { port: 0, host: '127.0.0.1', shutdownGraceMs: 20_000 },
        accounts: [
          {
            name: '0000555123-00001',
            username: 'fixture-user',
            password: 's3cret-fixture-pw',
            services: ['*'],
          },
        ],
        kafka: {
          client: testKafkaClient(),
          topics,
          createTopics: true,
          newTopics: { numPartitions: 3, replicationFactor: 1 },
        },
        schemaRegistry: { registerSchemas: true },
      }),
    );
    const child = serve(file);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const port = await listeningPort(child);
    await untilReady(port);

    // 20 clients post callbacks with distinct RequestIds until the bridge is gone (connection refused).
    const answers = new Map<string, number | 'refused'>();
    let next = 0;
    const client = async () => {
      for (;;) {
        const requestId = `serve-test-${next++}`;
        const status = await fetch(`http://127.0.0.1:${port}/callbacks/CarrierService`, {
          method: 'POST',
          headers: { 'content-type': 'text/xml' },
          body: fixture.replace(REQUEST_ID, `<RequestId>${requestId}</RequestId>`),
        }).then(
          (r) => r.status,
          () => 'refused' as const,
        );
        answers.set(requestId, status);
        if (status === 'refused') return;
      }
    };
    const clients = Array.from({ length: 20 }, client);
    while ([...answers.values()].filter((s) => s === 200).length < 100)
      await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGTERM');
    await Promise.all(clients);
    expect(await exited).toBe(0);

    const acknowledged = [...answers].filter(([, s]) => s === 200).map(([id]) => id);
    const others = [...answers.values()].filter((s) => s !== 200);
    expect(others.every((s) => s === 503 || s === 'refused')).toBe(true);

    // Read the topic back to its end (the bridge has exited): every acknowledged RequestId must be there.
    const found = new Set<string>();
    for (const record of await readToEnd(kafka, [topics.asyncResponses])) {
      found.add(((await registry.decode(record.value!)) as { requestId: string }).requestId);
    }
    process.stdout.write(
      `serve SIGTERM test: ${answers.size} sent, ${acknowledged.length} acknowledged, ${others.length} refused ` +
        `(503 or connection refused), ${found.size} found in Kafka\n`,
    );
    expect(acknowledged.every((id) => found.has(id))).toBe(true);

    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(topics) });
    await admin.disconnect();
  }, 120_000);
});
