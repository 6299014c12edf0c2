/**
 * The whole loop on this machine, against the real Kafka and schema registry: a bridge runs (in-process, its own
 * topics), `thingspace-bridge callbacks sync` registers it with the simulator's fake UWS, the simulator sends
 * callbacks of every service (both roots, the quirks, the registered credentials), and every one of them is
 * found in Kafka by its eventId, on its category's topic.
 *
 * Then the platform's retry policy (THINGSPACE.md §3) against a bridge that answers 503 at first: a gate in
 * front of it refuses every first attempt; sync moves the registrations to the gate; callbacks are re-sent
 * (seconds apart here, not 5 minutes) and acknowledged on their second attempt; the device SMS is queued
 * instead, until `callbacks start-sms` releases it. Every one again ends in Kafka.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as callbacks } from '../../../src/cli/callbacks';
import { Simulator } from '../../../src/simulator';
import type { DeliveredCallback } from '../../../src/simulator';
import { SOAP_SERVICES } from '../../../src/thingspace/catalogue';
import { Secret } from '../../../src/util/secret';
import { ACCOUNT, CALLBACK_PASSWORD, CALLBACK_USER, startE2eStack } from './stack';
import type { E2eStack } from './stack';

const API_PASSWORD = 'e2e-api-pw';

describe('end to end: sync registers the bridge with the simulator, every callback ends in Kafka', () => {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-'));
  const delivered: DeliveredCallback[] = [];
  let simulator: Simulator;
  let stack: E2eStack;
  let gate: Server | undefined;

  /** `callbacks <args>` with the bridge's config as operators would have it, publicBaseUrl as given. */
  async function callbacksCommand(publicBaseUrl: string, ...args: string[]) {
    const file = join(dir, 'bridge.json');
    writeFileSync(
      file,
      JSON.stringify({
        http: { publicBaseUrl },
        accounts: [{ name: ACCOUNT, username: CALLBACK_USER, password: CALLBACK_PASSWORD, services: ['*'] }],
        kafka: { brokers: stack.brokers },
        schemaRegistry: { url: stack.registryUrl },
        thingspace: { url: simulator.url, username: 'bridge-admin', passwordEnv: 'E2E_API_PASSWORD' },
      }),
    );
    let stdout = '';
    let stderr = '';
    const code = await callbacks([...args, '--config', file, '--allow-http', '--allow-any-port'], {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      env: { E2E_API_PASSWORD: API_PASSWORD },
      cwd: dir,
    });
    return { code, stdout, stderr };
  }

  beforeAll(async () => {
    simulator = await Simulator.start({
      users: [{ username: 'bridge-admin', password: new Secret(API_PASSWORD) }],
      accounts: [ACCOUNT],
      retryIntervalMs: 1_000,
      onCallback: (callback) => delivered.push(callback),
    });
    stack = await startE2eStack('e2e');
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await simulator?.close();
    await new Promise((resolve) => (gate ? gate.close(resolve) : resolve(undefined)));
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers by sync, sends 4 callbacks per service, finds all of them in Kafka', async () => {
    const { base, topics, inKafka } = stack;
    const sync = await callbacksCommand(base, 'sync');
    expect(sync.stderr).toBe('');
    expect(sync.code).toBe(0);
    expect(simulator.registrations(ACCOUNT).map((entry) => entry.url)).toEqual(
      SOAP_SERVICES.map(({ name }) => `${base}/callbacks/${name}`),
    );
    expect((await callbacksCommand(base, 'sync')).code).toBe(0);

    const report = await simulator.send({ count: 4 });
    expect(report).toEqual({
      sent: 4 * SOAP_SERVICES.length,
      acknowledged: 4 * SOAP_SERVICES.length,
      retried: 0,
      givenUp: 0,
      queued: 0,
      unfinished: 0,
    });
    const expected = await Promise.all(delivered.map(stack.expectedEvent));
    const ids = expected.map((event) => event.eventId);
    // Every callback is its own message: 44 distinct events.
    expect(new Set(ids).size).toBe(4 * SOAP_SERVICES.length);
    expect(new Set(delivered.map((callback) => callback.root))).toEqual(
      new Set(['CallbackRequest', 'SmsCallbackRequest']),
    );
    await stack.untilInKafka(ids);
    for (const { eventId, topic } of expected)
      expect([eventId, inKafka.get(eventId)]).toEqual([eventId, topic]);
    const perTopic = Object.fromEntries(
      Object.entries(topics).map(([key, topic]) => [
        key,
        expected.filter((event) => event.topic === topic).length,
      ]),
    );
    expect(perTopic.deadLetter).toBe(0);
    process.stdout.write(
      `end-to-end: ${report.sent} callbacks of ${SOAP_SERVICES.length} services sent, ${report.acknowledged} acknowledged, ` +
        `${ids.length} distinct eventIds, all found in Kafka (${JSON.stringify(perTopic)})\n`,
    );
  }, 180_000);

  it('re-sends what a 503 refused, queues the device SMS until start-sms, and everything ends in Kafka', async () => {
    // The gate: 503 for every first attempt, the bridge's own answer for the others.
    const attempts: string[] = [];
    gate = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const count = /<CallbackCount>(\d+)</.exec(body.toString())?.[1];
        attempts.push(count ?? '?');
        if (count === '1') {
          res.writeHead(503, { 'retry-after': '1' }).end();
          return;
        }
        fetch(`${stack.base}${req.url}`, {
          method: 'POST',
          headers: { 'content-type': 'text/xml; charset=utf-8' },
          body,
        }).then(
          async (answer) => res.writeHead(answer.status).end(Buffer.from(await answer.arrayBuffer())),
          () => res.writeHead(502).end(),
        );
      });
    });
    await new Promise<void>((resolve) => gate!.listen(0, '127.0.0.1', resolve));
    const gateBase = `http://127.0.0.1:${(gate.address() as AddressInfo).port}`;

    // The bridge moved behind the gate: sync re-registers every service there.
    const moved = await callbacksCommand(gateBase, 'sync');
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain(
      `Plan: 0 to register, ${SOAP_SERVICES.length} to re-register, 0 to unregister`,
    );

    delivered.length = 0;
    const report = await simulator.send();
    const sms = delivered.filter((callback) => callback.root === 'SmsCallbackRequest').length;
    expect(sms).toBeGreaterThan(0);
    expect(report).toEqual({
      sent: delivered.length,
      acknowledged: delivered.length - sms,
      retried: delivered.length - sms,
      givenUp: 0,
      queued: sms,
      unfinished: 0,
    });
    expect(
      delivered.filter((callback) => callback.outcome === 'acknowledged').every((c) => c.attempts === 2),
    ).toBe(true);

    // The device SMS waits for StartSmsCallback (§3).
    expect(simulator.queued(ACCOUNT)).toBe(sms);
    const released = await callbacksCommand(gateBase, 'start-sms');
    expect(released).toMatchObject({ code: 0, stdout: `released queued device SMS of account ${ACCOUNT}\n` });
    expect(await simulator.settled()).toMatchObject({ sent: sms, acknowledged: sms });
    expect(simulator.queued()).toBe(0);

    const ids = (await Promise.all(delivered.map(stack.expectedEvent))).map((event) => event.eventId);
    await stack.untilInKafka(ids);
    process.stdout.write(
      `end-to-end retry: ${report.sent} callbacks, ${attempts.length} attempts at the gate ` +
        `(${report.retried} re-sent after a 503, ${sms} device SMS queued then released by start-sms), ` +
        `${new Set(ids).size} distinct eventIds, all found in Kafka\n`,
    );
  }, 180_000);
});
