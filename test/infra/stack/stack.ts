/**
 * The local stack: Apache Kafka (KRaft: one combined broker+controller node, or a cluster of several) and an
 * Apicurio schema registry (its Confluent-compatible API), all real servers from Maven Central jars, started on
 * 127.0.0.1 without Docker.
 *
 * A cluster (`brokers: 3`, `STACK_KAFKA_BROKERS=3`) is what production runs: every node is a voter of the one
 * controller quorum, topics default to 3 replicas and `min.insync.replicas=2`, so acks=all waits for a second copy
 * and killing a partition leader makes a real failover. The fault tests (test/integration/faults/cluster.test.ts)
 * kill, freeze and restart single nodes through killKafka() and friends.
 *
 * Why Apicurio and not Karapace: Karapace is not published on PyPI (pip finds no release at all), and Apicurio
 * 3.3.x needs Java 21 while Debian's JDK is 17; Apicurio 3.0.9 runs on 17. Its kafkasql storage keeps the schemas
 * in a topic of the same broker, as Confluent's and Karapace's registries do.
 *
 * State lives in `<stackDir>` (default `$STACK_DIR` or `.stack/` at the repo root): state.json (pids and ports), env
 * (the two URLs), logs/ (kafka-<node id>.log, registry.log), kafka/<node id>/ (config and data of each node). Downloads live in the cache (`~/.cache/thingspace-bridge`) and survive `down`.
 *
 * Ports: each is claimed (ports.ts: a lock file per port, shared by every stack of this user) before its server
 * starts, and released by `down`; so two stacks started together never pick the same one. A server counts as up
 * only once the process this stack spawned listens on its ports itself: a port answered by someone else's server
 * is tried again on other ports, and a server that exits during startup fails the wait at once with its log.
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, connect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { logLevel } from 'kafkajs';
import '../../../src/kafka/kafkajs-timer-warning';
import { kafkaClient } from '../../support/clients';
import { clusterId } from './cluster-id';
import { claimPort, listensOn, releasePort, type PortLock } from './ports';

/** The line kafkajs 2.2.4 is known to work with; 4.x works too (verified with 4.4.0): set kafkaVersion. */
export const DEFAULT_KAFKA_VERSION = '3.9.1';
export const APICURIO_VERSION = '3.0.9';
/** Where Apicurio serves its Confluent-compatible API: what SCHEMA_REGISTRY_URL names. */
export const CCOMPAT_PATH = '/apis/ccompat/v7';

const repoRoot = resolve(__dirname, '../../..');

export interface StackOptions {
  /** Where state, logs and data go. Default: `$STACK_DIR` or `.stack/` at the repo root. */
  stackDir?: string;
  /** Where downloads are cached. Default: `$THINGSPACE_BRIDGE_CACHE` or `~/.cache/thingspace-bridge`. */
  cacheDir?: string;
  /** Apache Kafka version (3.9.x or 4.x). Default: `$STACK_KAFKA_VERSION` or DEFAULT_KAFKA_VERSION. */
  kafkaVersion?: string;
  /**
   * Kafka nodes (1 to MAX_BROKERS), node ids 1..n. Default: `$STACK_KAFKA_BROKERS` or 1. From 3 on, topics get 3
   * replicas and `min.insync.replicas=2`; 2 nodes give 2 replicas and 1.
   */
  brokers?: number;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

/** What clients need: written to `<stackDir>/env` as KAFKA_BROKERS=... and SCHEMA_REGISTRY_URL=... */
export interface StackEnv {
  kafkaBrokers: string;
  schemaRegistryUrl: string;
}

export interface StackUpResult extends StackEnv {
  /** True when both servers were already running and were reused as they are. */
  reused: boolean;
  /** Seconds each server took from spawn to answering (absent when reused). */
  startupSeconds?: { kafka: number; registry: number };
}

interface ServerState {
  pid: number;
  port: number;
}

interface BrokerState extends ServerState {
  nodeId: number;
  controllerPort: number;
}

interface StackState {
  kafka: { version: string; brokers: BrokerState[] };
  registry: ServerState;
}

export interface ServerStatus {
  name: 'kafka' | 'registry';
  /** A Kafka node's node.id (also its broker id in metadata: a partition's leader). */
  nodeId?: number;
  pid: number;
  port: number;
  running: boolean;
  rssMiB?: number;
}

/** Node n prefers 9092 + 2(n-1) and the controller port after it. */
const DEFAULT_PORTS = { kafka: 9092, controller: 9093, registry: 8081 };
export const MAX_BROKERS = 5;

function resolvePaths(options: StackOptions) {
  const stackDir = resolve(options.stackDir ?? (process.env.STACK_DIR || join(repoRoot, '.stack')));
  const cacheDir = resolve(
    options.cacheDir ??
      process.env.THINGSPACE_BRIDGE_CACHE ??
      join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'thingspace-bridge'),
  );
  const kafkaVersion = options.kafkaVersion ?? process.env.STACK_KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION;
  return {
    stackDir,
    cacheDir,
    kafkaVersion,
    brokers: brokerCount(options.brokers ?? process.env.STACK_KAFKA_BROKERS),
    stateFile: join(stackDir, 'state.json'),
    envFile: join(stackDir, 'env'),
    logDir: join(stackDir, 'logs'),
    kafkaDir: join(stackDir, 'kafka'),
    m2: join(cacheDir, 'm2'),
    kafkaLibs: join(cacheDir, `kafka-${kafkaVersion}`, 'libs'),
    apicurioDir: join(cacheDir, `apicurio-registry-${APICURIO_VERSION}`),
  };
}
type Paths = ReturnType<typeof resolvePaths>;

function brokerCount(value: number | string | undefined): number {
  if (value === undefined || value === '') return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_BROKERS) {
    throw new Error(
      `STACK_KAFKA_BROKERS (brokers) must be a whole number from 1 to ${MAX_BROKERS}, not ${value}`,
    );
  }
  return n;
}

/** Replicas of every topic (the internal ones too) and the in-sync replicas acks=all waits for. */
function replication(brokers: number): { factor: number; minInsync: number } {
  const factor = Math.min(brokers, 3);
  return { factor, minInsync: Math.max(1, factor - 1) };
}

/** The directory a stack with these options lives in. */
export function stackDirOf(options: StackOptions = {}): string {
  return resolvePaths(options).stackDir;
}

/** A marker on every java command line we start, so `down` never signals a process that merely reused a pid. */
const marker = (paths: Paths) => `-Dthingspace.stack=${paths.stackDir}`;

export async function stackUp(options: StackOptions = {}): Promise<StackUpResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`stack: ${line}\n`));
  const paths = resolvePaths(options);
  mkdirSync(paths.logDir, { recursive: true });

  const previous = readState(paths);
  if (previous) {
    const statuses = serverStatuses(paths, previous);
    const answering = await Promise.all(
      statuses.map(
        async (s) => s.running && (await portAnswers(s.port)) && listensOn(s.pid, s.port) !== false,
      ),
    );
    if (
      answering.every(Boolean) &&
      previous.kafka.version === paths.kafkaVersion &&
      previous.kafka.brokers.length === paths.brokers
    ) {
      const env = envOf(previous);
      writeEnv(paths, env);
      const pids = previous.kafka.brokers.map((b) => b.pid).join(', ');
      log(`reusing running servers (kafka pid ${pids}, registry pid ${previous.registry.pid})`);
      return { ...env, reused: true };
    }
    log('a previous stack is only partly running, or runs another Kafka version or size: stopping it');
    await stackDown(options);
  }

  const java = checkPrerequisites();
  await Promise.all([ensureKafkaLibs(paths, log), ensureApicurio(paths, log)]);

  const state: StackState = {
    kafka: { version: paths.kafkaVersion, brokers: [] },
    registry: { pid: 0, port: 0 },
  };
  try {
    const kafkaStarted = Date.now();
    // The whole cluster at once: each node's config names every controller port, and a quorum needs a majority
    // of its voters running. A port taken behind a claim starts all of them again on other ports.
    await retryOnPortTaken('kafka', log, async () => {
      state.kafka.brokers = [];
      for (let nodeId = 1; nodeId <= paths.brokers; nodeId++) {
        const offset = 2 * (nodeId - 1);
        state.kafka.brokers.push({
          nodeId,
          pid: 0,
          port: await claimFreePort(paths, DEFAULT_PORTS.kafka + offset),
          controllerPort: await claimFreePort(paths, DEFAULT_PORTS.controller + offset),
        });
      }
      writeState(paths, state); // written before each spawn, so that `down` can stop a half-started stack
      await prepareKafka(paths, java, state.kafka.brokers);
      const servers = state.kafka.brokers.map((broker) => {
        const server = launchKafka(paths, java, broker.nodeId);
        broker.pid = server.pid;
        return server;
      });
      writeState(paths, state);
      const ports = state.kafka.brokers.flatMap((b) => [b.port, b.controllerPort]);
      await abandonOnFailure(paths, servers, ports, () =>
        Promise.all(
          state.kafka.brokers.map((b, i) =>
            waitForKafka(
              paths,
              servers[i]!,
              b,
              state.kafka.brokers.map((other) => other.nodeId),
            ),
          ),
        ),
      );
    });
    const kafkaSeconds = (Date.now() - kafkaStarted) / 1000;
    log(
      `kafka ${paths.kafkaVersion} up on ${envOf(state).kafkaBrokers} (${paths.brokers} ` +
        `node${paths.brokers > 1 ? 's' : ''}) in ${kafkaSeconds.toFixed(1)} s`,
    );

    const registryStarted = Date.now();
    await retryOnPortTaken('apicurio registry', log, async () => {
      const port = await claimFreePort(paths, DEFAULT_PORTS.registry);
      Object.assign(state.registry, { pid: 0, port });
      writeState(paths, state);
      const registry = startRegistry(paths, java, port, envOf(state).kafkaBrokers);
      state.registry.pid = registry.pid;
      writeState(paths, state);
      await abandonOnFailure(paths, [registry], [port], () =>
        waitForRegistry(registry, port, join(paths.logDir, 'registry.log')),
      );
    });
    const registrySeconds = (Date.now() - registryStarted) / 1000;
    log(
      `apicurio registry ${APICURIO_VERSION} up on 127.0.0.1:${state.registry.port} in ${registrySeconds.toFixed(1)} s`,
    );

    const env = envOf(state);
    writeEnv(paths, env);
    return { ...env, reused: false, startupSeconds: { kafka: kafkaSeconds, registry: registrySeconds } };
  } catch (err) {
    await stackDown(options);
    throw err;
  }
}

/** A server port was answered by a process this stack did not start: try again on other ports. */
class PortTaken extends Error {}

async function retryOnPortTaken(what: string, log: (line: string) => void, start: () => Promise<void>) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (!(err instanceof PortTaken) || attempt >= 3) throw err;
      log(`${what}: ${err.message.split('\n')[0]}; trying other ports`);
    }
  }
}

/** Runs `wait`; when it fails, stops the servers it waited for and gives up the ports claimed for them. */
async function abandonOnFailure(
  paths: Paths,
  servers: Server[],
  ports: number[],
  wait: () => Promise<unknown>,
) {
  try {
    await wait();
  } catch (err) {
    await Promise.all(servers.filter((s) => !s.exited()).map((s) => terminate(s.pid)));
    for (const port of ports) releasePort(port, { owner: paths.stackDir });
    throw err;
  }
}

/** Stops exactly the processes this stack started (checked by pid and command-line marker). */
export async function stackDown(options: StackOptions = {}): Promise<ServerStatus[]> {
  const paths = resolvePaths(options);
  const state = readState(paths);
  if (!state) return [];
  const statuses = serverStatuses(paths, state);
  // The registry first: it is a client of the brokers. The brokers together: a node waits for its quorum to
  // shut down cleanly, so stopping them one by one would leave the last ones waiting for the first.
  const registry = statuses.find((s) => s.name === 'registry');
  if (registry?.running) await terminate(registry.pid);
  // A frozen (SIGSTOPped) broker would never see SIGTERM.
  const brokers = statuses.filter((s) => s.name === 'kafka' && s.running);
  for (const s of brokers) process.kill(s.pid, 'SIGCONT');
  await Promise.all(brokers.map((s) => terminate(s.pid)));
  for (const port of statePorts(state)) releasePort(port, { owner: paths.stackDir });
  rmSync(paths.stateFile, { force: true });
  rmSync(paths.envFile, { force: true });
  return statuses;
}

/**
 * Fault injection (test/integration/faults): SIGKILL Kafka node `nodeId` (default 1, the only one of a
 * single-node stack), as a crash would. Its data stays, for restartKafka(). Resolves once the process is gone.
 */
export async function killKafka(options: StackOptions = {}, nodeId = 1): Promise<void> {
  const { paths, broker } = brokerOf(options, nodeId);
  signalBroker(paths, broker, 'SIGKILL');
  for (let i = 0; i < 200 && isOurs(broker.pid, marker(paths)); i++) await sleep(50);
}

/** SIGSTOP / SIGCONT a Kafka node: it hangs with its connections open, the cheapest "slow broker". */
export async function pauseKafka(options: StackOptions = {}, nodeId = 1): Promise<void> {
  const { paths, broker } = brokerOf(options, nodeId);
  signalBroker(paths, broker, 'SIGSTOP');
  await Promise.resolve();
}

export async function resumeKafka(options: StackOptions = {}, nodeId = 1): Promise<void> {
  const { paths, broker } = brokerOf(options, nodeId);
  signalBroker(paths, broker, 'SIGCONT');
  await Promise.resolve();
}

/**
 * Starts Kafka node `nodeId` again after killKafka(), with its data (topics, records) and on the same ports;
 * resolves once it answers. Unlike stackUp(), which always starts from empty data dirs. In a cluster the node
 * rejoins as a follower: it answers before it has caught up, so a test that needs its replicas back in sync waits
 * for that itself.
 */
export async function restartKafka(options: StackOptions = {}, nodeId = 1): Promise<void> {
  const { paths, state, broker } = brokerOf(options, nodeId);
  if (isOurs(broker.pid, marker(paths))) {
    throw new Error(`restartKafka(): Kafka node ${nodeId} (pid ${broker.pid}) still runs`);
  }
  const server = launchKafka(paths, checkPrerequisites(), nodeId);
  broker.pid = server.pid;
  writeState(paths, state);
  // Same ports as before (clients know them); they are still claimed by this stack.
  await waitForKafka(paths, server, broker, [nodeId]);
}

function stackState(options: StackOptions): { paths: Paths; state: StackState } {
  const paths = resolvePaths(options);
  const state = readState(paths);
  if (!state) throw new Error(`no stack in ${paths.stackDir}`);
  return { paths, state };
}

function brokerOf(options: StackOptions, nodeId: number) {
  const { paths, state } = stackState(options);
  const broker = state.kafka.brokers.find((b) => b.nodeId === nodeId);
  if (!broker) throw new Error(`the stack in ${paths.stackDir} has no Kafka node ${nodeId}`);
  return { paths, state, broker };
}

function signalBroker(paths: Paths, broker: BrokerState, signal: NodeJS.Signals): void {
  if (!isOurs(broker.pid, marker(paths)))
    throw new Error(`the stack's Kafka node ${broker.nodeId} (pid ${broker.pid}) is not running`);
  process.kill(broker.pid, signal);
}

export function stackStatus(options: StackOptions = {}): { env?: StackEnv; servers: ServerStatus[] } {
  const paths = resolvePaths(options);
  const state = readState(paths);
  if (!state) return { servers: [] };
  return { env: envOf(state), servers: serverStatuses(paths, state) };
}

/** Reads `<stackDir>/env` into a StackEnv, if the stack wrote one. */
export function readStackEnv(options: StackOptions = {}): StackEnv | undefined {
  const state = readState(resolvePaths(options));
  return state ? envOf(state) : undefined;
}

function envOf(state: StackState): StackEnv {
  return {
    kafkaBrokers: state.kafka.brokers.map((b) => `127.0.0.1:${b.port}`).join(','),
    schemaRegistryUrl: `http://127.0.0.1:${state.registry.port}${CCOMPAT_PATH}`,
  };
}

function writeEnv(paths: Paths, env: StackEnv): void {
  writeFileSync(
    paths.envFile,
    `KAFKA_BROKERS=${env.kafkaBrokers}\nSCHEMA_REGISTRY_URL=${env.schemaRegistryUrl}\n`,
  );
}

/** A single-node stack started before clusters existed kept its one broker under `kafka` itself. */
type LegacyKafkaState = BrokerState & { version: string };

function readState(paths: Paths): StackState | undefined {
  if (!existsSync(paths.stateFile)) return undefined;
  const state = JSON.parse(readFileSync(paths.stateFile, 'utf8')) as StackState;
  if (!Array.isArray(state.kafka.brokers)) {
    const { version, pid, port, controllerPort } = state.kafka as unknown as LegacyKafkaState;
    state.kafka = { version, brokers: [{ nodeId: 1, pid, port, controllerPort }] };
  }
  return state;
}

function writeState(paths: Paths, state: StackState): void {
  writeFileSync(paths.stateFile, JSON.stringify(state, null, 2));
}

function statePorts(state: StackState): number[] {
  return [...state.kafka.brokers.flatMap((b) => [b.port, b.controllerPort]), state.registry.port].filter(
    (port) => port > 0,
  );
}

/** The Kafka nodes in node id order, then the registry. */
function serverStatuses(paths: Paths, state: StackState): ServerStatus[] {
  const status = (name: ServerStatus['name'], { pid, port }: ServerState, nodeId?: number): ServerStatus => {
    const running = pid > 0 && isOurs(pid, marker(paths));
    return {
      name,
      ...(nodeId === undefined ? {} : { nodeId }),
      pid,
      port,
      running,
      ...(running ? { rssMiB: rssMiB(pid) } : {}),
    };
  };
  return [
    ...state.kafka.brokers.map((b) => status('kafka', b, b.nodeId)),
    status('registry', state.registry),
  ];
}

function isOurs(pid: number, mark: string): boolean {
  try {
    return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).includes(mark);
  } catch {
    return false; // ps exits 1 when the pid is gone
  }
}

function rssMiB(pid: number): number | undefined {
  try {
    const kib = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim());
    return Math.round(kib / 1024);
  } catch {
    return undefined;
  }
}

async function terminate(pid: number, graceMs = 30_000): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return;
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  while (alive(pid)) await sleep(50);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The java to use (JAVA_HOME first), after checking that it and Maven are there. Names everything missing. */
export function checkPrerequisites(): string {
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const problems: string[] = [];
  const javaMajor = commandOutput(java, ['-version']).match(/version "(\d+)/)?.[1];
  if (!javaMajor) problems.push(`java (17 or newer) was not found (tried ${java})`);
  else if (Number(javaMajor) < 17) problems.push(`java ${javaMajor} is too old: 17 or newer is needed`);
  if (!commandOutput('mvn', ['-version']).includes('Apache Maven'))
    problems.push('mvn (Apache Maven) was not found: it fetches the Kafka and Apicurio jars');
  if (problems.length > 0) {
    throw new Error(
      `The local Kafka stack cannot start: ${problems.join('; ')}. ` +
        'On Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless maven',
    );
  }
  return java;
}

function commandOutput(command: string, args: string[]): string {
  // `java -version` writes to stderr; take both streams. A missing command leaves both empty.
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`;
}

function mvn(paths: Paths, args: string[]): Promise<void> {
  return run('mvn', ['-B', '-q', `-Dmaven.repo.local=${paths.m2}`, ...args]);
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolvePromise()
        : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output.slice(-4000)}`)),
    );
  });
}

const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
// 3.x's `copy` insists on the artifact's parent pom, which Apicurio 3.0.9 did not publish; 2.8 only copies.
const COPY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:2.8';

/** Kafka's runtime classpath, resolved by Maven from kafka-pom.xml into one cached folder. */
async function ensureKafkaLibs(paths: Paths, log: (l: string) => void): Promise<void> {
  if (existsSync(paths.kafkaLibs)) return;
  log(`fetching Kafka ${paths.kafkaVersion} jars from Maven Central into ${paths.kafkaLibs}`);
  const partial = `${paths.kafkaLibs}.partial`;
  rmSync(partial, { recursive: true, force: true });
  await mvn(paths, [
    '-f',
    join(__dirname, 'kafka-pom.xml'),
    `${DEPENDENCY_PLUGIN}:copy-dependencies`,
    `-Dkafka.version=${paths.kafkaVersion}`,
    ...(kafkaMajor(paths) >= 4 ? ['-Dkafka4'] : []),
    '-DincludeScope=runtime',
    `-DoutputDirectory=${partial}`,
  ]);
  renameSync(partial, paths.kafkaLibs);
}

/** Apicurio's ready-to-run app (a tar.gz on Maven Central), unpacked once into the cache. */
async function ensureApicurio(paths: Paths, log: (l: string) => void): Promise<void> {
  if (existsSync(paths.apicurioDir)) return;
  log(`fetching Apicurio Registry ${APICURIO_VERSION} from Maven Central into ${paths.apicurioDir}`);
  const download = join(tmpdir(), `apicurio-${process.pid}`);
  const partial = `${paths.apicurioDir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  try {
    await mvn(paths, [
      `${COPY_PLUGIN}:copy`,
      `-Dartifact=io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`,
      `-DoutputDirectory=${download}`,
    ]);
    await run('tar', [
      'xzf',
      join(download, `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`),
      '-C',
      partial,
    ]);
  } finally {
    rmSync(download, { recursive: true, force: true });
  }
  renameSync(partial, paths.apicurioDir);
}

/**
 * Claims the preferred port if it is free on 127.0.0.1, else one the kernel picks, for this stack (see ports.ts):
 * no other stack can claim it until `down` releases it or this stack is gone.
 */
async function claimFreePort(paths: Paths, preferred: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = attempt === 0 ? preferred : await listenOnce(0);
    const claim = claimPort(port, { owner: paths.stackDir, isStale: abandoned });
    if (!claim) continue; // another stack's
    // Then free of anything else: a bind test alone is not enough, as an IPv4 bind can succeed beside a Java
    // listener on the same port through a dual-stack IPv6 socket. A port that answers is taken.
    if (!(await portAnswers(port)) && (await canListen(port))) return port;
    releasePort(port, { owner: paths.stackDir });
  }
  throw new Error('found no free port to claim on 127.0.0.1');
}

/** A claim is abandoned when the process that made it is gone and its stack runs no server on that port. */
function abandoned(lock: PortLock): boolean {
  if (alive(lock.pid)) return false;
  const paths = resolvePaths({ stackDir: lock.owner });
  let state: StackState | undefined;
  try {
    state = readState(paths);
  } catch {
    return false; // state.json being written: judge it another time
  }
  if (!state || !statePorts(state).includes(lock.port)) return true;
  return !serverStatuses(paths, state).some((s) => s.running);
}

async function canListen(port: number): Promise<boolean> {
  try {
    await listenOnce(port);
    return true;
  } catch {
    return false;
  }
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePromise(typeof address === 'object' && address ? address.port : port));
    });
  });
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolvePromise(true)));
    socket.once('timeout', () => (socket.destroy(), resolvePromise(false)));
    socket.once('error', () => resolvePromise(false));
  });
}

/** A server process this stack spawned: its pid, and whether it has exited (from the child's own exit event). */
interface Server {
  pid: number;
  exited(): boolean;
  /** Resolves when the process exits. */
  exit: Promise<void>;
}

function spawnServer(command: string, args: string[], logFile: string): Server {
  const fd = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    // Detached: the servers outlive the command that started them (`stack:up`, jest's global setup).
    child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  let exited = false;
  const exit = new Promise<void>((resolvePromise) =>
    child.once('exit', () => {
      exited = true;
      resolvePromise();
    }),
  );
  return { pid, exited: () => exited, exit };
}

function kafkaJvm(paths: Paths): string[] {
  return [
    // IPv4 sockets, as the advertised 127.0.0.1 listeners are: a dual-stack socket would not clash with another
    // process's IPv4 bind of the same port.
    '-Djava.net.preferIPv4Stack=true',
    '-Xms256m',
    '-Xmx512m',
    '-XX:+UseG1GC',
    `-Dlog4j.configuration=file:${join(paths.kafkaDir, 'log4j.properties')}`,
    `-Dlog4j2.configurationFile=${join(paths.kafkaDir, 'log4j2.properties')}`,
    marker(paths),
  ];
}

const nodeDir = (paths: Paths, nodeId: number) => join(paths.kafkaDir, String(nodeId));
const kafkaLog = (paths: Paths, nodeId: number) => join(paths.logDir, `kafka-${nodeId}.log`);

/** Starts Kafka node `nodeId` on the config and data prepareKafka() left: same ports, same topics and records. */
function launchKafka(paths: Paths, java: string, nodeId: number): Server {
  return spawnServer(
    java,
    [
      ...kafkaJvm(paths),
      '-cp',
      `${paths.kafkaLibs}/*`,
      'kafka.Kafka',
      join(nodeDir(paths, nodeId), 'server.properties'),
    ],
    kafkaLog(paths, nodeId),
  );
}

/** Writes each node's config and formats its data dir with the one cluster id they share. */
async function prepareKafka(paths: Paths, java: string, brokers: readonly BrokerState[]): Promise<void> {
  // Fresh log dirs each start: the stack is disposable, and stale metadata from other ports only confuses.
  rmSync(paths.kafkaDir, { recursive: true, force: true });
  const voters = brokers.map((b) => `${b.nodeId}@127.0.0.1:${b.controllerPort}`).join(',');
  const { factor, minInsync } = replication(brokers.length);
  const id = clusterId();
  await Promise.all(
    brokers.map(async ({ nodeId, port, controllerPort }) => {
      const dataDir = join(nodeDir(paths, nodeId), 'data');
      mkdirSync(dataDir, { recursive: true });
      const config = join(nodeDir(paths, nodeId), 'server.properties');
      writeFileSync(
        config,
        [
          'process.roles=broker,controller',
          `node.id=${nodeId}`,
          `controller.quorum.voters=${voters}`,
          `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
          `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
          'controller.listener.names=CONTROLLER',
          'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
          'inter.broker.listener.name=PLAINTEXT',
          `log.dirs=${dataDir}`,
          'num.partitions=1',
          `default.replication.factor=${factor}`,
          `min.insync.replicas=${minInsync}`,
          `offsets.topic.replication.factor=${factor}`,
          'offsets.topic.num.partitions=3',
          `transaction.state.log.replication.factor=${factor}`,
          `transaction.state.log.min.isr=${minInsync}`,
          'group.initial.rebalance.delay.ms=0',
          // kafkajs needs topics created explicitly on KRaft anyway; auto-creation only hides typos.
          'auto.create.topics.enable=false',
          '',
        ].join('\n'),
      );
      await run(java, [
        ...kafkaJvm(paths),
        '-cp',
        `${paths.kafkaLibs}/*`,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        id,
        '-c',
        config,
      ]);
    }),
  );
  // 3.x logs through reload4j, 4.x through log4j2; each reads its own file and flag.
  writeFileSync(
    join(paths.kafkaDir, 'log4j.properties'),
    [
      'log4j.rootLogger=INFO, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(paths.kafkaDir, 'log4j2.properties'),
    [
      'rootLogger.level=INFO',
      'rootLogger.appenderRef.stdout.ref=STDOUT',
      'appender.stdout.type=Console',
      'appender.stdout.name=STDOUT',
      'appender.stdout.layout.type=PatternLayout',
      'appender.stdout.layout.pattern=[%d] %p %m (%c)%n',
      '',
    ].join('\n'),
  );
}

function kafkaMajor(paths: Paths): number {
  return Number(paths.kafkaVersion.split('.')[0]);
}

/** The registry's kafkasql journal topic takes the brokers' default replication factor (it names none). */
/**
 * The registry, storing in Kafka (`kafkaBrokers`) as a deployment would, or, without brokers, in memory (Apicurio's
 * default H2 storage): a scratch registry.
 */
function startRegistry(
  paths: Paths,
  java: string,
  port: number,
  kafkaBrokers: string | undefined,
  logFile = join(paths.logDir, 'registry.log'),
): Server {
  const jar = join(paths.apicurioDir, `apicurio-registry-app-${APICURIO_VERSION}-runner.jar`);
  const storage = kafkaBrokers
    ? ['-Dapicurio.storage.kind=kafkasql', `-Dapicurio.kafkasql.bootstrap.servers=${kafkaBrokers}`]
    : [];
  return spawnServer(
    java,
    [
      '-Djava.net.preferIPv4Stack=true',
      '-Xms64m',
      '-Xmx384m',
      marker(paths),
      '-Dquarkus.http.host=127.0.0.1',
      `-Dquarkus.http.port=${port}`,
      ...storage,
      // Tests delete the subjects they create, as one can on a Confluent registry.
      '-Dapicurio.rest.deletion.artifact.enabled=true',
      '-Dapicurio.rest.deletion.artifact-version.enabled=true',
      '-jar',
      jar,
    ],
    logFile,
  );
}

/** A registry apart from the stack's: see startScratchRegistry. */
export interface ScratchRegistry {
  /** Its Confluent-compatible API, as SCHEMA_REGISTRY_URL. */
  url: string;
  stop(): Promise<void>;
}

/**
 * A registry of its own, storing in memory, for a test that changes what the stack's shared registry must keep
 * (its global compatibility level): other test files register their schemas there meanwhile.
 */
export async function startScratchRegistry(options: StackOptions = {}): Promise<ScratchRegistry> {
  const paths = resolvePaths(options);
  mkdirSync(paths.logDir, { recursive: true });
  const java = checkPrerequisites();
  await ensureApicurio(paths, options.log ?? ((line) => process.stderr.write(`stack: ${line}\n`)));
  const port = await claimFreePort(paths, DEFAULT_PORTS.registry);
  const logFile = join(paths.logDir, `registry-scratch-${port}.log`);
  const server = startRegistry(paths, java, port, undefined, logFile);
  await abandonOnFailure(paths, [server], [port], () => waitForRegistry(server, port, logFile));
  return {
    url: `http://127.0.0.1:${port}${CCOMPAT_PATH}`,
    stop: async () => {
      await terminate(server.pid);
      releasePort(port, { owner: paths.stackDir });
    },
  };
}

/** What servers log when their port is taken (Kafka's SocketServer, Quarkus). */
const BIND_FAILURE = /BindException|Address already in use|seems to be in use/;

/**
 * Waits until `ready()` and then checks that the answer came from `server` itself: it must still run and listen
 * on `ports` (an answer from another process means the port was taken behind our claim: PortTaken). Fails as
 * soon as the server exits, with its log tail.
 */
async function waitFor(
  what: string,
  server: Server,
  ports: number[],
  logFile: string,
  timeoutMs: number,
  ready: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const died = () => {
    const log = tail(logFile);
    const message = `${what} (pid ${server.pid}) exited during startup; last log lines:\n${log}`;
    return BIND_FAILURE.test(log) ? new PortTaken(message) : new Error(message);
  };
  while (Date.now() < deadline) {
    if (server.exited() || !alive(server.pid)) throw died();
    // A probe can take seconds (client timeouts): the server exiting meanwhile ends the wait at once.
    if (await Promise.race([ready(), server.exit.then(() => false)])) {
      const owned = ports.map((port) => listensOn(server.pid, port));
      if (owned.includes(undefined)) await sleep(2000); // cannot tell here: it must at least keep running
      if (server.exited() || !alive(server.pid)) throw died();
      const foreign = ports.filter((_, i) => owned[i] === false);
      if (foreign.length > 0) {
        throw new PortTaken(
          `port ${foreign.join(', ')} answers, but not from the ${what} this stack started (pid ${server.pid})`,
        );
      }
      return;
    }
    await sleep(250);
  }
  throw new Error(`${what} did not answer within ${timeoutMs / 1000} s; last log lines:\n${tail(logFile)}`);
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Until the node answers, for a cluster in which each of `nodes` (node ids) is a live broker. */
async function waitForKafka(
  paths: Paths,
  server: Server,
  broker: BrokerState,
  nodes: number[],
): Promise<void> {
  const { nodeId, port, controllerPort } = broker;
  // Polled while the broker starts: refused connections are expected, so kafkajs says nothing.
  const admin = kafkaClient(
    { brokers: [`127.0.0.1:${port}`] },
    { clientId: 'stack-check', logLevel: logLevel.NOTHING, retry: { retries: 0 } },
  ).admin();
  const what = nodeId > 1 || nodes.length > 1 ? `kafka node ${nodeId}` : 'kafka';
  await waitFor(what, server, [port, controllerPort], kafkaLog(paths, nodeId), 90_000, async () => {
    if (!(await portAnswers(port))) return false;
    try {
      await admin.connect();
      const live = new Set((await admin.describeCluster()).brokers.map((b) => b.nodeId));
      return nodes.every((id) => live.has(id));
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  });
}

async function waitForRegistry(server: Server, port: number, logFile: string): Promise<void> {
  const base = `http://127.0.0.1:${port}`;
  await waitFor('apicurio registry', server, [port], logFile, 120_000, async () => {
    try {
      const health = await fetch(`${base}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (!health.ok) return false;
      return (await fetch(`${base}${CCOMPAT_PATH}/subjects`, { signal: AbortSignal.timeout(2000) })).ok;
    } catch {
      return false;
    }
  });
}
