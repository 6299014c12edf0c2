import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { Partitioners } from 'kafkajs';
import { tail, toJsonLine, type TailedRecord } from '../../../src/cli/tail';
import { testServers, uniqueName } from '../../infra/kafka';
import { stderrLogger } from '../../support/clients';

const root = join(__dirname, '../../..');

/** `thingspace-bridge tail <args>` as a child process; resolves with its exit code and output. */
function tailCommand(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'tail', ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('thingspace-bridge tail', () => {
  const { kafka, registry, config, brokers, registryUrl } = testServers();
  const topic = uniqueName('tail');
  /** The other three topics of the command's config, empty. */
  const others = [uniqueName('tail-external'), uniqueName('tail-device'), uniqueName('tail-dead')];
  const admin = kafka.admin();
  // The registry client's avsc knows no logical types unless given some: timestamps are epoch milliseconds.
  const at = Date.parse('2026-01-02T03:04:05.678Z');

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({
      topics: [topic, ...others].map((name) => ({ topic: name, numPartitions: 1 })),
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
        { key: 'mdn:5550000001', value: await registry.encode(id, { eventId: 'e-1', at }) },
        { key: 'mdn:5550000002', value: await registry.encode(id, { eventId: 'e-2', at }) },
      ],
    });
    await producer.disconnect();
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic, ...others] });
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
    expect(JSON.parse(toJsonLine(records[0]!))).toEqual({
      topic,
      partition: 0,
      offset: '0',
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
    const env = { ...process.env };
    delete env.KAFKA_BROKERS;
    delete env.SCHEMA_REGISTRY_URL;
    delete env.BRIDGE_CONFIG;

    const { code, stdout, stderr } = await tailCommand(
      ['--config', file, '--from-beginning', '--count', '2'],
      env,
    );

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as TailedRecord);
    expect(lines.map((r) => [r.topic, r.key, r.value])).toEqual([
      [topic, 'mdn:5550000001', { eventId: 'e-1', at }],
      [topic, 'mdn:5550000002', { eventId: 'e-2', at }],
    ]);
  });

  it('as a command, says what is missing and exits 2 without a config or the env', async () => {
    const env = { ...process.env };
    delete env.KAFKA_BROKERS;
    delete env.SCHEMA_REGISTRY_URL;
    delete env.BRIDGE_CONFIG;
    const { code, stderr } = await tailCommand(['--count', '1'], env);
    expect(code).toBe(2);
    expect(stderr).toContain('KAFKA_BROKERS');
    expect(stderr).toContain('SCHEMA_REGISTRY_URL');
  });
});
