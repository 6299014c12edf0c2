/**
 * Every mode switch of the spooling delivery, with the real Publisher and Spool over the shared fake producer: direct
 * while Kafka answers; handoff to the spool on a delivery failure and on the handoff deadline; everything spooled
 * while the spool is not empty; replay in order, its failures retried; back to direct once drained; a full spool;
 * a spool left by the last run; close() with records still spooled. Each waits for a condition, never a fixed time.
 */
import { PRODUCER_DEFAULTS } from '../../../../src/config';
import type { DeliveryRecord } from '../../../../src/kafka/delivery';
import { ShuttingDownError } from '../../../../src/kafka/errors';
import { Publisher } from '../../../../src/kafka/publisher';
import { SpoolFullError, SpoolUnavailableError } from '../../../../src/kafka/spool/errors';
import { Spool } from '../../../../src/kafka/spool/spool';
import {
  SpoolingPublisher,
  type SpoolingPublisherOptions,
} from '../../../../src/kafka/spool/spooling-publisher';
import { FakeProducer } from '../../../support/fake-producer';
import { tempDirs } from '../../../support/temp';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const delivery of open.splice(0)) await delivery.close();
});
const tempDir = tempDirs('spooling-unit-');

const record = (key: string, valueBytes?: number): DeliveryRecord => ({
  topic: 't',
  key,
  value: valueBytes === undefined ? Buffer.from(key) : Buffer.alloc(valueBytes),
  eventId: `event-${key}`,
});

interface SetUp {
  handoffMs?: number;
  maxBytes?: number;
  dir?: string;
  producer?: FakeProducer;
  start?: boolean;
  random?: () => number;
}

async function setUp({
  handoffMs = 50,
  maxBytes = 1e7,
  dir,
  producer = new FakeProducer(),
  start = true,
  random,
}: SetUp = {}) {
  dir ??= tempDir();
  const publisher = new Publisher(producer, {
    ...PRODUCER_DEFAULTS,
    deliveryTimeoutMs: 5_000,
    maxBatchRecords: 10,
  });
  const spool = await Spool.open({ dir, maxBytes, fsync: false });
  const logs: string[] = [];
  /** The waits a failed replay window announced. */
  const replayRetries: unknown[] = [];
  const counts = { spooled: 0, replayed: 0 };
  const options: SpoolingPublisherOptions = {
    handoffMs,
    maxBatchRecords: 10,
    maxBatchBytes: 1_000_000,
    schemaIds: new Map(),
    log: (_level, fields, message) => {
      logs.push(message);
      if (message === 'spool replay failed; will retry') replayRetries.push(fields.retryInMs);
    },
    random,
    onSpooled: () => counts.spooled++,
    onReplayed: (records) => (counts.replayed += records),
  };
  const delivery = new SpoolingPublisher(publisher, spool, options);
  open.push(delivery);
  if (start) await delivery.start();
  const send = (key: string) => delivery.deliver(record(key));
  return { producer, publisher, spool, delivery, send, logs, replayRetries, counts, dir };
}

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Reads back everything a spool directory holds, without acknowledging it. */
async function spooledIn(dir: string) {
  const spool = await Spool.open({ dir, maxBytes: 1e7, fsync: false });
  try {
    return await spool.read(1_000, 1e7);
  } finally {
    await spool.close();
  }
}

describe('SpoolingPublisher', () => {
  it('delivers directly while Kafka answers', async () => {
    const t = await setUp();
    const receipts = await Promise.all(['a1', 'a2'].map(t.send));
    expect(receipts.map((r) => r.held)).toEqual(['kafka', 'kafka']);
    expect(t.delivery.status()).toEqual({
      mode: 'direct',
      unavailable: undefined,
      queuedRecords: 0,
      spool: { records: 0, bytes: 0, maxBytes: 1e7, oldestAppendedAt: undefined },
    });
    await t.delivery.idle();
    expect(t.producer.writtenKeys).toEqual(['a1', 'a2']);
  });

  it('spools on a delivery failure, spools everything after, replays in order once Kafka is back, then goes direct', async () => {
    const t = await setUp();
    t.producer.down = true;
    const first = await Promise.all(['k1-1', 'k2-1', 'k1-2'].map(t.send));
    // Receipts name where each record lies in the spool, in arrival order.
    const positions = first.map((r) => (r.held === 'spool' ? r.position : -1));
    expect(first.map((r) => r.held === 'spool' && r.segment)).toEqual(
      first.map(() => '00000000000000000000.seg'),
    );
    expect(positions[0]).toBe(0);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(new Set(positions).size).toBe(3);
    expect(t.delivery.status()).toMatchObject({ mode: 'spooling', unavailable: undefined });
    expect(t.delivery.status().spool?.records).toBe(3);
    expect(t.delivery.status().spool?.oldestAppendedAt).toBeGreaterThan(0);
    // Kafka is back, but the spool is not empty: new records still go behind the spooled ones.
    t.producer.down = false;
    expect((await t.send('k1-3')).held).toBe('spool');
    await until(() => t.delivery.status().mode === 'direct');
    expect(t.producer.writtenKeys.filter((k) => k.startsWith('k1'))).toEqual(['k1-1', 'k1-2', 'k1-3']);
    expect(t.spool.stats().records).toBe(0);
    expect((await t.send('k1-4')).held).toBe('kafka');
    expect(t.counts).toEqual({ spooled: 4, replayed: 4 });
    expect(t.logs).toEqual(
      expect.arrayContaining([
        'Kafka is not keeping up: spooling',
        'spool drained: delivering directly again',
      ]),
    );
  });

  it('hands off after handoffMs, every pending direct attempt in arrival order, even if Kafka writes them later', async () => {
    const t = await setUp({ handoffMs: 30 });
    t.producer.hold();
    const results = await Promise.all(['k-1', 'k-2', 'k-3'].map(t.send));
    expect(results.every((r) => r.held === 'spool')).toBe(true);
    expect((await t.send('k-4')).held).toBe('spool');
    expect(t.logs).toEqual(['Kafka is not keeping up: spooling']);
    t.producer.release();
    await until(() => t.spool.isEmpty() && t.delivery.status().mode === 'direct');
    // The direct attempt landed after all: the replay skips those records rather than write copies after them.
    expect(t.producer.writtenKeys).toEqual(['k-1', 'k-2', 'k-3', 'k-4']);
  });

  it('a failed batch takes what queued behind it along: no newer record of a key is written before an older one', async () => {
    const t = await setUp({ handoffMs: 60_000 });
    t.producer.hold();
    const first = t.send('k-1');
    await until(() => t.producer.calls.length === 1);
    const second = t.send('k-2'); // queued behind the batch in flight
    t.producer.calls[0]!.fail(new Error('leader gone'));
    // Kafka is back at once: whatever is sent from now on is written.
    t.producer.release();
    expect((await Promise.all([first, second])).map((r) => r.held)).toEqual(['spool', 'spool']);
    await until(() => t.spool.isEmpty() && t.delivery.status().mode === 'direct');
    expect(t.producer.writtenKeys).toEqual(['k-1', 'k-2']);
  });

  it('a handoff withdraws what was not sent yet: only the batch in flight can still land directly, before the replay', async () => {
    const t = await setUp({ handoffMs: 40 });
    t.producer.hold();
    const first = t.send('k-1');
    await until(() => t.producer.calls.length === 1);
    const queued = ['k-2', 'k-3'].map(t.send); // behind the batch in flight when the handoff comes
    expect((await Promise.all([first, ...queued])).every((r) => r.held === 'spool')).toBe(true);
    // The batch in flight is written only now, long after the handoff: it was not withdrawn, the others were.
    t.producer.release();
    await until(() => t.spool.isEmpty() && t.delivery.status().mode === 'direct');
    expect(t.producer.writtenKeys).toEqual(['k-1', 'k-2', 'k-3']);
    expect(t.producer.calls.length).toBe(2);
  });

  it('keeps the eventId with each spooled record', async () => {
    const t = await setUp();
    t.producer.down = true;
    await Promise.all(['e1', 'e2'].map(t.send));
    await t.delivery.close();
    expect((await spooledIn(t.dir)).map((r) => [r.key, r.eventId])).toEqual([
      ['e1', 'event-e1'],
      ['e2', 'event-e2'],
    ]);
  });

  it('passes on a failure that is not Kafka not keeping up, without spooling', async () => {
    const producer = new FakeProducer();
    // A producer that breaks the BatchProducer contract: the Publisher rejects with a plain Error.
    producer.stampPartitions = false;
    const t = await setUp({ producer });
    await expect(t.send('x')).rejects.toThrow('sendBatch said nothing of where');
    expect(t.delivery.status().mode).toBe('direct');
    expect(t.spool.isEmpty()).toBe(true);
  });

  it('a full spool refuses with SpoolFullError and reports spool-full until the replay frees room', async () => {
    const t = await setUp({ maxBytes: 400 });
    t.producer.down = true;
    const outcomes = await Promise.allSettled(
      ['a', 'b', 'c', 'd', 'e'].map((key) => t.delivery.deliver(record(key, 100))),
    );
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.reason).toBeInstanceOf(SpoolFullError);
    expect(t.delivery.status()).toMatchObject({ mode: 'spooling', unavailable: 'spool-full' });
    t.producer.down = false;
    await until(() => t.delivery.status().mode === 'direct');
    expect(t.delivery.status().unavailable).toBeUndefined();
  });

  it('retries a failed replay window from the checkpoint: nothing lost, the order kept', async () => {
    const t = await setUp();
    t.producer.down = true;
    await Promise.all(['r-1', 'r-2', 'r-3'].map(t.send));
    // The replayer's first window fails too: Kafka is still down.
    await until(() => t.logs.includes('spool replay failed; will retry'));
    t.producer.down = false;
    await until(() => t.delivery.status().mode === 'direct');
    expect(t.producer.writtenKeys).toEqual(['r-1', 'r-2', 'r-3']);
  });

  it('waits between failed replay windows as the jittered backoff says, from 0.25 s doubling', async () => {
    // The jitter's bottom: half of 250, 500, 1000 ms.
    const t = await setUp({ random: () => 0 });
    t.producer.down = true;
    await t.send('j-1');
    await until(() => t.replayRetries.length === 3);
    expect(t.replayRetries).toEqual([125, 250, 500]);
    t.producer.down = false;
    await until(() => t.delivery.status().mode === 'direct');
    // Kafka took the window: the next failure starts from the first wait again.
    t.producer.down = true;
    await t.send('j-2');
    await until(() => t.replayRetries.length === 4);
    expect(t.replayRetries[3]).toBe(125);
  });

  it('restarts the replayer after its own failure (a spool read that throws), and waits out appends under way', async () => {
    const t = await setUp();
    const read = jest
      .spyOn(t.spool, 'read')
      .mockRejectedValueOnce(new Error('EIO'))
      // As when the records appended are not durable yet: the replayer waits for the next append.
      .mockResolvedValueOnce([]);
    t.producer.down = true;
    await t.send('s-1');
    await until(() => t.logs.includes('spool replayer failed; restarting it'));
    t.producer.down = false;
    await until(() => t.delivery.status().mode === 'direct');
    await t.send('s-2');
    await until(() => t.producer.writtenKeys.length === 2);
    expect(read.mock.calls.length).toBeGreaterThanOrEqual(3);
    expect(t.logs).toContain('spool replayer failed; restarting it');
    expect(t.producer.writtenKeys).toEqual(['s-1', 's-2']);
  });

  it('starts in spooling with a spool left by the last run, and replays it before anything new', async () => {
    const first = await setUp();
    first.producer.down = true;
    await Promise.all(['old-1', 'old-2'].map(first.send));
    await first.delivery.close();
    // A frame written before records carried their eventId replays too.
    const older = await Spool.open({ dir: first.dir, maxBytes: 1e7, fsync: false });
    await older.append({ topic: 't', key: 'old-3', value: Buffer.from('old-3') });
    await older.close();

    const t = await setUp({ dir: first.dir, start: false });
    expect(t.delivery.status().mode).toBe('spooling');
    expect((await t.send('new-1')).held).toBe('spool');
    await t.delivery.start();
    await until(() => t.delivery.status().mode === 'direct');
    expect(t.producer.writtenKeys).toEqual(['old-1', 'old-2', 'old-3', 'new-1']);
  });

  it('a failed start (Kafka unreachable) can be retried', async () => {
    const producer = new FakeProducer();
    producer.down = true;
    const t = await setUp({ producer, start: false });
    await expect(t.delivery.start()).rejects.toThrow('Could not connect to Kafka');
    producer.down = false;
    await t.delivery.start();
    expect((await t.send('after')).held).toBe('kafka');
  });

  it('close() stops a replayer that is waiting for Kafka, keeps what is spooled, and refuses what comes after', async () => {
    const t = await setUp();
    t.producer.down = true;
    await t.send('kept');
    await until(() => t.logs.includes('spool replay failed; will retry'));
    await t.delivery.close();
    await t.delivery.close(); // idempotent
    expect((await spooledIn(t.dir)).map((r) => r.key)).toEqual(['kept']);
    await expect(t.publisher.deliver(record('late'))).rejects.toBeInstanceOf(ShuttingDownError);
  });

  it('passes on a spool that cannot write, without reporting it full', async () => {
    const t = await setUp();
    jest
      .spyOn(t.spool, 'append')
      .mockRejectedValueOnce(new SpoolUnavailableError('Could not write to the spool'));
    t.producer.down = true;
    await expect(t.send('lost')).rejects.toBeInstanceOf(SpoolUnavailableError);
    expect(t.delivery.status()).toMatchObject({ mode: 'spooling', unavailable: undefined });
  });

  it('idle() waits for the Publisher to have nothing queued or in flight', async () => {
    const t = await setUp();
    t.producer.hold();
    const sent = t.send('i-1');
    let idle = false;
    const waiting = t.delivery.idle().then(() => (idle = true));
    await until(() => t.producer.calls.length === 1);
    expect(idle).toBe(false);
    t.producer.release();
    await Promise.all([sent, waiting]);
    expect(idle).toBe(true);
  });
});
