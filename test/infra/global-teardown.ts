/** Jest global teardown of the `integration` project: stops what the global setup started. */
import './global-setup';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__integrationInfra?.stop();
}
