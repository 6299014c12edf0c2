import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { Partitioners } from 'kafkajs';
import { tail, toJsonLine, type TailedRecord } from '../../../src/cli/tail';
import { testServers, uniqueName } from '../../infra/kafka';
import { stderrLogger } from '../../support/clients';
import { post } from '../../support/http';
import { ACCOUNT, carrierCallback, closedPort, IngressHarness, mdnOf } from '../ingress/harness';

const root = join(__dirname, '../../..');
const HOUR = 3_600_000;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From start to exit. */
  ms: number;
}

/**
 * `thingspace-bridge tail <args>` as a child process; resolves with its exit code and output. `onStdout` sees the
 * output so far, and the child, at each chunk.
 */
function tailCommand(
  args: string[],
  env: NodeJS.ProcessEnv = cleanEnv(),
  onStdout?: (stdout: string, child: ReturnType<typeof spawn>) => void,
): Promise<Ran> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'tail', ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    onStdout?.(stdout, child);
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started })),
  );
}

/** The test process's environment without the variables that would point tail somewhere. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.KAFKA_BROKERS;
  delete env.SCHEMA_REGISTRY_URL;
  delete env.BRIDGE_CONFIG;
  return env;
}

const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as TailedRecord);

describe('thingspace-bridge tail', () => {
  const { kafka, registry, config, brokers, registryUrl } = testServers();
  const topic = uniqueName('tail');
  /** The other three topics of the command's config, empty. */
  const others = [uniqueName('tail-external'), uniqueName('tail-device'), uniqueName('tail-dead')];
  /** Two records tail cannot decode, then one it can. */
  const mixed = uniqueName('tail-mixed');
  const admin = kafka.admin();
  // The registry client's avsc knows no logical types unless given some: timestamps are epoch milliseconds.
  const at = Date.parse('2026-01-02T03:04:05.678Z');

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({
      topics: [topic, mixed, ...others].map((name) => ({ topic: name, numPartitions: 1 })),
      waitForLeaders: true,
    });
    const schema = {
      type: 'record',
      name: 'Tailed',
      namespace: 'thingspace.bridge.test',
      fields: [
        { name: 'eventId', type: 'string' },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
      ],
    };
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject: `${topic}-value` },
    );
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [
        // Written two hours and one hour ago, for --since.
        {
          key: 'mdn:5550000001',
          value: await registry.encode(id, { eventId: 'e-1', at }),
          timestamp: String(Date.now() - 2 * HOUR),
        },
        {
          key: 'mdn:5550000002',
          value: await registry.encode(id, { eventId: 'e-2', at }),
          timestamp: String(Date.now() - HOUR),
        },
      ],
    });
    await producer.send({
      topic: mixed,
      acks: -1,
      messages: [
        // Not in the Confluent wire format at all; then the right magic byte with a schema id nobody registered.
        { key: 'bad-1', value: Buffer.from('{"not":"avro"}') },
        { key: 'bad-2', value: Buffer.from([0, 0x7f, 0xff, 0xff, 0xfe, 2, 4]) },
        { key: 'good', value: await registry.encode(id, { eventId: 'e-3', at }) },
      ],
    });
    await producer.disconnect();
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic, mixed, ...others] });
    await admin.disconnect();
    await fetch(`${registryUrl}/subjects/${topic}-value`, { method: 'DELETE' });
  });

  it('prints records decoded with the registry, then stops at --count', async () => {
    const records: TailedRecord[] = [];
    const seen = await tail({
      config,
      logger: stderrLogger(),
      topics: [topic],
      fromBeginning: true,
      count: 2,
      onRecord: (r) => records.push(r),
    });

    expect(seen).toBe(2);
    expect(records.map((r) => [r.key, r.offset, r.value])).toEqual([
      ['mdn:5550000001', '0', { eventId: 'e-1', at }],
      ['mdn:5550000002', '1', { eventId: 'e-2', at }],
    ]);
    expect(records[0]!.timestamp).toBeLessThan(Date.now() - HOUR);
    expect(JSON.parse(toJsonLine(records[0]!))).toEqual({
      topic,
      partition: 0,
      offset: '0',
      timestamp: records[0]!.timestamp,
      key: 'mdn:5550000001',
      value: { eventId: 'e-1', at },
    });
  });

  it('as a command, reads the bridge’s config: brokers, registry and, without --topic, its topics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tail-test-'));
    const file = join(dir, 'bridge.yaml');
    // A bridge's whole config; tail reads its kafka, schemaRegistry and log sections only (the account's password
    // file does not exist here, and need not).
    const [externalChanges, deviceOriginated, deadLetter] = others;
    writeFileSync(
      file,
      JSON.stringify({
        accounts: [{ name: 'a', username: 'u', passwordFile: '/nowhere', services: ['*'] }],
        kafka: { brokers, topics: { asyncResponses: topic, externalChanges, deviceOriginated, deadLetter } },
        schemaRegistry: { url: registryUrl },
        log: { level: 'warn' },
      }),
    );
    const { code, stdout, stderr } = await tailCommand([
      '--config',
      file,
      '--from-beginning',
      '--count',
      '2',
    ]);

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = jsonLines(stdout);
    expect(lines.map((r) => [r.topic, r.key, r.value])).toEqual([
      [topic, 'mdn:5550000001', { eventId: 'e-1', at }],
      [topic, 'mdn:5550000002', { eventId: 'e-2', at }],
    ]);
  });

  it('as a command, says what is missing and exits 2 without a config or the env', async () => {
    const { code, stderr } = await tailCommand(['--count', '1']);
    expect(code).toBe(2);
    expect(stderr).toContain('KAFKA_BROKERS');
    expect(stderr).toContain('SCHEMA_REGISTRY_URL');
  });

  it('--since starts at the first record at or after the time', async () => {
    const ran = await tailCommand([
      ...['--brokers', brokers.join(','), '--registry', registryUrl],
      ...['--topic', topic, '--since', '90m', '--count', '1', '--idle-ms', '15000'],
    ]);

    expect(ran.code).toBe(0);
    expect(jsonLines(ran.stdout).map((r) => r.value)).toEqual([{ eventId: 'e-2', at }]);
  });

  it('reports a record it cannot decode on stderr and goes on with the next', async () => {
    const ran = await tailCommand([
      ...['--brokers', brokers.join(','), '--registry', registryUrl],
      ...['--topic', mixed, '--from-beginning', '--count', '1'],
    ]);

    expect(ran.code).toBe(0);
    expect(jsonLines(ran.stdout).map((r) => [r.key, r.value])).toEqual([['good', { eventId: 'e-3', at }]]);
    const skipped = ran.stderr.split('\n').filter((line) => line.includes('skipped'));
    expect(skipped).toEqual([
      expect.stringMatching(new RegExp(`^thingspace-bridge tail: skipped ${mixed}/0@0: .+`)),
      expect.stringMatching(new RegExp(`^thingspace-bridge tail: skipped ${mixed}/0@1: .+`)),
    ]);
  });

  it('fails fast, exit 1, naming the registry when it cannot be reached', async () => {
    const port = await closedPort();
    const ran = await tailCommand([
      ...['--brokers', brokers.join(','), '--registry', `http://127.0.0.1:${port}`],
      ...['--topic', topic, '--from-beginning'],
    ]);

    expect({ code: ran.code, stdout: ran.stdout }).toEqual({ code: 1, stdout: '' });
    expect(ran.stderr).toContain(
      `thingspace-bridge tail: cannot use the schema registry: GET http://127.0.0.1:${port}/config: no answer (connection refused)`,
    );
    expect(ran.ms).toBeLessThan(15_000);
  });

  it('fails fast, exit 1, naming the brokers when Kafka cannot be reached', async () => {
    const port = await closedPort();
    const ran = await tailCommand([
      ...['--brokers', `127.0.0.1:${port}`, '--registry', registryUrl],
      ...['--topic', topic, '--from-beginning'],
    ]);

    expect({ code: ran.code, stdout: ran.stdout }).toEqual({ code: 1, stdout: '' });
    // The cause in words, as /readyz says it.
    expect(ran.stderr).toContain(
      `thingspace-bridge tail: cannot reach Kafka at 127.0.0.1:${port}: connection refused by 127.0.0.1:${port}`,
    );
    expect(ran.ms).toBeLessThan(15_000);
  });

  it('fails, exit 1, on a topic that does not exist, and does not create it', async () => {
    const missing = uniqueName('tail-missing');
    const ran = await tailCommand([
      ...['--brokers', brokers.join(','), '--registry', registryUrl],
      ...['--topic', missing, '--from-beginning'],
    ]);

    expect({ code: ran.code, stdout: ran.stdout }).toEqual({ code: 1, stdout: '' });
    expect(ran.stderr).toContain(`thingspace-bridge tail: cannot read ${missing}: `);
    expect(ran.ms).toBeLessThan(15_000);
    expect(await admin.listTopics()).not.toContain(missing);
  });

  it('exits 0 on SIGINT (Ctrl-C) while waiting for records', async () => {
    let interrupted = false;
    const ran = await tailCommand(
      ['--brokers', brokers.join(','), '--registry', registryUrl, '--topic', topic, '--from-beginning'],
      cleanEnv(),
      (stdout, child) => {
        // Both records are printed: it is now waiting for more.
        if (!interrupted && stdout.split('\n').length > 2) {
          interrupted = true;
          child.kill('SIGINT');
        }
      },
    );

    expect(interrupted).toBe(true);
    expect(ran.code).toBe(0);
    expect(jsonLines(ran.stdout)).toHaveLength(2);
  });
});

describe('thingspace-bridge tail, on what the bridge published', () => {
  const harness = new IngressHarness();
  afterAll(() => harness.cleanup());

  it('--output json with filters prints only the matching events, one JSON object per line', async () => {
    const running = await harness.startBridge();
    for (const device of [1, 2, 3]) {
      const answer = await post(running.port, '/callbacks/CarrierService', carrierCallback(device, device));
      expect(answer.status).toBe(200);
    }
    const { brokers, registryUrl } = harness.servers;

    // Until 10 s without a match: every record of the topics is read by then, and only one may come out.
    const ran = await tailCommand([
      ...['--brokers', brokers.join(','), '--registry', registryUrl],
      ...['--topic', running.topics['async-response'], '--topic', running.topics['external-change']],
      ...['--from-beginning', '--idle-ms', '10000', '--output', 'json'],
      ...['--device', `mdn:${mdnOf(2)}`, '--service', 'carrierservice', '--account', ACCOUNT],
    ]);

    expect(ran.code).toBe(0);
    const lines = jsonLines(ran.stdout);
    expect(ran.stdout.trim().split('\n')).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      topic: running.topics['async-response'],
      value: {
        service: 'CarrierService',
        accountName: ACCOUNT,
        devices: [{ kind: 'mdn', identifier: mdnOf(2) }],
      },
    });
  });
});
