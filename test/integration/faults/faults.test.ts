/**
 * Fault injection against a real broker of this file's own (killing it must not disturb other test files):
 * the broker SIGKILLed under load and restarted, the bridge SIGKILLed with records in its spool, Kafka down
 * without the spool, and a hanging broker (SIGSTOP). Each test prints what it counted.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killKafka, pauseKafka, restartKafka, resumeKafka } from '../../infra/stack/stack';
import { listeningPort, serve } from '../../support/serve';
import { tempDirs } from '../../support/temp';
import {
  account,
  bridgeConfig,
  load,
  fileStack,
  print,
  readTopic,
  readyz,
  sleep,
  startBridge,
  until,
  type Sent,
} from './support';

const HANDOFF_MS = 1_000;
const DELIVERY_TIMEOUT_MS = 3_000;
/** The bridge's RSS while the broker hangs under 1000 clients: the chart's memory limit. */
const RSS_BOUND = 512 * 1024 * 1024;

const stack = fileStack();

/** Spool directories and config files of the bridges, removed after the tests. */
const tempDir = tempDirs('faults-');

describe('faults', () => {
  it('Kafka SIGKILLed under load, then restarted: every 200 is in Kafka, per-device order holds, the spool drains', async () => {
    const spoolDir = tempDir('spool-');
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
      await until(() => acknowledged(sent) >= 100, 30_000, 'callbacks acknowledged before the kill');
      await killKafka({ stackDir: stack.stackDir });
      const killedAt = sent.length;
      // A time on purpose: the outage lasts longer than the handoff and the delivery deadline.
      await sleep(DELIVERY_TIMEOUT_MS + 3_000);
      const duringOutage = await readyz(running.port);
      await restartKafka({ stackDir: stack.stackDir });
      // The load goes on while the spool replays: new callbacks must queue behind the spooled ones.
      const restartedAt = sent.length;
      await until(
        () => acknowledged(sent, restartedAt) >= 200,
        30_000,
        'callbacks acknowledged after the restart',
      );
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
      expect(counts.stampedLate).toEqual([]);
      expect(await metric(running.port, 'thingspace_bridge_spool_replayed_records_total')).toBeGreaterThan(0);
    } finally {
      await running.bridge.close();
    }
  }, 120_000);

  it('bridge SIGKILLed with records in its spool (Kafka down), restarted with Kafka back: nothing acknowledged is missing', async () => {
    const dir = tempDir('serve-');
    const spoolDir = join(dir, 'spool');
    const file = join(dir, 'bridge.json');
    writeFileSync(
      file,
      JSON.stringify(
        bridgeConfig(stack, {
          spool: { enabled: true, dir: spoolDir, handoffMs: HANDOFF_MS },
          producer: { deliveryTimeoutMs: DELIVERY_TIMEOUT_MS },
        }),
      ),
    );
    const topic = readTopicName(file);
    let child = serveOnOurStack(file);
    let port = await listeningPort(child);
    await until(
      async () => (await readyz(port).catch(() => ({ status: 'no' }))).status === 'ready',
      60_000,
      'ready',
    );

    const sent: Sent[] = [];
    let stop = false;
    const loading = load(
      () => port,
      10,
      () => stop,
      sent,
      { pauseMs: 20 },
    );
    await until(() => acknowledged(sent) >= 50, 30_000, 'callbacks acknowledged before the kill');
    await killKafka({ stackDir: stack.stackDir });
    await until(() => sent.filter((s) => s.status === 200).length > 400, 30_000, 'callbacks spooled');
    const beforeKill = await readyz(port);
    // SIGKILL while the load runs: requests in flight get a socket error (not a 200), the spool keeps the rest.
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    stop = true;
    await loading;
    const segments = readdirSync(spoolDir).filter((name) => name.endsWith('.seg')).length;

    await restartKafka({ stackDir: stack.stackDir });
    child = serveOnOurStack(file);
    port = await listeningPort(child);
    const reopened = await readyz(port);
    await until(
      async () => {
        const r = await readyz(port).catch(() => undefined);
        return r?.status === 'ready' && r.delivery === 'direct' && r.spool?.records === 0;
      },
      90_000,
      'the restarted bridge to drain its spool',
    );
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));

    const counts = account(sent, await readTopic(stack.kafka, topic));
    print('faults: bridge SIGKILLed with a spool', counts, {
      spoolBeforeKill: beforeKill.spool,
      segments,
      spoolAtRestart: reopened.spool,
    });
    expect(beforeKill.spool!.records).toBeGreaterThan(0);
    expect(counts.missing).toEqual([]);
    expect(counts.orderViolations).toEqual([]);
    expect(counts.stampedLate).toEqual([]);
    expect(Object.keys(counts.statuses).every((s) => s === '200' || s === '0')).toBe(true);
  }, 150_000);

  it('spool disabled: Kafka down means 503 within the delivery deadline, and every 200 is in Kafka', async () => {
    const running = await startBridge(stack, { producer: { deliveryTimeoutMs: DELIVERY_TIMEOUT_MS } });
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
      await until(() => acknowledged(sent) >= 100, 30_000, 'callbacks acknowledged before the kill');
      await killKafka({ stackDir: stack.stackDir });
      const killedAt = sent.length;
      // A time on purpose: callbacks keep arriving through an outage longer than the delivery deadline.
      await sleep(DELIVERY_TIMEOUT_MS + 3_000);
      stop = true;
      await loading;
      const duringOutage = sent.slice(killedAt);
      await restartKafka({ stackDir: stack.stackDir });
      const counts = account(sent, await readTopic(stack.kafka, running.topic));
      const slowest = Math.round(Math.max(...sent.map((s) => s.ms)));
      print('faults: spool disabled, Kafka down', counts, {
        answeredDuringOutage: duringOutage.length,
        status503DuringOutage: duringOutage.filter((s) => s.status === 503).length,
        slowestMs: slowest,
      });
      expect(duringOutage.filter((s) => s.status === 503).length).toBeGreaterThan(0);
      // No request hangs past the delivery deadline (plus a linger and the answer).
      expect(slowest).toBeLessThan(DELIVERY_TIMEOUT_MS + 1_500);
      expect(counts.missing).toEqual([]);
      expect(Object.keys(counts.statuses).every((s) => s === '200' || s === '503')).toBe(true);
    } finally {
      await running.bridge.close();
    }
  }, 120_000);

  it('hanging broker (SIGSTOP): backpressure answers 503 at once, the bridge memory stays bounded, every 200 is in Kafka', async () => {
    // The bridge in a process of its own, so that its RSS is its own and not the load generator's.
    const dir = tempDir('slow-');
    const file = join(dir, 'bridge.json');
    writeFileSync(
      file,
      JSON.stringify(
        bridgeConfig(stack, { producer: { deliveryTimeoutMs: DELIVERY_TIMEOUT_MS, maxQueuedRecords: 500 } }),
      ),
    );
    const topic = readTopicName(file);
    const child = serveOnOurStack(file);
    try {
      const port = await listeningPort(child);
      await until(
        async () => (await readyz(port).catch(() => ({ status: 'no' }))).status === 'ready',
        60_000,
        'ready',
      );
      const sent: Sent[] = [];
      let stop = false;
      const rss = { before: rssOf(child.pid!), peak: 0 };
      const sampler = setInterval(() => (rss.peak = Math.max(rss.peak, rssOf(child.pid!))), 100);
      // Many more clients than the queue holds: the queue fills while the broker hangs.
      const loading = load(
        () => port,
        1_000,
        () => stop,
        sent,
        { pauseMs: 10 },
      );
      await until(() => acknowledged(sent) >= 200, 30_000, 'callbacks acknowledged before the pause');
      await pauseKafka({ stackDir: stack.stackDir });
      const pausedAt = sent.length;
      // A time on purpose: the broker hangs for a while under the load, the queue full, the RSS sampled.
      await sleep(8_000);
      const duringPause = sent.slice(pausedAt);
      await resumeKafka({ stackDir: stack.stackDir });
      const resumedAt = sent.length;
      await until(
        () => acknowledged(sent, resumedAt) >= 200,
        30_000,
        'callbacks acknowledged after the broker resumed',
      );
      stop = true;
      await loading;
      clearInterval(sampler);
      const counts = account(sent, await readTopic(stack.kafka, topic));
      const mib = (n: number) => Math.round(n / 1024 / 1024);
      print('faults: hanging broker', counts, {
        answeredDuringPause: duringPause.length,
        status503DuringPause: duringPause.filter((s) => s.status === 503).length,
        slowestMs: Math.round(Math.max(...sent.map((s) => s.ms))),
        bridgeRssBeforeMiB: mib(rss.before),
        bridgeRssPeakMiB: mib(rss.peak),
      });
      expect(duringPause.filter((s) => s.status === 503).length).toBeGreaterThan(0);
      expect(rss.peak).toBeLessThan(RSS_BOUND);
      expect(counts.missing).toEqual([]);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 120_000);
});

function serveOnOurStack(configFile: string) {
  // The environment names the shared stack (KAFKA_BROKERS etc. override the config file): point it at ours.
  return serve(configFile, {
    env: { ...process.env, KAFKA_BROKERS: stack.brokers.join(','), SCHEMA_REGISTRY_URL: stack.registryUrl },
  });
}

/** How many of the answers from the `from`-th on were 200s. */
function acknowledged(sent: readonly Sent[], from = 0): number {
  return sent.slice(from).filter((s) => s.status === 200).length;
}

/** Resident set size of a process, in bytes (Linux). */
function rssOf(pid: number): number {
  try {
    const kib = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kib ?? 0) * 1024;
  } catch {
    return 0;
  }
}

function readTopicName(configFile: string): string {
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as {
    kafka: { topics: { asyncResponses: string } };
  };
  return config.kafka.topics.asyncResponses;
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? NaN);
}
