/**
 * docker-compose.yml, checked without a Docker engine (CI has none): the file parsed as compose reads it (YAML
 * merge keys, `${VAR:-default}` interpolation), then its images, ports, environment, healthchecks and depends_on
 * conditions held against each other, against the Dockerfile and the local stack, the bridge config it
 * mounts read by the bridge's own validation with the environment compose gives it, and the CLI commands its
 * bridge-image services run held against the commands the CLI has.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseConfig, parseDedupeConfig } from '../../../src/config';
import * as callbacks from '../../../src/cli/callbacks';
import { main } from '../../../src/cli/main';
import { APICURIO_VERSION, DEFAULT_KAFKA_VERSION } from '../../infra/stack/stack';

const ROOT = join(__dirname, '..', '..', '..');

interface Healthcheck {
  test: string[];
  interval: string;
  timeout: string;
  retries: number;
  start_period?: string;
}

interface Service {
  image: string;
  build?: string;
  profiles?: string[];
  ports?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: Healthcheck;
  /** A list, or a string compose splits into words as a shell would (without running one). */
  command?: string[] | string;
  entrypoint?: string[] | string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  stop_grace_period?: string;
  restart?: string;
}

/** Compose's interpolation of `${VAR:-default}` / `${VAR}` (from `env`) and `$$` (a literal `$`). */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{(\w+)(?::-([^}]*))?\}/g, (match, name?: string, fallback?: string) => {
    if (match === '$$') return '$';
    const value = env[name!];
    return value !== undefined && value !== '' ? value : (fallback ?? '');
  });
}

const source = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const compose = parseYaml(interpolate(source, {}), { merge: true }) as {
  name: string;
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;
const service = (name: string): Service => {
  const found = services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
};

const BRIDGE_IMAGE = 'thingspace-kafka-bridge:dev';
const BRIDGE_SERVICES = ['bridge', 'events', 'simulator', 'register', 'dedupe'];

function seconds(duration: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(duration);
  if (!match) throw new Error(`not a duration: ${duration}`);
  return (Number(match[1]) / (match[2] === 'ms' ? 1000 : 1)) * (match[2] === 'm' ? 60 : 1);
}

describe('docker-compose.yml', () => {
  it('has the stack, the bridge, its event printer and, in their profiles, the simulator and the dedupe node', () => {
    expect(compose.name).toBe('thingspace-kafka-bridge');
    const byProfile = (profile?: string) =>
      Object.keys(services)
        .filter((name) => {
          const profiles = services[name]!.profiles;
          return profile === undefined ? profiles === undefined : (profiles ?? []).includes(profile);
        })
        .sort();
    expect(byProfile()).toEqual(['bridge', 'events', 'kafka', 'schema-registry']);
    expect(byProfile('simulator')).toEqual(['register', 'simulator']);
    expect(byProfile('dedupe')).toEqual(['dedupe']);
  });

  it('runs Kafka from the official image, single-node KRaft, at the local stack version', () => {
    const kafka = service('kafka');
    expect(kafka.image).toBe(`apache/kafka:${DEFAULT_KAFKA_VERSION}`);
    const env = kafka.environment!;
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`${env.KAFKA_NODE_ID}@kafka:9093`);
    expect(Object.keys(env).some((key) => key.includes('ZOOKEEPER'))).toBe(false);
    for (const key of [
      'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR',
      'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR',
      'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR',
    ]) {
      expect(env[key]).toBe(1);
    }
    // The in-network listener the containers use is the one advertised under the kafka host name.
    expect(String(env.KAFKA_ADVERTISED_LISTENERS).split(',')).toContain('PLAINTEXT://kafka:29092');
    expect(String(env.KAFKA_ADVERTISED_LISTENERS).split(',')).toContain('HOST://127.0.0.1:9092');
  });

  it('runs a Confluent-compatible registry (Apicurio, ccompat API) at the local stack version', () => {
    const registry = service('schema-registry');
    expect(registry.image).toBe(`apicurio/apicurio-registry:${APICURIO_VERSION}`);
    expect(registry.environment).toMatchObject({
      APICURIO_STORAGE_KIND: 'kafkasql',
      APICURIO_KAFKASQL_BOOTSTRAP_SERVERS: 'kafka:29092',
    });
  });

  it('pins every image (no latest) and builds the bridge image from the Dockerfile', () => {
    for (const [name, svc] of Object.entries(services)) {
      expect(svc.image).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(svc.image.endsWith(':latest')).toBe(false);
      if (BRIDGE_SERVICES.includes(name)) {
        expect(svc.image).toBe(BRIDGE_IMAGE);
        expect(svc.build).toBe('.');
      } else {
        expect(svc.build).toBeUndefined();
      }
    }
    expect(existsSync(join(ROOT, 'Dockerfile'))).toBe(true);
  });

  it('publishes ports on 127.0.0.1 only', () => {
    const published = Object.fromEntries(
      Object.entries(services)
        .filter(([, svc]) => svc.ports)
        .map(([name, svc]) => [name, svc.ports]),
    );
    expect(published).toEqual({
      kafka: ['127.0.0.1:9092:9092'],
      'schema-registry': ['127.0.0.1:8081:8080'],
      bridge: ['127.0.0.1:8080:8080'],
      dedupe: ['127.0.0.1:8090:8080'],
    });
  });

  it('gives every long-running server a healthcheck and starts each after what it needs is healthy', () => {
    for (const name of ['kafka', 'schema-registry', 'bridge', 'simulator', 'dedupe']) {
      const check = service(name).healthcheck!;
      expect(check.test[0]).toMatch(/^CMD(-SHELL)?$/);
      expect(check.retries).toBeGreaterThan(0);
      expect(seconds(check.interval)).toBeGreaterThan(0);
      expect(seconds(check.timeout)).toBeGreaterThan(0);
    }
    const needs = Object.fromEntries(
      Object.entries(services).map(([name, svc]) => [
        name,
        Object.entries(svc.depends_on ?? {}).map(([on, { condition }]) => `${on}:${condition}`),
      ]),
    );
    expect(needs).toEqual({
      kafka: [],
      'schema-registry': ['kafka:service_healthy'],
      bridge: ['kafka:service_healthy', 'schema-registry:service_healthy'],
      events: ['bridge:service_healthy'],
      simulator: [],
      register: ['bridge:service_healthy', 'simulator:service_healthy'],
      // The bridge creates the category topics the dedupe node reads.
      dedupe: ['bridge:service_healthy'],
    });
    // A dependency is on a service with a healthcheck, in the same or the default profile.
    for (const svc of Object.values(services)) {
      for (const on of Object.keys(svc.depends_on ?? {})) expect(service(on).healthcheck).toBeDefined();
    }
  });

  it("checks the bridge's readiness the way the image does", () => {
    const image = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const test = service('bridge').healthcheck!.test;
    expect(test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(test[3]).toContain("fetch('http://127.0.0.1:8080/readyz')");
    expect(image).toContain('/readyz`).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))');
  });

  it('runs the bridge containers as the chart does: read-only, no capabilities, no new privileges', () => {
    for (const name of BRIDGE_SERVICES) {
      const svc = service(name);
      expect(svc.read_only).toBe(true);
      expect(svc.cap_drop).toEqual(['ALL']);
      expect(svc.security_opt).toEqual(['no-new-privileges:true']);
    }
  });

  it('lets the bridge drain on `docker compose stop`: stop_grace_period above http.shutdownGraceMs', () => {
    const { config } = loadComposeConfig();
    expect(seconds(service('bridge').stop_grace_period!)).toBeGreaterThan(config.http.shutdownGraceMs / 1000);
  });

  it('points the bridge at Kafka and the registry inside the compose network', () => {
    const env = service('bridge').environment!;
    expect(env.KAFKA_BROKERS).toBe('kafka:29092');
    const registry = new URL(String(env.SCHEMA_REGISTRY_URL));
    const registryPort = service('schema-registry').ports![0]!.split(':').at(-1);
    expect(`${registry.hostname}:${registry.port}${registry.pathname}`).toBe(
      `schema-registry:${registryPort}/apis/ccompat/v7`,
    );
    for (const name of BRIDGE_SERVICES) {
      // The dedupe node's own instance id aside (its profile's tests).
      const common = { ...service(name).environment! };
      delete common.DEDUPE_INSTANCE_ID;
      expect(common).toEqual(env);
    }
  });

  it('mounts an example config where the image looks for it, one the bridge accepts', () => {
    const [hostPath, target, mode] = service('bridge').volumes![0]!.split(':');
    expect(existsSync(join(ROOT, hostPath!))).toBe(true);
    expect(mode).toBe('ro');
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toContain(`ENV BRIDGE_CONFIG=${target}`);
    // `callbacks sync` and `tail` read the bridge's config too (BRIDGE_CONFIG is the image's, for every command).
    expect(service('register').volumes).toEqual(service('bridge').volumes);
    expect(service('events').volumes).toEqual(service('bridge').volumes);

    const { config, warnings } = loadComposeConfig();
    expect(warnings.filter((warning) => !/publicBaseUrl|port/.test(warning))).toEqual([]);
    expect(config.kafka.brokers).toEqual(['kafka:29092']);
    expect(config.kafka.createTopics).toBe(true);
    expect(config.schemaRegistry.registerSchemas).toBe(true);
    expect(config.http.port).toBe(8080);
    expect(service('bridge').ports).toEqual([`127.0.0.1:${config.http.port}:${config.http.port}`]);
  });

  it("accepts the sample callbacks' credentials, so a curl of a fixture is acknowledged", () => {
    const { config } = loadComposeConfig();
    const fixture = readFileSync(join(ROOT, 'test', 'fixtures', 'callbacks', 'alert-service.xml'), 'utf8');
    const username = /<Username>([^<]*)<\/Username>/.exec(fixture)![1];
    const password = /<Password>([^<]*)<\/Password>/.exec(fixture)![1];
    expect(config.accounts).toHaveLength(1);
    expect(config.accounts[0]!.username).toBe(username);
    expect(config.accounts[0]!.password!.reveal()).toBe(password);
  });

  it('allows callbacks from the compose network and the host (Docker address pools), nothing public', () => {
    const { config } = loadComposeConfig();
    const allowed = config.http.allowedSources.map((cidr) => `${cidr.address}/${cidr.prefix}`);
    expect(allowed).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.1/32']);
  });

  describe('dedupe profile', () => {
    const dedupe = service('dedupe');
    /** examples/compose-bridge.yaml as `thingspace-bridge dedupe` reads it, with the dedupe service's environment. */
    const loadDedupe = () => {
      const hostPath = dedupe.volumes![0]!.split(':')[0]!;
      const env = Object.fromEntries(
        Object.entries(dedupe.environment!).map(([key, value]) => [key, String(value)]),
      );
      return parseDedupeConfig(parseYaml(readFileSync(join(ROOT, hostPath), 'utf8')), env).config;
    };

    it("runs `thingspace-bridge dedupe` with the bridge's config and environment, a fixed instance id", () => {
      expect(cliArguments(dedupe)).toEqual(['dedupe']);
      expect(dedupe.volumes![0]).toBe(service('bridge').volumes![0]);
      const { DEDUPE_INSTANCE_ID, ...env } = dedupe.environment!;
      expect(env).toEqual(service('bridge').environment);
      // Recreating the container must not change it: a new id would not fence the old one's transaction.
      expect(loadDedupe().dedupe.instanceId).toBe(DEDUPE_INSTANCE_ID);
    });

    it('keeps its state on a named volume at dedupe.stateDir, which the image makes writable for its user', () => {
      const { stateDir } = loadDedupe().dedupe;
      expect(stateDir).toBe('/var/lib/thingspace-bridge/dedupe');
      const [volume, target] = dedupe.volumes![1]!.split(':');
      expect(target).toBe(stateDir);
      expect(Object.keys(compose.volumes ?? {})).toContain(volume);
      expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toMatch(
        new RegExp(`chown 1000:1000 .*${stateDir!.replaceAll('/', '\\/')}`),
      );
    });

    it('publishes its port (/metrics, /readyz) on 127.0.0.1 and checks its readiness there', () => {
      const { port } = loadDedupe().dedupe;
      expect(dedupe.ports).toEqual([`127.0.0.1:8090:${port}`]);
      expect(dedupe.healthcheck!.test[3]).toContain(`fetch('http://127.0.0.1:${port}/readyz')`);
    });
  });

  describe('simulator profile', () => {
    it('runs `thingspace-bridge simulate` on the port the config names, with the fixtures as samples', () => {
      const simulator = service('simulator');
      const command = simulator.command as string[];
      expect(command[0]).toBe('simulate');
      const options = (name: string) =>
        command.filter((arg) => arg.startsWith(`${name}=`)).map((arg) => arg.slice(name.length + 1));
      const option = (name: string) => options(name)[0];
      const { config } = loadComposeConfig();
      const api = new URL(config.thingspace!.url!);
      expect(`${api.hostname}:${api.port}${api.pathname}`).toBe(`simulator:${option('--port')}/api/v2`);
      expect(option('--host')).toBe('0.0.0.0');
      expect(option('--user')).toBe(config.thingspace!.username);
      expect(simulator.environment![option('--password-env')!]).toBeDefined();
      expect(config.thingspace!.password.reveal()).toBe(simulator.environment![option('--password-env')!]);
      expect(simulator.volumes).toEqual(
        options('--templates').map((dir) => `./${dir.replace('/app/', '')}:${dir}:ro`),
      );
      expect(options('--templates')).toEqual(['/app/test/fixtures/callbacks', '/app/test/fixtures/rest']);
      for (const dir of options('--templates'))
        expect(existsSync(join(ROOT, dir.replace('/app/', '')))).toBe(true);
      // SOAP unless SIMULATOR_API says otherwise (interpolated as compose does); REST's app secret from the env.
      expect(option('--api')).toBe('soap');
      expect(simulator.environment![option('--app-secret-env')!]).toBeDefined();
      expect(simulator.healthcheck!.test.join(' ')).toContain(`connect(${option('--port')},`);
    });

    it('registers the bridge with `callbacks sync` at the address the simulator reaches it', () => {
      const register = service('register');
      // The image's entrypoint runs the CLI; sync exits 0 whether or not it changed something.
      expect(register.entrypoint).toBeUndefined();
      expect(register.command).toEqual(['callbacks', 'sync', '--allow-http', '--allow-any-port']);
      const { config } = loadComposeConfig();
      expect(config.http.publicBaseUrl).toBe(`http://bridge:${config.http.port}`);
    });
  });

  it('runs only commands the CLI has, in every service of the bridge image', async () => {
    const help = await printed(() => main(['--help']));
    const commands = [...help.slice(help.indexOf('\nCommands:\n')).matchAll(/^ {2}([a-z][\w-]*)/gm)].map(
      (match) => match[1]!,
    );
    expect(commands).toContain('callbacks');
    const callbacksCommands = [
      ...(await printed(() => callbacks.run(['--help']))).matchAll(/^ {2}([a-z][\w-]*)/gm),
    ].map((match) => match[1]!);
    const runs = Object.entries(services)
      .filter(([, svc]) => svc.image === BRIDGE_IMAGE)
      .map(([name, svc]) => ({ name, args: cliArguments(svc) }));
    // Every bridge-image service runs the CLI in a form read here: otherwise its command would go unchecked.
    expect(runs.filter(({ args }) => args === undefined).map(({ name }) => name)).toEqual([]);
    const unknown = runs.flatMap(({ name, args }) => {
      const [command, subcommand] = args ?? [];
      if (command === undefined || !commands.includes(command)) return [`${name}: ${String(command)}`];
      // `callbacks` has commands of its own, listed by its --help.
      if (command === 'callbacks' && !callbacksCommands.includes(subcommand ?? '')) {
        return [`${name}: callbacks ${String(subcommand)}`];
      }
      return [];
    });
    expect(unknown).toEqual([]);
  });
});

/** examples/compose-bridge.yaml as the bridge reads it, with the environment compose gives the bridge. */
function loadComposeConfig() {
  const bridge = service('bridge');
  const hostPath = bridge.volumes![0]!.split(':')[0]!;
  const env = Object.fromEntries(
    Object.entries(bridge.environment!).map(([key, value]) => [key, String(value)]),
  );
  return parseConfig(parseYaml(readFileSync(join(ROOT, hostPath), 'utf8')), env);
}

/** What the final stage of the Dockerfile runs: its exec-form ENTRYPOINT and CMD (a HEALTHCHECK's CMD is indented). */
function imageDefaults(): { entrypoint: string[]; cmd: string[] } {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const last = (keyword: string) => {
    const found = [...text.matchAll(new RegExp(`^${keyword}\\s+(\\[.*\\])\\s*$`, 'gm'))].at(-1);
    if (!found) throw new Error(`the Dockerfile has no exec-form ${keyword}`);
    return JSON.parse(found[1]!) as string[];
  };
  return { entrypoint: last('ENTRYPOINT'), cmd: last('CMD') };
}

/**
 * The arguments a bridge-image service gives the CLI, as compose runs it: its entrypoint (or the image's)
 * followed by its command (or, without an entrypoint of its own, the image's CMD). The CLI is the script the
 * image's ENTRYPOINT runs (or `thingspace-bridge`, its npm bin name). Only the exec (list) form is read: a shell
 * string gives none, which the test above refuses.
 */
function cliArguments(svc: Service): string[] | undefined {
  const image = imageDefaults();
  const cli = image.entrypoint.at(-1)!;
  const list = (value: string[] | string | undefined) => (typeof value === 'string' ? [] : value);
  const [entrypoint, command] = [list(svc.entrypoint), list(svc.command)];
  const argv = entrypoint
    ? [...entrypoint, ...(command ?? [])]
    : [...image.entrypoint, ...(command ?? image.cmd)];
  const at = argv.findIndex((word) => word === cli || word === 'thingspace-bridge');
  return at >= 0 ? argv.slice(at + 1) : undefined;
}

/** What an action writes to stdout (the CLI's --help output). */
async function printed(action: () => Promise<unknown>): Promise<string> {
  const out: string[] = [];
  const write = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk) => out.push(String(chunk)) > 0);
  try {
    await action();
  } finally {
    write.mockRestore();
  }
  return out.join('');
}
