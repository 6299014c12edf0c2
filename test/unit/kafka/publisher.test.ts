/**
 * The batcher's own logic, with a fake producer standing in for kafkajs: queue caps, linger, one sendBatch in
 * flight, offset mapping, deadlines, close(). What this claims of Kafka itself is proven again against the real
 * broker in test/integration/kafka/publisher.test.ts.
 */
import {
  DeliveryTimeoutError,
  KafkaUnavailableError,
  QueueFullError,
  ShuttingDownError,
} from '../../../src/kafka/errors';
import { PRODUCER_DEFAULTS } from '../../../src/config';
import type { Receipt } from '../../../src/kafka/delivery';
import { Publisher, type PublisherOptions } from '../../../src/kafka/publisher';
import { FakeProducer } from '../../support/fake-producer';

const record = (id: string, topic = 'topic-a', key = `key-${id}`) => ({
  topic,
  key,
  value: Buffer.from(id),
  eventId: `event-${id}`,
});

const live: { publisher: Publisher; producer: FakeProducer }[] = [];

async function started(producer: FakeProducer, options: Partial<PublisherOptions> = {}): Promise<Publisher> {
  const publisher = new Publisher(producer, { ...PRODUCER_DEFAULTS, ...options });
  live.push({ publisher, producer });
  await publisher.start();
  return publisher;
}

// Whatever a test left held or queued completes, and no timer outlives the test.
afterEach(async () => {
  jest.useRealTimers();
  for (const { publisher, producer } of live.splice(0)) {
    producer.release();
    await publisher.close();
  }
});

describe('Publisher', () => {
  describe('batching', () => {
    it('gathers concurrent publishes into one sendBatch, acks=all, grouped by topic in arrival order', async () => {
      const producer = new FakeProducer();
      const publisher = await started(producer);

      await Promise.all([
        publisher.deliver(record('1', 'topic-a')),
        publisher.deliver(record('2', 'topic-b')),
        publisher.deliver({ ...record('3', 'topic-a'), headers: { 'content-type': 'avro' } }),
      ]);

      expect(producer.calls).toHaveLength(1);
      const { batch } = producer.calls[0]!;
      expect(batch.acks).toBe(-1);
      expect(batch.topicMessages!.map((t) => [t.topic, t.messages.map((m) => m.value!.toString())])).toEqual([
        ['topic-a', ['1', '3']],
        ['topic-b', ['2']],
      ]);
      expect(batch.topicMessages![0]!.messages[1]!.headers).toEqual({ 'content-type': 'avro' });
    });

    it('never has more than one sendBatch in flight: 1,000 concurrent publishes, each sent exactly once', async () => {
      const producer = new FakeProducer();
      const publisher = await started(producer, { lingerMs: 1, maxBatchRecords: 64 });
      const ids = Array.from({ length: 1000 }, (_, i) => String(i));

      const results = await Promise.all(ids.map((id) => publisher.deliver(record(id))));

      expect(producer.maxInFlight).toBe(1);
      expect(results).toHaveLength(1000);
      expect(producer.sentValues().sort()).toEqual([...ids].sort());
      expect(producer.calls.length).toBeGreaterThanOrEqual(Math.ceil(1000 / 64));
      for (const { batch } of producer.calls) {
        expect(batch.topicMessages![0]!.messages.length).toBeLessThanOrEqual(64);
      }
    });

    it('caps a batch at maxBatchRecords and maxBatchBytes; a record larger than the byte cap goes alone', async () => {
      const producer = new FakeProducer();
      const byRecords = await started(producer, { maxBatchRecords: 4 });
      await Promise.all(Array.from({ length: 10 }, (_, i) => byRecords.deliver(record(String(i)))));
      expect(producer.calls.map((c) => c.batch.topicMessages![0]!.messages.length)).toEqual([4, 4, 2]);

      const bytesProducer = new FakeProducer();
      const byBytes = await started(bytesProducer, { maxBatchBytes: 250 });
      // 100 bytes each: 2-byte key + 98-byte value.
      const sized = (id: string, size = 98) => ({
        topic: 't',
        key: 'k' + id,
        value: Buffer.from(id.repeat(size)),
        eventId: id,
      });
      await Promise.all([
        byBytes.deliver(sized('a')),
        byBytes.deliver(sized('b')),
        byBytes.deliver(sized('c')),
        byBytes.deliver(sized('d', 500)),
        byBytes.deliver(sized('e')),
      ]);
      expect(bytesProducer.calls.map((c) => c.batch.topicMessages![0]!.messages.length)).toEqual([
        2, 1, 1, 1,
      ]);
    });

    it('lingers lingerMs for company when idle, and sends a full batch at once', async () => {
      jest.useFakeTimers();
      const producer = new FakeProducer(true);
      const publisher = await started(producer, { lingerMs: 20, maxBatchRecords: 3 });

      void publisher.deliver(record('1'));
      await jest.advanceTimersByTimeAsync(19);
      expect(producer.calls).toHaveLength(0);
      await jest.advanceTimersByTimeAsync(1);
      expect(producer.calls).toHaveLength(1);
      producer.calls[0]!.complete();
      await jest.advanceTimersByTimeAsync(0);

      void publisher.deliver(record('2'));
      void publisher.deliver(record('3'));
      expect(producer.calls).toHaveLength(1);
      void publisher.deliver(record('4'));
      expect(producer.calls).toHaveLength(2);
    });

    it('without a linger, sends in the next turn of the event loop what this turn queued', async () => {
      const producer = new FakeProducer(true);
      const publisher = await started(producer, { lingerMs: 0, maxBatchRecords: 10 });

      void publisher.deliver(record('1'));
      void publisher.deliver(record('2'));
      expect(producer.calls).toHaveLength(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(producer.calls).toHaveLength(1);
      expect(producer.calls[0]!.batch.topicMessages![0]!.messages).toHaveLength(2);
    });

    it('sends what queued up during a batch as soon as that batch completes', async () => {
      const producer = new FakeProducer(true);
      const publisher = await started(producer, { lingerMs: 60_000, maxBatchRecords: 1 });

      const first = publisher.deliver(record('1'));
      const queued = [publisher.deliver(record('2')), publisher.deliver(record('3'))];
      expect(producer.calls).toHaveLength(1);
      producer.calls[0]!.complete();
      await first;
      expect(producer.calls).toHaveLength(2);
      producer.calls[1]!.complete();
      await queued[0];
      producer.calls[2]!.complete();
      await Promise.all(queued);
    });
  });

  it("hands each record's timestamp (when it was received) to Kafka as its CreateTime, and none when it has none", async () => {
    const producer = new FakeProducer();
    const publisher = await started(producer);
    await Promise.all([
      publisher.deliver({ ...record('a'), timestamp: 1_700_000_000_123 }),
      publisher.deliver(record('b')),
    ]);
    const messages = producer.calls.flatMap((c) => c.batch.topicMessages!.flatMap((t) => t.messages));
    expect(messages.map((m) => [m.value!.toString(), m.timestamp])).toEqual([
      ['a', '1700000000123'],
      ['b', undefined],
    ]);
  });

  describe('offsets', () => {
    it("settles each caller with its own record's partition and offset: base offset + index in the partition", async () => {
      const producer = new FakeProducer(false, 4);
      const publisher = await started(producer, { maxBatchRecords: 50 });
      // Few keys over two topics: many records share a partition within a batch, over several batches.
      const records = Array.from({ length: 300 }, (_, i) =>
        record(String(i), i % 3 === 0 ? 'topic-b' : 'topic-a', `device-${i % 7}`),
      );

      const results = await Promise.all(records.map((r) => publisher.deliver(r)));

      results.forEach((result, i) => {
        const { topic, value } = records[i]!;
        expect(result).toEqual<Receipt>({ held: 'kafka', topic, ...producer.positionOf(value.toString())! });
      });
      expect(new Set(results.map((r) => `${r.topic}/${r.partition}/${r.offset}`)).size).toBe(300);
    });

    it('computes offsets past 2^53 exactly', async () => {
      const producer = new FakeProducer();
      producer.sendBatch = async (batch) => {
        for (const m of batch.topicMessages![0]!.messages) m.partition = 0;
        return [{ topicName: 't', partition: 0, errorCode: 0, baseOffset: '9007199254740993' }];
      };
      const publisher = await started(producer);

      const results = await Promise.all([
        publisher.deliver(record('1', 't')),
        publisher.deliver(record('2', 't')),
      ]);

      expect(results.map((r) => r.offset)).toEqual(['9007199254740993', '9007199254740994']);
    });

    it('rejects with a plain Error (a bug, not a 503) when the producer does not say where a record went', async () => {
      const producer = new FakeProducer();
      producer.stampPartitions = false;
      const publisher = await started(producer);

      const error = await publisher.deliver(record('1')).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(KafkaUnavailableError);
      expect((error as Error).message).toMatch(/said nothing of where a record of topic-a went/);
    });

    it('rejects with KAFKA_UNAVAILABLE (retriable) the records of a partition the answer left out', async () => {
      const producer = new FakeProducer();
      const publisher = await started(producer);
      // The fake's partitioner: key-a and key-b land on different partitions of its three; key-b's is left out.
      const partitionOf = (id: string) => [...`key-${id}`].reduce((sum, c) => sum + c.charCodeAt(0), 0) % 3;
      producer.unanswered.add(partitionOf('b'));

      const [a, b] = await Promise.allSettled([
        publisher.deliver(record('a')),
        publisher.deliver(record('b')),
      ]);

      expect(a).toMatchObject({ status: 'fulfilled', value: { held: 'kafka', partition: partitionOf('a') } });
      expect(b).toMatchObject({ status: 'rejected', reason: expect.any(KafkaUnavailableError) as unknown });
      expect((b as PromiseRejectedResult).reason).toMatchObject({
        message: `Kafka acknowledged the batch without topic-a partition ${partitionOf('b')}`,
      });
    });
  });

  describe('bounds', () => {
    it('rejects at once with QUEUE_FULL beyond maxQueuedRecords, the batch in flight not counted', async () => {
      const producer = new FakeProducer(true);
      const publisher = await started(producer, { maxBatchRecords: 1, maxQueuedRecords: 3 });
      const accepted = ['1', '2', '3', '4'].map((id) => publisher.deliver(record(id)));
      expect(publisher.stats()).toMatchObject({ queuedRecords: 3, inFlightRecords: 1 });

      // Still rejects while the batch in flight is held: it did not wait for room.
      const error = await publisher.deliver(record('5')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QueueFullError);
      expect((error as QueueFullError).retryAfterSeconds).toBeGreaterThanOrEqual(1);

      for (let i = 0; i < 4; i++) {
        producer.calls[i]!.complete();
        await accepted[i];
      }
      const after = publisher.deliver(record('6'));
      await waitFor(() => producer.calls.length === 5);
      producer.calls[4]!.complete();
      await expect(after).resolves.toMatchObject({ topic: 'topic-a' });
      expect(producer.sentValues()).toEqual(['1', '2', '3', '4', '6']);
    });

    it('rejects with QUEUE_FULL beyond maxQueuedBytes', async () => {
      const producer = new FakeProducer(true);
      const publisher = await started(producer, { maxBatchRecords: 1, maxQueuedBytes: 250 });
      const sized = (id: string) => ({ topic: 't', key: 'k' + id, value: Buffer.alloc(98), eventId: id });
      void publisher.deliver(sized('0')); // in flight
      void publisher.deliver(sized('1'));
      void publisher.deliver(sized('2'));
      expect(publisher.stats()).toMatchObject({ queuedRecords: 2, queuedBytes: 200 });

      await expect(publisher.deliver(sized('3'))).rejects.toBeInstanceOf(QueueFullError);
    });

    it('rejects every record of a failed batch with KAFKA_UNAVAILABLE (cause kept), then carries on', async () => {
      const producer = new FakeProducer(true);
      const publisher = await started(producer);
      const failing = [publisher.deliver(record('1')), publisher.deliver(record('2'))];
      await waitFor(() => producer.calls.length === 1);
      const cause = new Error('broker gone');
      producer.calls[0]!.fail(cause);

      for (const result of await Promise.allSettled(failing)) {
        expect(result.status).toBe('rejected');
        const reason = (result as PromiseRejectedResult).reason as KafkaUnavailableError;
        expect(reason).toBeInstanceOf(KafkaUnavailableError);
        expect(reason.cause).toBe(cause);
      }

      const next = publisher.deliver(record('3'));
      await waitFor(() => producer.calls.length === 2);
      producer.calls[1]!.complete();
      await expect(next).resolves.toMatchObject({ offset: '0' });
      expect(publisher.stats()).toMatchObject({ batchesSent: 1, batchesFailed: 1 });
    });

    it('rejects with DELIVERY_TIMEOUT what Kafka has not acknowledged by the deadline, in flight or queued', async () => {
      jest.useFakeTimers();
      const producer = new FakeProducer(true);
      const publisher = await started(producer, {
        lingerMs: 5,
        deliveryTimeoutMs: 1000,
        maxBatchRecords: 10,
      });

      const inFlight = settled(publisher.deliver(record('0')));
      await jest.advanceTimersByTimeAsync(5); // '0' in flight, held
      const expiresQueued = settled(publisher.deliver(record('1')));
      await jest.advanceTimersByTimeAsync(1000);

      expect(await inFlight).toBeInstanceOf(DeliveryTimeoutError);
      expect(await expiresQueued).toBeInstanceOf(DeliveryTimeoutError);
      expect(publisher.stats()).toMatchObject({ queuedRecords: 0, queuedBytes: 0 });

      // The late acknowledgement changes nothing for '0'; '1' was dropped from the queue, never sent.
      producer.calls[0]!.complete();
      await jest.advanceTimersByTimeAsync(0);
      expect(producer.sentValues()).toEqual(['0']);
    });

    it('still counts a record answered by its deadline when mapping the offsets of the rest of its batch', async () => {
      jest.useFakeTimers();
      const producer = new FakeProducer(true, 1);
      const publisher = await started(producer, { lingerMs: 5, deliveryTimeoutMs: 1000 });

      void settled(publisher.deliver(record('0')));
      await jest.advanceTimersByTimeAsync(5); // '0' in flight, held
      const early = settled(publisher.deliver(record('1'))); // deadline t=1005
      await jest.advanceTimersByTimeAsync(600);
      const late = publisher.deliver(record('2')); // deadline t=1605
      producer.calls[0]!.complete();
      await jest.advanceTimersByTimeAsync(0); // batch ['1', '2'] in flight, held
      await jest.advanceTimersByTimeAsync(400); // t=1005

      expect(await early).toBeInstanceOf(DeliveryTimeoutError);
      producer.calls[1]!.complete();
      expect(producer.sentValues()).toEqual(['0', '1', '2']);
      await expect(late).resolves.toEqual({ held: 'kafka', topic: 'topic-a', partition: 0, offset: '2' });
    });
  });

  describe('close()', () => {
    it('stops accepting, flushes the queue without lingering, then disconnects', async () => {
      const producer = new FakeProducer();
      const publisher = await started(producer, { lingerMs: 60_000 });
      const queued = [publisher.deliver(record('1')), publisher.deliver(record('2'))];

      const closing = publisher.close();
      await expect(publisher.deliver(record('3'))).rejects.toBeInstanceOf(ShuttingDownError);
      await closing;

      await expect(Promise.all(queued)).resolves.toHaveLength(2);
      expect(producer.events).toEqual(['connect', 'sendBatch', 'sendBatch done', 'disconnect']);
      expect(publisher.close()).toBe(closing);
      await expect(publisher.deliver(record('4'))).rejects.toBeInstanceOf(ShuttingDownError);
    });

    it('waits for the batch in flight and sends the rest after it', async () => {
      const producer = new FakeProducer(true);
      const publisher = await started(producer, { maxBatchRecords: 1 });
      const all = ['1', '2', '3'].map((id) => publisher.deliver(record(id)));
      let closed = false;
      void publisher.close().then(() => (closed = true));

      for (let i = 0; i < 3; i++) {
        await waitFor(() => producer.calls.length === i + 1);
        expect(closed).toBe(false);
        producer.calls[i]!.complete();
      }

      await expect(Promise.all(all)).resolves.toHaveLength(3);
      await waitFor(() => closed);
      expect(producer.maxInFlight).toBe(1);
      expect(producer.events.at(-2)).toBe('sendBatch done');
      expect(producer.events.at(-1)).toBe('disconnect');
    });

    it('returns once every record has an answer, even while Kafka never acknowledges', async () => {
      jest.useFakeTimers();
      const producer = new FakeProducer(true);
      const publisher = await started(producer, { maxBatchRecords: 1, deliveryTimeoutMs: 1000 });
      const outcomes = ['1', '2'].map((id) => settled(publisher.deliver(record(id))));
      let closed = false;
      const closing = publisher.close().then(() => (closed = true));

      await jest.advanceTimersByTimeAsync(999);
      expect(closed).toBe(false);
      await jest.advanceTimersByTimeAsync(1);

      for (const outcome of outcomes) expect(await outcome).toBeInstanceOf(DeliveryTimeoutError);
      await closing;
      expect(producer.disconnect).toHaveBeenCalledTimes(1);
    });

    it('closes a publisher that was never started without sending anything', async () => {
      const producer = new FakeProducer();
      const publisher = new Publisher(producer, PRODUCER_DEFAULTS);
      await publisher.close();
      expect(producer.events).toEqual(['disconnect']);
    });
  });

  describe('as the Delivery without a spool', () => {
    it('reports Kafka unavailable after a failed batch, until the next acknowledged one', async () => {
      const producer = new FakeProducer(true);
      const publisher = await started(producer);
      expect(publisher.status()).toEqual({ mode: 'direct', unavailable: undefined, queuedRecords: 0 });
      const failing = publisher.deliver(record('1'));
      await waitFor(() => producer.calls.length === 1);
      producer.calls[0]!.fail(new Error('broker down'));
      await expect(failing).rejects.toBeInstanceOf(KafkaUnavailableError);
      expect(publisher.status().unavailable).toBe('kafka-unavailable');
      const ok = publisher.deliver(record('2'));
      await waitFor(() => producer.calls.length === 2);
      producer.calls[1]!.complete();
      await ok;
      expect(publisher.status().unavailable).toBeUndefined();
    });

    it('reports Kafka unavailable after a deadline, and after a full queue', async () => {
      const late = await started(new FakeProducer(true), { deliveryTimeoutMs: 20 });
      await expect(late.deliver(record('1'))).rejects.toBeInstanceOf(DeliveryTimeoutError);
      expect(late.status().unavailable).toBe('kafka-unavailable');

      const full = await started(new FakeProducer(true), { maxBatchRecords: 1, maxQueuedRecords: 1 });
      void full.deliver(record('a')); // in flight
      void full.deliver(record('b')); // queued
      expect(full.status()).toMatchObject({ unavailable: undefined, queuedRecords: 1 });
      await expect(full.deliver(record('c'))).rejects.toBeInstanceOf(QueueFullError);
      expect(full.status().unavailable).toBe('kafka-unavailable');
    });

    it('idle() resolves once nothing is queued and no batch is in flight', async () => {
      const producer = new FakeProducer(true);
      const publisher = await started(producer, { maxBatchRecords: 1 });
      await publisher.idle();
      const delivered = [publisher.deliver(record('1')), publisher.deliver(record('2'))];
      let idle = false;
      const waiting = publisher.idle().then(() => (idle = true));
      await waitFor(() => producer.calls.length === 1);
      producer.calls[0]!.complete();
      await waitFor(() => producer.calls.length === 2);
      expect(idle).toBe(false);
      producer.calls[1]!.complete();
      await Promise.all([...delivered, waiting]);
      expect(idle).toBe(true);
    });
  });

  describe('lifecycle and stats', () => {
    it('refuses to deliver before start(), and to start twice', async () => {
      const producer = new FakeProducer();
      const publisher = new Publisher(producer, PRODUCER_DEFAULTS);
      await expect(publisher.deliver(record('1'))).rejects.toThrow('deliver() before start()');
      await publisher.start();
      await expect(publisher.start()).rejects.toThrow('start() when running');
    });

    it('reports a failed connect as KAFKA_UNAVAILABLE', async () => {
      const producer = new FakeProducer();
      producer.connect.mockRejectedValueOnce(new Error('ECONNREFUSED'));
      await expect(new Publisher(producer, PRODUCER_DEFAULTS).start()).rejects.toBeInstanceOf(
        KafkaUnavailableError,
      );
    });

    it('calls onBatch after each acknowledged batch and counts queue depth in records and bytes', async () => {
      const producer = new FakeProducer(true);
      const onBatch = jest.fn();
      const publisher = await started(producer, { maxBatchRecords: 2, onBatch });
      // key 'key-N' (5 bytes) + value (1 byte) + header 'h' = 'v' (2 bytes)
      const all = ['1', '2', '3'].map((id) => publisher.deliver({ ...record(id), headers: { h: 'v' } }));

      expect(publisher.stats()).toMatchObject({ queuedRecords: 1, queuedBytes: 8, inFlightRecords: 2 });
      producer.calls[0]!.complete();
      await all[1];
      expect(onBatch).toHaveBeenCalledWith(2, 16, expect.any(Number));
      expect(publisher.stats()).toMatchObject({ batchesSent: 1, lastBatchRecords: 2, lastBatchBytes: 16 });
      await waitFor(() => producer.calls.length === 2);
      producer.calls[1]!.complete();
      await Promise.all(all);
      expect(onBatch).toHaveBeenLastCalledWith(1, 8, expect.any(Number));
      expect(publisher.stats()).toMatchObject({
        queuedRecords: 0,
        queuedBytes: 0,
        inFlightRecords: 0,
        batchesSent: 2,
      });
    });
  });
});

/** Resolves to the rejection reason, or undefined when the promise resolved. */
function settled(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
