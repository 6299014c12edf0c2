/**
 * The Kafka side's boot retried: each failed attempt reported, the waits between them the jittered backoff's, an
 * abort ending the loop at once, each retry logged with its cause in words. The Kafka side is a stand-in whose admin never connects.
 */
import { bootKafkaSide, type KafkaSide } from '../../../src/bridge/boot';
import { NotReadyError } from '../../../src/http/errors';
import { capturingLogger } from '../../support/logs';

function setUp(random: () => number) {
  const logs: string[] = [];
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), {
    code: 'ECONNREFUSED',
    address: '127.0.0.1',
    port: 9092,
  });
  const admin = {
    connect: jest.fn(() => Promise.reject(refused)),
    disconnect: jest.fn(() => Promise.resolve()),
  };
  const stop = new AbortController();
  const failures: unknown[] = [];
  // Only what a boot whose admin never connects reaches.
  const side = {
    kafka: { admin: () => admin },
    logger: capturingLogger({ level: 'info' }, logs),
    onCheck: (_check: string, err?: unknown) => {
      if (err === undefined) return;
      failures.push(err);
      // As close() would: from outside, while the loop waits.
      if (failures.length === 3) setImmediate(() => stop.abort());
    },
    random,
  } as unknown as KafkaSide;
  /** Each retry's log line: its message and wait. */
  const retries = () =>
    logs
      .map((line) => JSON.parse(line) as { msg: string; retryInMs?: number })
      .map(({ msg, retryInMs }) => ({ msg, retryInMs }));
  return { side, admin, retries, failures, signal: stop.signal };
}

describe('bootKafkaSide', () => {
  it.each([
    ['at its bottom', 0, [250, 500, 1_000]],
    ['at its top', 1, [500, 1_000, 2_000]],
  ])(
    'retries a failed boot after the jittered backoff from 0.5 s (%s), until aborted',
    async (_name, jitter, expected) => {
      const { side, admin, retries, failures, signal } = setUp(() => jitter);
      const started = Date.now();
      await expect(bootKafkaSide(side, signal)).rejects.toBeInstanceOf(NotReadyError);
      expect(failures).toHaveLength(3);
      // Each retry logged with the cause in words, as /readyz says it.
      expect(retries()).toEqual(
        expected.map((retryInMs) => ({
          msg: 'cannot boot the Kafka side yet: connection refused by 127.0.0.1:9092',
          retryInMs,
        })),
      );
      // The third wait was cut short by the abort: only the first two were waited out.
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(expected[0]! + expected[1]! - 20);
      expect(waited).toBeLessThan(expected[0]! + expected[1]! + expected[2]! / 2);
      expect(admin.connect).toHaveBeenCalledTimes(3);
      expect(admin.disconnect).toHaveBeenCalledTimes(1);
    },
  );
});
