import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config';
import { PASSWORD, scratch, thrown } from './helpers';

const yaml = `# comments are fine
accounts:
  - name: '0000123456-00001'
    username: acme-user
    passwordFile: secrets/acme.password
    services: ['*']
kafka:
  brokers: [kafka-1:9092]
schemaRegistry:
  url: http://registry:8081
`;

const json = JSON.stringify({
  accounts: [{ name: 'acme', username: 'acme-user', passwordEnv: 'ACME_PASSWORD', services: ['*'] }],
  kafka: { brokers: ['kafka-1:9092'] },
  schemaRegistry: { url: 'http://registry:8081' },
});

describe('loadConfig', () => {
  const files = scratch({
    'bridge.yaml': yaml,
    'bridge.json': json,
    'json-in.yml': json,
    'empty.yaml': '',
    'broken.yaml': `accounts:\n  - password: "${PASSWORD}\n    name: [\n`,
    'duplicate.yaml': `log: { level: info }\nlog: { level: debug }\n`,
    'broken.json': `{ "accounts": [{ "password": ${PASSWORD} }] }`,
    'list.yaml': '- a\n- b\n',
  });
  mkdirSync(join(files.dir, 'secrets'));
  writeFileSync(join(files.dir, 'secrets', 'acme.password'), `${PASSWORD}\n`);
  afterAll(files.cleanup);

  const env = { ACME_PASSWORD: PASSWORD };

  it('reads YAML named by --config, with secrets relative to the file', () => {
    const { config, warnings, file } = loadConfig({ argv: ['--config', 'bridge.yaml'], env, cwd: files.dir });
    expect(file).toBe(join(files.dir, 'bridge.yaml'));
    expect(config.accounts[0]?.name).toBe('0000123456-00001');
    expect(config.accounts[0]?.password?.reveal()).toBe(PASSWORD);
    expect(warnings).toEqual([expect.stringContaining('http.allowedSources is empty')]);
  });

  it('reads JSON by extension, and JSON in a YAML file', () => {
    for (const name of ['bridge.json', 'json-in.yml']) {
      const { config } = loadConfig({ argv: [`--config=${join(files.dir, name)}`], env, cwd: '/' });
      expect(config.accounts[0]?.password?.reveal()).toBe(PASSWORD);
    }
  });

  it('takes the file from BRIDGE_CONFIG when --config is absent, and --config (or -c) first', () => {
    const fromEnv = loadConfig({ env: { ...env, BRIDGE_CONFIG: 'bridge.json' }, cwd: files.dir });
    expect(fromEnv.file).toBe(join(files.dir, 'bridge.json'));
    const fromArgv = loadConfig({
      argv: ['-c', 'bridge.yaml'],
      env: { ...env, BRIDGE_CONFIG: 'bridge.json' },
      cwd: files.dir,
    });
    expect(fromArgv.file).toBe(join(files.dir, 'bridge.yaml'));
  });

  it('applies the env overrides on top of the file', () => {
    const { config } = loadConfig({
      argv: ['serve', '--config', 'bridge.yaml'],
      env: { KAFKA_BROKERS: 'other:9092', BRIDGE_PORT: '9005' },
      cwd: files.dir,
    });
    expect(config.kafka.brokers).toEqual(['other:9092']);
    expect(config.http.port).toBe(9005);
  });

  it('says how to name a file when none is named', () => {
    expect(thrown(() => loadConfig({ env: {}, cwd: files.dir })).message).toContain(
      'no config file: pass --config <path> or set BRIDGE_CONFIG',
    );
    expect(thrown(() => loadConfig({ argv: ['--config'], env: {}, cwd: files.dir })).issues).toEqual([
      { path: '--config', message: 'expects a file path' },
    ]);
  });

  it('names the missing file and who named it', () => {
    expect(thrown(() => loadConfig({ env: { BRIDGE_CONFIG: 'nope.yaml' }, cwd: files.dir })).issues).toEqual([
      { path: 'BRIDGE_CONFIG', message: `cannot read ${join(files.dir, 'nope.yaml')} (ENOENT)` },
    ]);
  });

  it('reports syntax errors by position, never quoting the text', () => {
    const yamlError = thrown(() => loadConfig({ argv: ['-c', 'broken.yaml'], env, cwd: files.dir }));
    expect(yamlError.issues[0]?.path).toMatch(/broken\.yaml:\d+:\d+$/);
    expect(yamlError.issues[0]?.message).toMatch(/^not valid YAML \([A-Z_]+\)$/);
    const jsonError = thrown(() => loadConfig({ argv: ['-c', 'broken.json'], env, cwd: files.dir }));
    // V8 quotes the text here and gives no position: the file alone is named.
    expect(jsonError.issues).toEqual([{ path: join(files.dir, 'broken.json'), message: 'not valid JSON' }]);
    for (const error of [yamlError, jsonError]) expect(error.message).not.toContain(PASSWORD);
  });

  it('keeps the position of a JSON error when V8 gives one', () => {
    const files2 = scratch({ 'truncated.json': '{ "log": { "level": "info" }' });
    try {
      const error = thrown(() => loadConfig({ argv: ['-c', 'truncated.json'], env, cwd: files2.dir }));
      expect(error.issues).toEqual([
        { path: `${join(files2.dir, 'truncated.json')}:1:29`, message: 'not valid JSON' },
      ]);
    } finally {
      files2.cleanup();
    }
  });

  it('refuses duplicate keys, an empty file and a top level that is not a mapping', () => {
    expect(thrown(() => loadConfig({ argv: ['-c', 'duplicate.yaml'], env, cwd: files.dir })).issues).toEqual([
      { path: `${join(files.dir, 'duplicate.yaml')}:2:1`, message: 'not valid YAML (DUPLICATE_KEY)' },
    ]);
    expect(thrown(() => loadConfig({ argv: ['-c', 'empty.yaml'], env, cwd: files.dir })).issues).toEqual([
      { path: join(files.dir, 'empty.yaml'), message: 'holds no settings' },
    ]);
    expect(thrown(() => loadConfig({ argv: ['-c', 'list.yaml'], env, cwd: files.dir })).message).toContain(
      'expected a mapping, got a list',
    );
  });
});
