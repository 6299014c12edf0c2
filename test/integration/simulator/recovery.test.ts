/**
 * Recovery after an outage (README "Recovery after an outage"), against the real Kafka and schema registry and the
 * simulator's fake UWS: a bridge with `thingspace.recovery.enabled` cannot boot because its schema registry is
 * unreachable (a port nobody listens on yet), so it answers device SMS with 503 NOT_READY; the simulator queues
 * them (THINGSPACE.md §3: device SMS is not re-sent). Then the registry becomes reachable (a TCP relay opens on
 * that port), the bridge gets ready, its recovery loop calls StartSmsCallback by itself, the simulator releases
 * the queue, and every queued SMS is found in Kafka. Then the run marker: removed by a close in time; left behind
 * (as by a killed node), it makes the next start call StartSmsCallback with no refusal seen.
 */
import { createServer as createTcpServer, connect, type Server, type Socket } from 'node:net';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Consumer } from 'kafkajs';
import { createBridge } from '../../../src/bridge';
import type { Bridge } from '../../../src/bridge';
import { RUN_MARKER } from '../../../src/bridge/run-marker';
import { run as callbacks } from '../../../src/cli/callbacks';
import { platformStartSms } from '../../../src/cli/start-sms';
import { parseConfig } from '../../../src/config';
import { createLogger } from '../../../src/observability';
import { loadTemplates, Simulator } from '../../../src/simulator';
import type { DeliveredCallback } from '../../../src/simulator';
import { parseCallback } from '../../../src/soap/parser';
import { normalize } from '../../../src/thingspace/normalize';
import { Secret } from '../../../src/util/secret';
import { testServers, uniqueName } from '../../infra/kafka';
import { send } from '../../support/http';
import { closedPort, report } from '../ingress/harness';

const ACCOUNT = '0000555123-00002';
const CALLBACK_USER = 'recovery-user';
const CALLBACK_PASSWORD = 's3cret-recovery-pw';
const API_USER = 'bridge-admin';
const API_PASSWORD = 'recovery-api-pw';
const SMS_SENT = 8;

function withPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString().replace(/\/$/, '');
}

describe('recovery: device SMS queued during an outage are released by the bridge itself', () => {
  const { kafka, registry, brokers, registryUrl } = testServers();
  const topics = {
    asyncResponses: uniqueName('recovery-async'),
    externalChanges: uniqueName('recovery-external'),
    deviceOriginated: uniqueName('recovery-device'),
    deadLetter: uniqueName('recovery-dead'),
  };
  const dir = mkdtempSync(join(tmpdir(), 'recovery-'));
  const stateDir = join(dir, 'state');
  const delivered: DeliveredCallback[] = [];
  const startSmsCalls: string[] = [];
  /** eventId -> topic, as consumed. */
  const inKafka = new Map<string, string>();
  const sockets = new Set<Socket>();
  let simulator: Simulator;
  let bridge: Bridge;
  let bridgePort: number;
  let relayPort: number;
  let relay: Server | undefined;
  let consumer: Consumer;

  /** The registry, reachable through `relayPort` from now on. */
  async function openRelay(): Promise<void> {
    const target = new URL(registryUrl);
    relay = createTcpServer((client) => {
      const upstream = connect(Number(target.port || 80), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => relay!.listen(relayPort, '127.0.0.1', resolve));
  }

  async function until(what: string, done: () => boolean, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  beforeAll(async () => {
    simulator = await Simulator.start({
      users: [{ username: API_USER, password: new Secret(API_PASSWORD) }],
      accounts: [ACCOUNT],
      // Device SMS only: the messages the platform queues.
      templates: loadTemplates().filter((template) => template.root === 'SmsCallbackRequest'),
      retryIntervalMs: 500,
      attemptTimeoutMs: 5_000,
      onCallback: (callback) => delivered.push(callback),
      onStartSmsCallback: (account) => startSmsCalls.push(account),
    });
    relayPort = await closedPort();
    // The registry's URL (its path included) with the relay's port.
    bridge = startedBridge(withPort(registryUrl, relayPort));
    [{ port: bridgePort }] = (await bridge.start()) as [{ port: number }];
  }, 120_000);

  /** A bridge with the recovery loop on, wired as `serve` wires it (its calls counted on the simulator's side). */
  function startedBridge(schemaRegistryUrl: string): Bridge {
    const { config } = parseConfig(
      {
        node: 'recovery-it',
        http: { port: 0, host: '127.0.0.1', shutdownGraceMs: 10_000 },
        accounts: [{ name: ACCOUNT, username: CALLBACK_USER, password: CALLBACK_PASSWORD, services: ['*'] }],
        kafka: { brokers, topics, createTopics: true, newTopics: { numPartitions: 3, replicationFactor: 1 } },
        schemaRegistry: { url: schemaRegistryUrl, registerSchemas: true },
        thingspace: {
          url: simulator.url,
          username: API_USER,
          password: API_PASSWORD,
          retryDelayMs: 100,
          recovery: { enabled: true, quietMs: 500, checkIntervalMs: 100, retryDelayMs: 200, stateDir },
        },
        // The boot's failures while the registry is away are the point, not news.
        log: { level: 'fatal' },
      },
      {},
    );
    return createBridge(config, createLogger(config.log), { startSms: platformStartSms(config.thingspace!) });
  }

  /** Reads the device topic, which the bridge creates as it boots. */
  async function consume(): Promise<void> {
    consumer = kafka.consumer({ groupId: uniqueName('recovery') });
    await consumer.connect();
    await consumer.subscribe({ topics: [topics.deviceOriginated], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const event = (await registry.decode(message.value!)) as { eventId: string };
        inKafka.set(event.eventId, topic);
      },
    });
  }

  afterAll(async () => {
    await consumer?.disconnect();
    await bridge?.close();
    await simulator?.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => (relay ? relay.close(resolve) : resolve(undefined)));
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refused SMS are queued, the bridge recovers by itself, every one of them reaches Kafka', async () => {
    // Registered as an operator would: `callbacks sync` with the bridge's URL.
    const file = join(dir, 'bridge.json');
    writeFileSync(
      file,
      JSON.stringify({
        http: { publicBaseUrl: `http://127.0.0.1:${bridgePort}` },
        accounts: [{ name: ACCOUNT, username: CALLBACK_USER, password: CALLBACK_PASSWORD, services: ['*'] }],
        kafka: { brokers },
        schemaRegistry: { url: registryUrl },
        thingspace: { url: simulator.url, username: API_USER, password: API_PASSWORD },
      }),
    );
    const sync = await callbacks(['sync', '--config', file, '--allow-http', '--allow-any-port'], {
      stdout: () => undefined,
      stderr: (text) => process.stderr.write(text),
      env: {},
      cwd: dir,
    });
    expect(sync).toBe(2);

    // The outage: the bridge cannot boot, every device SMS is answered 503 and queued by the platform.
    const outage = await simulator.send({ services: ['EnhancedConnectivityService'], count: SMS_SENT });
    expect(outage).toMatchObject({ sent: SMS_SENT, acknowledged: 0, queued: SMS_SENT });
    expect(simulator.queued(ACCOUNT)).toBe(SMS_SENT);
    const metrics = (await send(bridgePort, '/metrics', { method: 'GET' })).body;
    expect(metrics).toContain(
      'thingspace_bridge_requests_total{service="EnhancedConnectivityService",outcome="failed",status="503"} 8\n',
    );
    expect(metrics).toContain('thingspace_bridge_recovery_pending_accounts 1\n');
    // Not ready: no call yet, however long the loop has been looking.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(startSmsCalls).toEqual([]);

    // The registry comes back: the bridge boots, waits quietMs, and calls StartSmsCallback on its own.
    await openRelay();
    await bridge.ready();
    await consume();
    await until('StartSmsCallback', () => startSmsCalls.length > 0);
    const released = await simulator.settled();
    expect(startSmsCalls).toEqual([ACCOUNT]);
    expect(released).toMatchObject({ sent: SMS_SENT, acknowledged: SMS_SENT });
    expect(simulator.queued()).toBe(0);

    const expected = await Promise.all(
      delivered
        .filter((callback) => callback.outcome === 'acknowledged')
        .map(async (callback) => {
          const normalized = normalize(await parseCallback(callback.body), {
            service: callback.target.serviceName,
            accountName: ACCOUNT,
            receivedAt: new Date(),
            ingressNode: 'recovery-it',
          });
          return normalized.event.eventId;
        }),
    );
    expect(new Set(expected).size).toBe(SMS_SENT);
    await until('every released SMS in Kafka', () => expected.every((id) => inKafka.has(id)), 90_000);
    const after = (await send(bridgePort, '/metrics', { method: 'GET' })).body;
    expect(after).toContain('thingspace_bridge_recovery_calls_total{outcome="released"} 1\n');
    expect(after).toContain('thingspace_bridge_recovery_pending_accounts 0\n');
    report('recovery', {
      queued: outage.queued,
      startSmsCalls: startSmsCalls.length,
      released: released.acknowledged,
      inKafka: expected.filter((id) => inKafka.get(id) === topics.deviceOriginated).length,
    });
  }, 180_000);

  it('a close in time removes the run marker: the next start is no crash', async () => {
    const marker = join(stateDir, RUN_MARKER);
    expect(existsSync(marker)).toBe(true);
    await expect(bridge.close()).resolves.toBe(true);
    expect(existsSync(marker)).toBe(false);
  });

  it('a marker left by a killed run: the next start calls StartSmsCallback once ready, with no refusal seen', async () => {
    // What a SIGKILLed node leaves behind.
    writeFileSync(join(stateDir, RUN_MARKER), '{"pid":1}\n');
    startSmsCalls.length = 0;
    bridge = startedBridge(registryUrl);
    await bridge.start();
    await bridge.ready();
    await until('StartSmsCallback after the crash', () => startSmsCalls.length > 0);
    expect(startSmsCalls).toEqual([ACCOUNT]);
    report('recovery after a crash', { startSmsCalls: startSmsCalls.length });
    await expect(bridge.close()).resolves.toBe(true);
  }, 60_000);
});
