/**
 * Two local stacks started at the same moment, as two checkouts running `npm run stack:up` together (issue 12):
 * each gets ports of its own (the claims in test/infra/stack/ports.ts) and reports only servers it started itself.
 * They run in stack dirs of their own under the temp dir, beside the stack of the integration setup.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { listensOn } from '../../infra/stack/ports';
import { stackDown, stackStatus, stackUp, type StackUpResult } from '../../infra/stack/stack';

describe('two local stacks started together', () => {
  const stackDirs = [0, 1].map((i) => mkdtempSync(join(tmpdir(), `concurrent-stack-${i}-`)));

  afterAll(async () => {
    await Promise.all(stackDirs.map((stackDir) => stackDown({ stackDir })));
    for (const stackDir of stackDirs) rmSync(stackDir, { recursive: true, force: true });
  }, 90_000);

  it('use distinct ports, and each answers with its own broker and registry', async () => {
    const started: StackUpResult[] = await Promise.all(
      stackDirs.map((stackDir) => stackUp({ stackDir, log: () => undefined })),
    );
    expect(started.map((s) => s.reused)).toEqual([false, false]);

    const ports = stackDirs.map((stackDir) => {
      const state = JSON.parse(readFileSync(join(stackDir, 'state.json'), 'utf8')) as {
        kafka: { port: number; controllerPort: number };
        registry: { port: number };
      };
      return [state.kafka.port, state.kafka.controllerPort, state.registry.port];
    });
    const all = ports.flat();
    expect(new Set(all).size).toBe(6); // the four client ports and both controller ports

    const clusterIds: string[] = [];
    for (const [i, stackDir] of stackDirs.entries()) {
      const env = started[i]!;
      const [kafkaPort, , registryPort] = ports[i]!;
      expect(env.kafkaBrokers).toBe(`127.0.0.1:${kafkaPort}`);
      expect(env.schemaRegistryUrl).toBe(`http://127.0.0.1:${registryPort}/apis/ccompat/v7`);

      // The processes this stack started are the ones listening on its ports.
      const servers = stackStatus({ stackDir }).servers;
      expect(servers.map((s) => [s.name, s.running])).toEqual([
        ['kafka', true],
        ['registry', true],
      ]);
      for (const s of servers) expect(listensOn(s.pid, s.port)).toBe(true);

      const admin = new Kafka({
        clientId: 'concurrent-stacks-test',
        brokers: [env.kafkaBrokers],
        logLevel: logLevel.NOTHING,
      }).admin();
      await admin.connect();
      try {
        const cluster = await admin.describeCluster();
        expect(cluster.brokers.map((b) => b.port)).toEqual([kafkaPort]);
        clusterIds.push(cluster.clusterId);
      } finally {
        await admin.disconnect();
      }

      const subjects = await fetch(`${env.schemaRegistryUrl}/subjects`, {
        signal: AbortSignal.timeout(10_000),
      });
      expect(subjects.status).toBe(200);
      expect(Array.isArray(await subjects.json())).toBe(true);
    }
    expect(clusterIds[0]).not.toBe(clusterIds[1]); // two brokers, not one answering twice
  }, 300_000);
});
