/**
 * Run as a child process by test/unit/observability/lazy-sdk.test.ts, where require.cache is Node's own (jest
 * keeps a registry of its own): builds a bridge with `tracing.enabled` as argv[2] says ("on" or "off"), then
 * prints, as JSON, the OpenTelemetry packages the process has loaded.
 */
import { createBridge } from '../../src/bridge';
import { parseConfig } from '../../src/config';
import { createLogger } from '../../src/observability';

const { config } = parseConfig(
  {
    accounts: [{ name: 'lazy-sdk', username: 'lazy-sdk', password: 'lazy-sdk-pw', services: ['*'] }],
    // Never contacted: the bridge is built, not started.
    kafka: { brokers: ['127.0.0.1:1'] },
    schemaRegistry: { url: 'http://127.0.0.1:1' },
    tracing: { enabled: process.argv[2] === 'on' },
  },
  {},
);
createBridge(config, createLogger({ level: 'silent' }));
const packages = new Set(
  Object.keys(require.cache).flatMap(
    (file) => /node_modules\/(@opentelemetry\/[^/]+)\//.exec(file)?.[1] ?? [],
  ),
);
console.log(JSON.stringify([...packages].sort()));
process.exit(0);
