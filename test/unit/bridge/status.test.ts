import type { Delivery, DeliveryStatus } from '../../../src/kafka/delivery';
import { RegistryRequestError } from '../../../src/kafka/registry-http';
import { createMetrics } from '../../../src/observability';
import { bootingState, readinessDetails, recordCheck, sampleGauges } from '../../../src/bridge/status';

/** A delivery that only reports the status it is given. */
const deliveryWith = (status: Partial<DeliveryStatus>): Delivery =>
  ({
    status: () => ({ mode: 'direct', unavailable: undefined, queuedRecords: 0, ...status }),
  }) as unknown as Delivery;

const SPOOL = { records: 3, bytes: 300, maxBytes: 1000, oldestAppendedAt: Date.now() - 2000 };

describe('readinessDetails', () => {
  it('says every check: starting before the boot reached it, disabled without a spool', () => {
    expect(readinessDetails(bootingState(), undefined)).toEqual({
      checks: {
        kafka: { state: 'starting' },
        topics: { state: 'starting' },
        registry: { state: 'starting' },
        schemas: { state: 'starting' },
        spool: { state: 'starting' },
      },
    });
    expect(readinessDetails(bootingState(), deliveryWith({})).checks.spool).toEqual({ state: 'disabled' });
  });

  it('names the failing check and its cause in words, the checks before it ok', () => {
    const side = bootingState();
    recordCheck(side, 'kafka');
    recordCheck(side, 'topics');
    recordCheck(
      side,
      'registry',
      new RegistryRequestError('GET http://127.0.0.1:1/config: no answer (connection refused)'),
    );
    expect(readinessDetails(side, deliveryWith({})).checks).toEqual({
      kafka: { state: 'ok' },
      topics: { state: 'ok' },
      registry: { state: 'failing', error: 'GET http://127.0.0.1:1/config: no answer (connection refused)' },
      schemas: { state: 'starting' },
      spool: { state: 'disabled' },
    });
    // The next attempt gets further: the registry passes, a schema is refused.
    recordCheck(side, 'registry');
    recordCheck(
      side,
      'schemas',
      new Error('Schema ids unresolved: ts.async-value (refused as incompatible)'),
    );
    expect(readinessDetails(side, undefined).checks).toMatchObject({
      registry: { state: 'ok' },
      schemas: { state: 'failing', error: 'Schema ids unresolved: ts.async-value (refused as incompatible)' },
    });
  });

  it('with a spool: the delivery mode, the depth, and a full spool failing', () => {
    const spooling = deliveryWith({ mode: 'spooling', spool: SPOOL });
    expect(readinessDetails(bootingState(), spooling)).toMatchObject({
      delivery: 'spooling',
      spool: { records: 3, bytes: 300, maxBytes: 1000 },
      checks: { spool: { state: 'ok' } },
    });
    const full = deliveryWith({ mode: 'spooling', unavailable: 'spool-full', spool: SPOOL });
    expect(readinessDetails(bootingState(), full).checks.spool).toEqual({
      state: 'failing',
      error: 'the spool is full (300 of 1000 bytes)',
    });
  });

  it('booted, Kafka failing later is the kafka check failing', () => {
    const side = bootingState();
    for (const check of ['kafka', 'topics', 'registry', 'schemas'] as const) recordCheck(side, check);
    side.booted = true;
    expect(readinessDetails(side, deliveryWith({})).checks.kafka).toEqual({ state: 'ok' });
    expect(readinessDetails(side, deliveryWith({ unavailable: 'kafka-unavailable' })).checks.kafka).toEqual({
      state: 'failing',
      error: expect.stringMatching(/^Kafka is not acknowledging records/) as unknown,
    });
  });
});

describe('sampleGauges', () => {
  it('sets thingspace_bridge_ready to 1 when ready and 0 otherwise, with or without a delivery', async () => {
    const metrics = createMetrics();
    const ready = async () => (await metrics.ready.get()).values[0]?.value;
    sampleGauges(metrics, false, undefined);
    expect(await ready()).toBe(0);
    sampleGauges(metrics, true, deliveryWith({ queuedRecords: 4, spool: SPOOL }));
    expect(await ready()).toBe(1);
    expect((await metrics.queuedRecords.get()).values[0]?.value).toBe(4);
    expect((await metrics.spoolOldestAgeSeconds.get()).values[0]?.value).toBeGreaterThanOrEqual(2);
    sampleGauges(metrics, false, deliveryWith({}));
    expect(await ready()).toBe(0);
  });
});
