/**
 * Tracing off costs nothing: a bridge built with `tracing.enabled: false` loads no module of the OpenTelemetry
 * SDK (src/observability/tracing.ts requires it only when on). Checked in a child process, whose require.cache
 * is Node's. `@opentelemetry/api` is loaded either way: prom-client requires it for its CPU metric's exemplars.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

function loadedWithTracing(tracing: 'on' | 'off'): string[] {
  const script = join(ROOT, 'test', 'support', 'otel-modules.ts');
  const output = execFileSync(process.execPath, ['--import', 'tsx', script, tracing], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return JSON.parse(output) as string[];
}

it('loads no OpenTelemetry SDK module when tracing is off', () => {
  expect(loadedWithTracing('off')).toEqual(['@opentelemetry/api']);
});

it('loads the SDK and the OTLP exporter when tracing is on (so the check above can fail)', () => {
  expect(loadedWithTracing('on')).toEqual(
    expect.arrayContaining([
      '@opentelemetry/api',
      '@opentelemetry/core',
      '@opentelemetry/exporter-trace-otlp-http',
      '@opentelemetry/resources',
      '@opentelemetry/sdk-trace',
    ]),
  );
});
