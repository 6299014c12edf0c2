/**
 * What the ingress integration tests share: a bridge started in-process against the real broker and registry
 * (its own topics, 3 partitions, schemas registered), generated callbacks, reading every record of a set of
 * topics back, and the cleanup of topics, subjects and consumer groups.
 */
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createBridge, type Bridge, type Listener } from '../../../src/bridge';
import { parseConfig, topicSettings, type Config } from '../../../src/config';
import { normalize, type NormalizedCallback } from '../../../src/thingspace/normalize';
import type { Stream } from '../../../src/events/schemas';

import { parseCallback } from '../../../src/soap/parser';
import { readToEnd, testServers, uniqueName, type TestServers, type TopicRecord } from '../../infra/kafka';
import { prefixedTopics, testKafkaClient } from '../../support/clients';
import { send, type Answer } from '../../support/http';

import { FIXTURE_SETS, fixtureSource, PASSWORD, USERNAME } from '../../support/fixtures';
import { capturingLogger } from '../../support/logs';

export { PASSWORD, USERNAME };
export const ACCOUNT = '0000555123-00001';
export const NODE = 'ingress-it-1';
export const PARTITIONS = 3;

export const fixtureXml = (name: string): string => fixtureSource(FIXTURE_SETS.soap, name);

export interface RunningBridge {
  bridge: Bridge;
  config: Config;
  /** The main listener's port. */
  port: number;
  /** Every listener, the per-service ones after the main one. */
  listeners: Listener[];
  topics: Record<Stream, string>;
  /** Its archive topic (written to only with `archive: true`). */
  archiveTopic: string;
  /** The bridge's log lines (JSON). */
  logs: string[];
}

export interface BridgeOptions {
  producer?: Record<string, number>;
  http?: Record<string, unknown>;
  services?: Record<string, unknown>;
  /** More accounts, after the fixtures' one (USERNAME/PASSWORD, every service). */
  accounts?: Record<string, unknown>[];
  /** Services for which the fixtures' account also takes messages without credentials. */
  allowEmptyCredentials?: string[];
  /** Bootstrap brokers instead of the test servers' (e.g. a port where nothing listens). */
  brokers?: string[];
  /** The schema registry's URL instead of the test servers'. */
  registryUrl?: string;
  /** A spool in this directory (fsync on). */
  spoolDir?: string;
  /** Wait for bridge.ready() (the default), or return once listening. */
  ready?: boolean;
  /** Archive every accepted callback (config `archive`) to the bridge's own archive topic. */
  archive?: boolean;
  /** The topics' prefix (topicsOf(prefix) says their names) instead of a fresh unique one. */
  prefix?: string;
  /** The config's `tracing` section. */
  tracing?: Record<string, unknown>;
}

/** The topics a bridge started with this prefix publishes to. */
export const topicsOf = (prefix: string): Record<Stream, string> => prefixedTopics(prefix);

/**
 * Bridges, topics, subjects and consumer groups of one test file, removed by cleanup(). Topic names are unique
 * per bridge, so test files never share them and a long-lived cluster stays usable.
 */
export class IngressHarness {
  readonly servers: TestServers = testServers();
  private readonly bridges: RunningBridge[] = [];

  async startBridge(options: BridgeOptions = {}): Promise<RunningBridge> {
    const prefix = options.prefix ?? uniqueName('ingress');
    const topics = topicsOf(prefix);
    const archiveTopic = `${prefix}.archive`;
    const { config } = parseConfig(
      {
        node: NODE,
        http: { port: 0, host: '127.0.0.1', ...options.http },
        ...(options.services ? { services: options.services } : {}),
        accounts: [
          {
            name: ACCOUNT,
            username: USERNAME,
            password: PASSWORD,
            services: ['*'],
            allowEmptyCredentials: options.allowEmptyCredentials ?? [],
          },
          ...(options.accounts ?? []),
        ],
        kafka: {
          brokers: options.brokers ?? this.servers.brokers,
          client: testKafkaClient(),
          topics: topicSettings(topics),
          createTopics: true,
          newTopics: { numPartitions: PARTITIONS, replicationFactor: 1 },
          ...(options.producer ? { producer: options.producer } : {}),
        },
        schemaRegistry: { url: options.registryUrl ?? this.servers.registryUrl, registerSchemas: true },
        ...(options.spoolDir ? { spool: { enabled: true, dir: options.spoolDir } } : {}),
        archive: { enabled: options.archive ?? false, topic: archiveTopic },
        log: { level: 'info' },
        ...(options.tracing ? { tracing: options.tracing } : {}),
      },
      {},
    );
    const logs: string[] = [];
    const logger = capturingLogger(config.log, logs);
    const bridge = createBridge(config, logger);
    const listeners = await bridge.start();
    const running = { bridge, config, port: listeners[0]!.port, listeners, topics, archiveTopic, logs };
    this.bridges.push(running);
    if (options.ready ?? true) await bridge.ready();
    return running;
  }

  /**
   * Every record of these topics, as written up to now: read until each partition's high watermark (what is
   * written meanwhile is left out). A topic that does not exist (a bridge that never reached its broker) holds
   * nothing.
   */
  readAll(topics: readonly string[]): Promise<TopicRecord[]> {
    return readToEnd(this.servers.kafka, topics, { mayGrow: true });
  }

  /** Every topic of every bridge this harness started. */
  allTopics(): string[] {
    return this.bridges.flatMap(({ topics, archiveTopic }) => [...Object.values(topics), archiveTopic]);
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.bridges.map(({ bridge }) => bridge.close()));
    const { kafka, registryUrl } = this.servers;
    const admin = kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const topics = this.allTopics().filter((topic) => existing.has(topic));
      if (topics.length > 0) await admin.deleteTopics({ topics });
    } finally {
      await admin.disconnect();
    }
    await Promise.all(
      this.allTopics().map((topic) =>
        fetch(`${registryUrl}/subjects/${topic}-value`, { method: 'DELETE' }).catch(() => undefined),
      ),
    );
  }
}

/** The password's bytes in no key, value, header name or header value. Returns how many records were looked at. */
export function expectNoPassword(records: readonly TopicRecord[]): number {
  const needle = Buffer.from(PASSWORD);
  const holding = records.filter(({ key, value, headers }) => {
    const parts: (Buffer | string | null | undefined)[] = [key, value];
    for (const [name, header] of Object.entries(headers)) {
      parts.push(name, ...(Array.isArray(header) ? header : [header]));
    }
    return parts.some((part) => part != null && Buffer.from(part).includes(needle));
  });
  expect(holding.map(({ topic, partition, offset }) => `${topic}/${partition}@${offset}`)).toEqual([]);
  return records.length;
}

/**
 * A CarrierService callback of one device with one RequestId, made from a fixture: what ThingSpace sends for a
 * ChangeDeviceServicePlan over many devices. Device `n` is MDN 555nnnnnnn.
 */
export function carrierCallback(device: number, sequence: number): string {
  return fixtureXml('carrier-service-service-plan')
    .replace(
      '<RequestId>3f6c1a2e-8b4d-4c7a-9e15-000000000102</RequestId>',
      `<RequestId>3f6c1a2e-8b4d-4c7a-9e15-${String(sequence).padStart(12, '0')}</RequestId>`,
    )
    .replace('<Identifier>5555550102</Identifier>', `<Identifier>${mdnOf(device)}</Identifier>`);
}

export const mdnOf = (device: number): string => `555${String(device).padStart(7, '0')}`;

/** What the bridge must make of a callback, worked out locally by the same pure steps. */
export async function expectedOf(xml: string, service: string): Promise<NormalizedCallback> {
  return normalize(await parseCallback(xml), {
    service,
    accountName: ACCOUNT,
    receivedAt: new Date(),
    ingressNode: NODE,
  });
}

/** A TCP port where nothing listens (taken from the OS, then let go). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A TCP forwarder from `port` (on 127.0.0.1) to `target`: a server that was unreachable coming back, for a bridge
 * told to use `port`. Resolves with a function that stops it and every connection it forwards.
 */
export async function forward(port: number, target: { host: string; port: number }): Promise<() => void> {
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = connect(target.port, target.host);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => (socket === inbound ? outbound : inbound).destroy());
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return () => {
    server.close();
    for (const socket of sockets) socket.destroy();
  };
}

/** `host:port` as forward() takes it. */
export function hostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

/** The node's /readyz body. */
export async function readyz(port: number): Promise<Record<string, unknown>> {
  return JSON.parse((await send(port, '/readyz', { method: 'GET' })).body) as Record<string, unknown>;
}

/** Polls `check` every 200 ms until it holds; throws naming `what` after `ms`. */
export async function until(check: () => Promise<boolean>, what: string, ms = 90_000): Promise<void> {
  for (const end = Date.now() + ms; !(await check());) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** An answer, or the socket error that came instead (refused, reset). */
export type Outcome = Answer | { error: NodeJS.ErrnoException };

/** Never rejects: a socket error becomes an outcome too. */
export function attempt(request: Promise<Answer>): Promise<Outcome> {
  return request.catch((error: NodeJS.ErrnoException) => ({ error }));
}

export const isAnswer = (outcome: Outcome): outcome is Answer => !('error' in outcome);

/** Tallies outcomes by status (or socket error code), for the counts each test prints. */
export function tally(outcomes: readonly Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) {
    const label = isAnswer(outcome) ? String(outcome.status) : (outcome.error.code ?? outcome.error.message);
    counts[label] = (counts[label] ?? 0) + 1;
  }
  return counts;
}

/** One line of counts on stdout, prefixed by the test's name. */
export function report(
  what: string,
  counts: Record<string, number | string | boolean | object | undefined>,
): void {
  const shown = Object.entries(counts).map(
    ([name, value]) => `${name}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
  );
  process.stdout.write(`${what}: ${shown.join(' ')}\n`);
}
