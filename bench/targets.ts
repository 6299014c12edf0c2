/**
 * The three servers `npm run bench` measures, each a child process of its own, started the same way: spawn, wait
 * for its `{"msg":"listening","port":N}` line (the bridge's pino line has the port under `listeners`), wait until
 * it answers (the bridge: until /readyz says ready, i.e. Kafka and the registry are reached).
 *
 *   bare       the ceiling: node:http reading the body and answering 200
 *   afternoon  the straightforward bridge: DOM parse, JSON.stringify, one producer.send per request, acks=all
 *   bridge     this project, production build (dist/), production log level (info), NODE_ENV=production, with
 *              the Kafka client `kafka.client` defaults to
 *   bridge-kafkajs, bridge-platformatic  the same bridge with that Kafka client (the client decision's comparison)
 *   bridge-rest  the same bridge, sent the REST (JSON) corpus instead of the SOAP one
 *   bridge-tracing  the same bridge with tracing on, every callback sampled, spans exported to a loopback sink
 *   bridge-baseline  the bridge built at another commit (BENCH_BASELINE, bench/baseline.ts): before and after
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { KafkaConfig } from '../src/config';

export type TargetName =
  | 'bare'
  | 'afternoon'
  | 'bridge'
  | 'bridge-rest'
  | 'bridge-kafkajs'
  | 'bridge-platformatic'
  | 'bridge-tracing'
  | 'bridge-baseline';

/** The targets that are this project's bridge, whatever they are sent. */
export const isBridge = (name: TargetName): boolean => name.startsWith('bridge');

/** The bridge targets sent the SOAP corpus: the default client's and each named client's. */
export const SOAP_BRIDGES: readonly TargetName[] = [
  'bridge',
  'bridge-kafkajs',
  'bridge-platformatic',
  'bridge-tracing',
  'bridge-baseline',
];

/** The Kafka client a bridge target sets; none: the config's default. */
const CLIENT_OF: Partial<Record<TargetName, KafkaConfig['client']>> = {
  'bridge-kafkajs': 'kafkajs',
  'bridge-platformatic': 'platformatic',
};

export const TARGET_LABELS: Record<TargetName, string> = {
  bare: 'bare node:http (ceiling)',
  afternoon: 'afternoon bridge (xmldom + JSON + send per request)',
  bridge: 'thingspace-bridge',
  'bridge-rest': 'thingspace-bridge, REST (JSON) callbacks',
  'bridge-kafkajs': 'thingspace-bridge on kafkajs',
  'bridge-platformatic': 'thingspace-bridge on @platformatic/kafka',
  'bridge-tracing': 'thingspace-bridge, tracing on (every callback sampled)',
  'bridge-baseline': 'thingspace-bridge at the baseline commit',
};

export interface TargetContext {
  root: string;
  /** Where configs and logs go. */
  dir: string;
  brokers: string[];
  registryUrl: string;
  username: string;
  password: string;
  /** The Kafka topics this target publishes to (the bridge's four, the afternoon bridge's one). */
  topics: {
    bridge: KafkaConfig['topics'];
    afternoon: string;
  };
  partitions: number;
  /** The checkout bridge-baseline runs (bench/baseline.ts). */
  baselineRoot?: string;
  /** Set: the bridge runs with --cpu-prof and writes its profile here when it exits. */
  bridgeProfileDir?: string;
  /** More of the bridge's `http` config (bench/overload.ts: admission settings). */
  bridgeHttp?: Record<string, unknown>;
  /** Set: the bridge runs with its spool in this directory (scripts/adversarial.ts checks its modes). */
  bridgeSpoolDir?: string;
  /** The OTLP receiver bridge-tracing exports to (bench/otlp-sink.ts). */
  otlpEndpoint?: string;
}

export interface RunningTarget {
  name: TargetName;
  child: ChildProcess;
  port: number;
  /** The bridge's health port, when its config has one (`http.healthPort`). */
  healthPort?: number;
  logFile: string;
  /** SIGTERM, then its exit code (SIGKILL after 30 s). */
  stop(): Promise<number | null>;
}

export async function startTarget(name: TargetName, ctx: TargetContext): Promise<RunningTarget> {
  const logFile = join(ctx.dir, `${name}.log`);
  const tsx = ['--import', 'tsx'];
  const env = { ...process.env, NODE_ENV: 'production' };
  let child: ChildProcess;
  switch (name) {
    case 'bare':
      child = spawn(process.execPath, [...tsx, join(ctx.root, 'bench/baselines/bare-http.ts')], {
        env,
        cwd: ctx.root,
      });
      break;
    case 'afternoon':
      child = spawn(process.execPath, [...tsx, join(ctx.root, 'bench/baselines/afternoon-bridge.ts')], {
        cwd: ctx.root,
        env: {
          ...env,
          BROKERS: ctx.brokers.join(','),
          TOPIC: ctx.topics.afternoon,
          USERNAME: ctx.username,
          PASSWORD: ctx.password,
        },
      });
      break;
    case 'bridge':
    case 'bridge-rest':
    case 'bridge-kafkajs':
    case 'bridge-platformatic':
    case 'bridge-tracing':
    case 'bridge-baseline': {
      const checkout = name === 'bridge-baseline' ? ctx.baselineRoot : ctx.root;
      if (checkout === undefined) throw new Error('bridge-baseline needs BENCH_BASELINE=<git ref>');
      const main = join(checkout, 'dist/cli/main.js');
      if (!existsSync(main))
        throw new Error(`${main} is missing: run \`npm run build\` (npm run bench does)`);
      const config = join(ctx.dir, `${name}.json`);
      writeFileSync(config, JSON.stringify(bridgeConfig(ctx, CLIENT_OF[name], name === 'bridge-tracing')));
      child = spawn(
        process.execPath,
        [
          ...(ctx.bridgeProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${ctx.bridgeProfileDir}`] : []),
          main,
          'serve',
          '--config',
          config,
        ],
        {
          env,
          cwd: ctx.root,
        },
      );
      break;
    }
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const { port, healthPort } = await listeningPorts(child, logFile);
  const target: RunningTarget = {
    name,
    child,
    port,
    ...(healthPort === undefined ? {} : { healthPort }),
    logFile,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
  try {
    await untilAnswering(port, isBridge(name) ? '/readyz' : undefined, exited, logFile);
  } catch (err) {
    await target.stop();
    throw err;
  }
  return target;
}

function bridgeConfig(ctx: TargetContext, client: KafkaConfig['client'] | undefined, tracing: boolean) {
  if (tracing && ctx.otlpEndpoint === undefined) throw new Error('bridge-tracing needs an OTLP sink');
  return {
    node: 'bench',
    http: { port: 0, host: '127.0.0.1', ...ctx.bridgeHttp },
    accounts: [{ name: '0000555123-00001', username: ctx.username, password: ctx.password, services: ['*'] }],
    kafka: {
      brokers: ctx.brokers,
      ...(client ? { client } : {}),
      topics: ctx.topics.bridge,
      createTopics: true,
      newTopics: { numPartitions: ctx.partitions, replicationFactor: 1 },
    },
    schemaRegistry: { url: ctx.registryUrl, registerSchemas: true },
    ...(ctx.bridgeSpoolDir ? { spool: { enabled: true, dir: ctx.bridgeSpoolDir } } : {}),
    ...(tracing ? { tracing: { enabled: true, endpoint: ctx.otlpEndpoint, sampleRatio: 1 } } : {}),
  };
}

/** Resolves with the ports from the target's `listening` line; its stdout and stderr go to `logFile`. */
function listeningPorts(
  child: ChildProcess,
  logFile: string,
): Promise<{ port: number; healthPort?: number }> {
  const log = createWriteStream(logFile);
  child.stderr!.pipe(log);
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log.write(`${line}\n`);
      try {
        const entry = JSON.parse(line) as {
          msg?: string;
          port?: number;
          listeners?: { port: number; health?: true }[];
        };
        if (entry.msg !== 'listening') return;
        const health = entry.listeners?.find((listener) => listener.health)?.port;
        resolve({ port: entry.port ?? entry.listeners![0]!.port, ...(health ? { healthPort: health } : {}) });
      } catch {
        // not a line of ours
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before listening; see ${logFile}`)));
  });
}

async function untilAnswering(
  port: number,
  readyPath: string | undefined,
  exited: Promise<number | null>,
  logFile: string,
): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (const started = Date.now(); Date.now() - started < 120_000;) {
    if (gone) throw new Error(`exited before it was ready; see ${logFile}`);
    if (readyPath === undefined) return;
    const ready = await fetch(`http://127.0.0.1:${port}${readyPath}`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready within 120 s; see ${logFile}`);
}
