/**
 * `thingspace-bridge tail`'s arguments and config errors, before it connects anywhere (reading Kafka:
 * test/integration/cli/tail.test.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, toJsonLine } from '../../../src/cli/tail';

describe('thingspace-bridge tail: refusals', () => {
  let stderr: string;
  let write: jest.SpyInstance;
  const saved = { ...process.env };

  beforeEach(() => {
    stderr = '';
    write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr += String(chunk);
      return true;
    });
    for (const name of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'BRIDGE_CONFIG']) delete process.env[name];
  });
  afterEach(() => {
    write.mockRestore();
    process.env = { ...saved };
  });

  it.each([[['--count', 'x']], [['--idle-ms', '0']], [['--count', '-1']], [['--no-such-flag']]])(
    'exits 2 with the usage for %j',
    async (args) => {
      expect(await run(args)).toBe(2);
      expect(stderr).toContain('usage: thingspace-bridge tail [--config FILE]');
    },
  );

  it('exits 2 naming what is missing when neither a config nor the env says where Kafka is', async () => {
    expect(await run(['--count', '1'])).toBe(2);
    expect(stderr).toContain('kafka: required: give kafka.brokers or set KAFKA_BROKERS');
    expect(stderr).toContain('SCHEMA_REGISTRY_URL');
  });

  it("exits 2 on problems in the config file's Kafka side, like serve", async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tail-unit-')), 'bridge.yaml');
    writeFileSync(file, 'kafka:\n  brokers: [no-port]\nschemaRegistry:\n  url: ftp://registry\n');
    expect(await run(['--config', file])).toBe(2);
    expect(stderr).toContain('kafka.brokers[0]');
    expect(stderr).toContain('schemaRegistry.url');
  });
});

describe('toJsonLine', () => {
  it('writes Avro bytes as base64 at any depth, and longs as numbers', () => {
    const line = toJsonLine({
      topic: 't',
      partition: 0,
      offset: '1',
      key: 'k',
      value: { payload: { NiddMoData: { message: Buffer.from('Invented reading') } }, big: 12n },
    });
    expect(JSON.parse(line)).toEqual({
      topic: 't',
      partition: 0,
      offset: '1',
      key: 'k',
      value: { payload: { NiddMoData: { message: 'SW52ZW50ZWQgcmVhZGluZw==' } }, big: 12 },
    });
  });
});
