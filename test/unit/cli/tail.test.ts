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

  it.each<[string[], string]>([
    [['--count', 'x'], "option '--count <n>' argument 'x' is invalid. expects a positive integer."],
    [['--idle-ms', '0'], "argument '0' is invalid"],
    [['--count', '-1'], "argument '-1' is invalid"],
    [['--no-such-flag'], "unknown option '--no-such-flag'"],
    [['--form-beginning'], '(Did you mean --from-beginning?)'],
    [['stray'], 'too many arguments'],
    [['--output', 'xml'], 'Allowed choices are json, pretty'],
    [['--from-beginning', '--since', '10m'], "option '--from-beginning' cannot be used with option '--since"],
    [['--since', 'yesterday'], "--since: 'yesterday' is not an ISO 8601 date or time with a zone"],
    [['--since', '2026-12-06T10:00'], "--since: '2026-12-06T10:00' is not"],
    [['--service', 'NoSuchService'], "--service: 'NoSuchService' is not a callback service"],
  ])('exits 2 with a hint for %j, before connecting anywhere', async (args, problem) => {
    expect(await run(args)).toBe(2);
    expect(stderr).toContain(problem);
    expect(stderr).toContain("run 'thingspace-bridge tail --help' for usage");
  });

  it('answers --help and --version with exit 0 on stdout', async () => {
    let stdout = '';
    const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    try {
      expect(await run(['--help'])).toBe(0);
      expect(stdout).toContain('Usage: thingspace-bridge tail [options]');
      for (const flag of [
        '--brokers',
        '--registry',
        '--topic',
        '--since',
        '--device',
        '--status',
        '--output',
      ])
        expect(stdout).toContain(flag);
      stdout = '';
      expect(await run(['--version'])).toBe(0);
      expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    } finally {
      out.mockRestore();
    }
    expect(stderr).toBe('');
  });

  it('takes --brokers and --registry over KAFKA_BROKERS and SCHEMA_REGISTRY_URL: a bad flag is what fails', async () => {
    process.env.KAFKA_BROKERS = 'kafka:9092';
    process.env.SCHEMA_REGISTRY_URL = 'http://registry:8081';
    expect(await run(['--brokers', 'no-port', '--registry', 'ftp://registry'])).toBe(2);
    expect(stderr).toContain('kafka.brokers[0]');
    expect(stderr).toContain('schemaRegistry.url');
  });

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
      timestamp: 5,
      value: { payload: { NiddMoData: { message: Buffer.from('Invented reading') } }, big: 12n },
    });
    expect(JSON.parse(line)).toEqual({
      topic: 't',
      partition: 0,
      offset: '1',
      key: 'k',
      timestamp: 5,
      value: { payload: { NiddMoData: { message: 'SW52ZW50ZWQgcmVhZGluZw==' } }, big: 12 },
    });
  });
});
