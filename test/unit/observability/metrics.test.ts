import { register as globalRegistry } from 'prom-client';
import { AUTH_FAILURE_REASONS } from '../../../src/auth';
import { createMetrics } from '../../../src/observability';

describe('createMetrics', () => {
  const metrics = createMetrics();

  it('registers the bridge metrics with their labels', async () => {
    metrics.requests.inc({ service: 'CarrierService', outcome: 'published', status: 200 });
    metrics.requestDuration.observe({ service: 'CarrierService', outcome: 'published' }, 0.004);
    metrics.produceDuration.observe(0.002);
    metrics.batchRecords.observe(37);
    metrics.queuedRecords.set(12);
    metrics.authFailures.inc({ reason: 'bad-password' });
    metrics.anomalies.inc({ anomaly: 'unknown-data-child' });

    const text = await metrics.registry.metrics();
    for (const line of [
      '# TYPE thingspace_bridge_requests_total counter',
      'thingspace_bridge_requests_total{service="CarrierService",outcome="published",status="200"} 1',
      '# TYPE thingspace_bridge_request_duration_seconds histogram',
      'thingspace_bridge_request_duration_seconds_bucket{le="0.005",service="CarrierService",outcome="published"} 1',
      'thingspace_bridge_produce_duration_seconds_count 1',
      'thingspace_bridge_produce_batch_records_bucket{le="50"} 1',
      'thingspace_bridge_producer_queued_records 12',
      'thingspace_bridge_auth_failures_total{reason="bad-password"} 1',
      'thingspace_bridge_anomalies_total{anomaly="unknown-data-child"} 1',
    ]) {
      expect(text).toContain(line);
    }
  });

  it('shows every auth failure reason from the start', async () => {
    const text = await createMetrics().registry.metrics();
    for (const reason of AUTH_FAILURE_REASONS) {
      expect(text).toContain(`thingspace_bridge_auth_failures_total{reason="${reason}"} 0`);
    }
  });

  it('has the readiness gauge and the build info, both gauges', async () => {
    metrics.ready.set(1);
    metrics.buildInfo.set({ version: '1.2.3', node: 'v24.0.0', kafka_client: 'kafkajs' }, 1);
    const text = await metrics.registry.metrics();
    for (const line of [
      '# TYPE thingspace_bridge_ready gauge',
      'thingspace_bridge_ready 1',
      '# TYPE thingspace_bridge_build_info gauge',
      'thingspace_bridge_build_info{version="1.2.3",node="v24.0.0",kafka_client="kafkajs"} 1',
    ]) {
      expect(text).toContain(line);
    }
  });

  it('includes the process metrics', async () => {
    const names = (await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_heap_size_used_bytes',
      ]),
    );
  });

  it('keeps to its own registry: nothing global, and two bridges side by side', async () => {
    const other = createMetrics();
    other.requests.inc({ service: 'DeviceUsage', outcome: 'rejected', status: 401 });
    expect(await globalRegistry.getMetricsAsJSON()).toEqual([]);
    expect(await metrics.registry.metrics()).not.toContain('DeviceUsage');
  });
});
