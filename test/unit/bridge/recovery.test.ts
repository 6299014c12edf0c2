import { Writable } from 'node:stream';
import { parseConfig } from '../../../src/config';
import type { Readiness } from '../../../src/http/app';
import { createLogger, createMetrics } from '../../../src/observability';
import { RecoveryLoop } from '../../../src/bridge/recovery';
import { KafkaUnavailableError } from '../../../src/kafka/errors';

const { config } = parseConfig(
  {
    accounts: [
      { name: 'a', username: 'ua', password: 'pw-1234', services: ['*'] },
      { name: 'b', username: 'ub', password: 'pw-1234', services: ['EnhancedConnectivityService'] },
    ],
    kafka: { brokers: ['k:9092'] },
    schemaRegistry: { url: 'http://r:8081' },
  },
  {},
);

const OPTIONS = { quietMs: 1_000, checkIntervalMs: 100, retryDelayMs: 500, maxRetryDelayMs: 1_500 };

function setUp(
  startSms: (account: string) => Promise<void> = () => Promise.resolve(),
  random?: () => number,
) {
  let now = 10_000;
  let readiness: ReturnType<Readiness> = undefined;
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Record<string, unknown>),
      );
      done();
    },
  });
  const metrics = createMetrics();
  const calls: string[] = [];
  const loop = new RecoveryLoop({
    config,
    options: OPTIONS,
    startSms: (account) => {
      calls.push(account);
      return startSms(account);
    },
    readiness: () => readiness,
    metrics,
    logger: createLogger({ level: 'info' }, stream),
    now: () => now,
    random,
  });
  return {
    loop,
    calls,
    lines,
    metrics,
    advance: (ms: number) => (now += ms),
    setReadiness: (value: ReturnType<Readiness>) => (readiness = value),
  };
}

async function metric(metrics: ReturnType<typeof createMetrics>, line: string): Promise<boolean> {
  return (await metrics.registry.metrics()).includes(`${line}\n`);
}

describe('recovery loop', () => {
  it('calls start-sms for the affected account once ready and quiet for quietMs, then forgets it', async () => {
    const { loop, calls, advance, setReadiness, metrics, lines } = setUp();
    setReadiness('starting');
    loop.refused('EnhancedConnectivityService', new Error('not ready'));
    expect(loop.pending).toEqual(['a', 'b']);
    advance(5_000);
    expect(loop.tick()).toBeUndefined(); // not ready
    setReadiness(undefined);
    advance(999);
    expect(loop.tick()).toBeUndefined(); // ready, not yet quiet long enough
    advance(1);
    await loop.tick();
    expect(calls).toEqual(['a', 'b']);
    expect(loop.pending).toEqual([]);
    expect(await metric(metrics, 'thingspace_bridge_recovery_calls_total{outcome="released"} 2')).toBe(true);
    expect(await metric(metrics, 'thingspace_bridge_recovery_pending_accounts 0')).toBe(true);
    expect(
      lines
        .filter((line) => line.msg === 'recovery: StartSmsCallback called, queued device messages released')
        .map((line) => line.account),
    ).toEqual(['a', 'b']);
    advance(10_000);
    expect(loop.tick()).toBeUndefined();
  });

  it('a refusal the pipeline attributed to its account is not widened by the HTTP layer', () => {
    const { loop } = setUp();
    const reason = new KafkaUnavailableError('down');
    loop.refusedAfterAuth('EnhancedConnectivityService', 'b', reason);
    loop.refused('EnhancedConnectivityService', reason);
    expect(loop.pending).toEqual(['b']);
    loop.refused('CarrierService', new Error('other'));
    expect(loop.pending).toEqual(['b']);
  });

  it('readiness lost to Kafka or a full spool affects every account; starting and draining do not', () => {
    const { loop, setReadiness } = setUp();
    setReadiness('starting');
    expect(loop.tick()).toBeUndefined();
    setReadiness('draining');
    expect(loop.tick()).toBeUndefined();
    expect(loop.pending).toEqual([]);
    setReadiness('spool-full');
    expect(loop.tick()).toBeUndefined();
    expect(loop.pending).toEqual(['a', 'b']);
  });

  it.each([
    // The jitter's top: the unjittered delays, 500, 1000, 1500, 1500 ms apart after the quiet second.
    ['at its top', 1, [1_000, 1_500, 2_500, 4_000, 5_500], 500],
    // Its bottom: half of them, 250, 500, 750, 750 ms (the next tick of 100 ms after each).
    ['at its bottom', 0, [1_000, 1_300, 1_800, 2_600, 3_400], 250],
  ])(
    'a failed call is retried after a doubling delay, capped, jittered (%s); the failure is counted and logged',
    async (_name, jitter, expected, firstRetryInMs) => {
      let failing = true;
      const { loop, calls, advance, metrics, lines } = setUp(
        () => (failing ? Promise.reject(new Error('platform says no')) : Promise.resolve()),
        () => jitter,
      );
      loop.refusedAfterAuth('NiddService', 'a', new Error('x'));
      const at: number[] = [];
      let elapsed = 0;
      const step = async (ms: number) => {
        advance(ms);
        elapsed += ms;
        const before = calls.length;
        await loop.tick();
        if (calls.length > before) at.push(elapsed);
      };
      while (at.length < 5 && elapsed < 10_000) await step(100);
      expect(at).toEqual(expected);
      failing = false;
      for (let i = 0; i < 20; i++) await step(100);
      expect(loop.pending).toEqual([]);
      expect(await metric(metrics, 'thingspace_bridge_recovery_calls_total{outcome="failed"} 5')).toBe(true);
      const failure = lines.find((line) => line.msg === 'recovery: StartSmsCallback failed');
      expect(failure).toMatchObject({ account: 'a', err: 'platform says no', retryInMs: firstRetryInMs });
    },
  );

  it('an account refused again while its call is under way stays pending', async () => {
    let finish: () => void = () => undefined;
    const { loop, calls, advance } = setUp(() => new Promise<void>((resolve) => (finish = resolve)));
    loop.refusedAfterAuth('EnhancedConnectivityService', 'b', new Error('x'));
    advance(1_000);
    const round = loop.tick()!;
    advance(10);
    loop.refusedAfterAuth('EnhancedConnectivityService', 'b', new Error('y'));
    expect(loop.tick()).toBeUndefined(); // one round at a time
    finish();
    await round;
    expect(calls).toEqual(['b']);
    expect(loop.pending).toEqual(['b']);
  });
});
