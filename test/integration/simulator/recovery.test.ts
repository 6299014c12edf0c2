/**
 * Recovery after an outage (README "Recovery after an outage"), against the real Kafka and schema registry and the
 * simulator, over each registration API: SOAP (UWS v2, StartSmsCallback) and REST (OAuth2 and M2M session,
 * `PUT /sms/{account}/startCallbacks`). A bridge with `thingspace.recovery.enabled` cannot boot because its schema
 * registry is unreachable (a port nobody listens on yet), so it answers the device messages with 503 NOT_READY;
 * the simulator queues them (THINGSPACE.md §3: device SMS, and over REST NIDD device data, are not re-sent). Then
 * the registry becomes reachable (a TCP relay opens on that port), the bridge gets ready, its recovery loop calls
 * start-sms over its API by itself, the simulator releases the queue, and every queued message is found in Kafka.
 * Then the run marker (API-independent, over SOAP): removed by a close in time; left behind (as by a killed node),
 * it makes the next start call StartSmsCallback with no refusal seen.
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
import {
  DEFAULT_REST_TEMPLATE_DIR,
  DEFAULT_TEMPLATE_DIR,
  loadTemplates,
  Simulator,
} from '../../../src/simulator';
import type { DeliveredCallback, RegistrationApi } from '../../../src/simulator';
import type { ServiceName } from '../../../src/thingspace/catalogue';
import { Secret } from '../../../src/util/secret';
import { testServers, uniqueName } from '../../infra/kafka';
import { send } from '../../support/http';
import { closedPort, report } from '../ingress/harness';
import { bridgeKafka, eventOf } from './stack';

const ACCOUNT = '0000555123-00002';
const CALLBACK_USER = 'recovery-user';
const CALLBACK_PASSWORD = 's3cret-recovery-pw';
const API_USER = 'bridge-admin';
const API_PASSWORD = 'recovery-api-pw';
const APP = { key: 'recovery-app', secret: 'recovery-app-secret' };
/** Sent per queuing service during the outage. */
const PER_SERVICE = 8;
const APIS: readonly RegistrationApi[] = ['soap', 'rest'];
/** What the platform queues until start-sms, per API (§3, §6): device SMS; over REST NIDD device data too. */
const QUEUING: Readonly<Record<RegistrationApi, readonly ServiceName[]>> = {
  soap: ['EnhancedConnectivityService'],
  rest: ['EnhancedConnectivityService', 'NiddService'],
};

const { kafka, registry, brokers, registryUrl } = testServers();

function withPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString().replace(/\/$/, '');
}

async function until(what: string, done: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The bridge's own topics, which it creates as it boots. */
function bridgeTopics(): Record<
  'asyncResponses' | 'externalChanges' | 'deviceOriginated' | 'deadLetter',
  string
> {
  return {
    asyncResponses: uniqueName('recovery-async'),
    externalChanges: uniqueName('recovery-external'),
    deviceOriginated: uniqueName('recovery-device'),
    deadLetter: uniqueName('recovery-dead'),
  };
}

async function deleteTopics(topics: Record<string, string>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
  await admin.disconnect();
}

/**
 * A simulator serving `api` that sends only the device messages that API's platform queues, the start-sms calls
 * it takes (over either API) counted in `startSmsCalls`.
 */
function startSimulator(
  api: RegistrationApi,
  startSmsCalls: string[],
  onCallback?: (callback: DeliveredCallback) => void,
): Promise<Simulator> {
  const onStart = (account: string) => startSmsCalls.push(account);
  return Simulator.start({
    users: [{ username: API_USER, password: new Secret(API_PASSWORD) }],
    accounts: [ACCOUNT],
    apis: [api],
    rest: { app: { key: APP.key, secret: new Secret(APP.secret) } },
    templates: [DEFAULT_TEMPLATE_DIR, DEFAULT_REST_TEMPLATE_DIR]
      .flatMap((dir) => loadTemplates(dir))
      .filter((template) => template.fromDevice && template.format === api),
    retryIntervalMs: 500,
    attemptTimeoutMs: 5_000,
    onCallback,
    onStartSmsCallback: onStart,
    onStartCallbacks: onStart,
  });
}

/** The config's `thingspace` section for the simulator's API, as `serve` and `callbacks` read it. */
function thingspaceOf(api: RegistrationApi, simulator: Simulator): Record<string, unknown> {
  const user = { username: API_USER, password: API_PASSWORD };
  return api === 'soap'
    ? { url: simulator.url, ...user }
    : { api, ...simulator.restUrls, appKey: APP.key, appSecret: APP.secret, ...user };
}

interface BridgeSetup {
  api: RegistrationApi;
  simulator: Simulator;
  schemaRegistryUrl: string;
  topics: Record<string, string>;
  stateDir: string;
}

/** A bridge with the recovery loop on, wired as `serve` wires it (its calls counted on the simulator's side). */
function startedBridge({ api, simulator, schemaRegistryUrl, topics, stateDir }: BridgeSetup): Bridge {
  const { config } = parseConfig(
    {
      node: 'recovery-it',
      http: { port: 0, host: '127.0.0.1', shutdownGraceMs: 10_000 },
      accounts: [{ name: ACCOUNT, username: CALLBACK_USER, password: CALLBACK_PASSWORD, services: ['*'] }],
      kafka: bridgeKafka(brokers, topics),
      schemaRegistry: { url: schemaRegistryUrl, registerSchemas: true },
      thingspace: {
        ...thingspaceOf(api, simulator),
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

describe.each(APIS)(
  'recovery over %s: device messages queued during an outage are released by the bridge itself',
  (api) => {
    const services = QUEUING[api];
    const topics = bridgeTopics();
    const dir = mkdtempSync(join(tmpdir(), `recovery-${api}-`));
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
    let consumer: Consumer | undefined;

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

    /** Reads the device topic, which the bridge creates as it boots. */
    async function consume(): Promise<void> {
      consumer = kafka.consumer({ groupId: uniqueName(`recovery-${api}`) });
      await consumer.connect();
      await consumer.subscribe({ topics: [topics.deviceOriginated], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ topic, message }) => {
          const event = (await registry.decode(message.value!)) as { eventId: string };
          inKafka.set(event.eventId, topic);
        },
      });
    }

    beforeAll(async () => {
      simulator = await startSimulator(api, startSmsCalls, (callback) => delivered.push(callback));
      relayPort = await closedPort();
      // The registry's URL (its path included) with the relay's port.
      const schemaRegistryUrl = withPort(registryUrl, relayPort);
      bridge = startedBridge({ api, simulator, schemaRegistryUrl, topics, stateDir: join(dir, 'state') });
      [{ port: bridgePort }] = (await bridge.start()) as [{ port: number }];
    }, 120_000);

    afterAll(async () => {
      await consumer?.disconnect();
      await bridge?.close();
      await simulator?.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => (relay ? relay.close(resolve) : resolve(undefined)));
      await deleteTopics(topics);
      rmSync(dir, { recursive: true, force: true });
    });

    it('refused device messages are queued, the bridge recovers by itself, every one of them reaches Kafka', async () => {
      // Registered as an operator would: `callbacks sync` with the bridge's URL, over the API the config names.
      const file = join(dir, 'bridge.json');
      writeFileSync(
        file,
        JSON.stringify({
          http: { publicBaseUrl: `http://127.0.0.1:${bridgePort}` },
          accounts: [
            { name: ACCOUNT, username: CALLBACK_USER, password: CALLBACK_PASSWORD, services: ['*'] },
          ],
          kafka: { brokers },
          schemaRegistry: { url: registryUrl },
          thingspace: thingspaceOf(api, simulator),
        }),
      );
      const sync = await callbacks(['sync', '--config', file, '--allow-http', '--allow-any-port'], {
        stdout: () => undefined,
        stderr: (text) => process.stderr.write(text),
        env: {},
        cwd: dir,
      });
      expect(sync).toBe(0);
      expect(simulator.registrations(ACCOUNT).every((registration) => registration.api === api)).toBe(true);

      // The outage: the bridge cannot boot, every device message is answered 503 and queued by the platform.
      const sent = PER_SERVICE * services.length;
      const outage = await simulator.send({ services, count: PER_SERVICE });
      expect(outage).toMatchObject({ sent, acknowledged: 0, queued: sent });
      expect(simulator.queued(ACCOUNT)).toBe(sent);
      const metrics = (await send(bridgePort, '/metrics', { method: 'GET' })).body;
      for (const service of services) {
        expect(metrics).toContain(
          `thingspace_bridge_requests_total{service="${service}",outcome="failed",status="503"} ${PER_SERVICE}\n`,
        );
      }
      expect(metrics).toContain('thingspace_bridge_recovery_pending_accounts 1\n');
      // Not ready: no call yet, however long the loop has been looking.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(startSmsCalls).toEqual([]);

      // The registry comes back: the bridge boots, waits quietMs, and calls start-sms on its own.
      await openRelay();
      await bridge.ready();
      await consume();
      await until('start-sms', () => startSmsCalls.length > 0);
      const released = await simulator.settled();
      expect(startSmsCalls).toEqual([ACCOUNT]);
      expect(released).toMatchObject({ sent, acknowledged: sent });
      expect(simulator.queued()).toBe(0);

      const acknowledged = delivered.filter((callback) => callback.outcome === 'acknowledged');
      expect(new Set(acknowledged.map((callback) => callback.target.serviceName))).toEqual(new Set(services));
      const expected = await Promise.all(
        acknowledged.map(async (callback) => (await eventOf(callback, ACCOUNT)).eventId),
      );
      expect(new Set(expected).size).toBe(sent);
      await until('every released message in Kafka', () => expected.every((id) => inKafka.has(id)), 90_000);
      const after = (await send(bridgePort, '/metrics', { method: 'GET' })).body;
      expect(after).toContain('thingspace_bridge_recovery_calls_total{outcome="released"} 1\n');
      expect(after).toContain('thingspace_bridge_recovery_pending_accounts 0\n');
      report(api === 'soap' ? 'recovery' : `recovery over ${api}`, {
        queued: outage.queued,
        startSmsCalls: startSmsCalls.length,
        released: released.acknowledged,
        inKafka: expected.filter((id) => inKafka.get(id) === topics.deviceOriginated).length,
      });
    }, 180_000);
  },
);

describe('the run marker: a crash makes the next start call StartSmsCallback', () => {
  const topics = bridgeTopics();
  const dir = mkdtempSync(join(tmpdir(), 'recovery-marker-'));
  const stateDir = join(dir, 'state');
  const startSmsCalls: string[] = [];
  let simulator: Simulator;
  let bridge: Bridge;

  const bridgeOf = () =>
    startedBridge({ api: 'soap', simulator, schemaRegistryUrl: registryUrl, topics, stateDir });

  beforeAll(async () => {
    simulator = await startSimulator('soap', startSmsCalls);
    bridge = bridgeOf();
    await bridge.start();
    await bridge.ready();
  }, 120_000);

  afterAll(async () => {
    await bridge?.close();
    await simulator?.close();
    await deleteTopics(topics);
    rmSync(dir, { recursive: true, force: true });
  });

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
    bridge = bridgeOf();
    await bridge.start();
    await bridge.ready();
    await until('StartSmsCallback after the crash', () => startSmsCalls.length > 0);
    expect(startSmsCalls).toEqual([ACCOUNT]);
    report('recovery after a crash', { startSmsCalls: startSmsCalls.length });
    await expect(bridge.close()).resolves.toBe(true);
  }, 60_000);
});
