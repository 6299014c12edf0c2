/**
 * Two local stacks started at the same moment, as two checkouts running `npm run stack:up` together (issue 12):
 * each gets ports of its own (the claims in test/infra/stack/ports.ts) and reports only servers it started itself,
 * even when another program takes a claimed port first. They run in stack dirs of their own under the temp dir,
 * beside the stack of the integration setup.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { listensOn } from '../../infra/stack/ports';
import { stackDown, stackStatus, stackUp, type StackUpResult } from '../../infra/stack/stack';

interface State {
  kafka: { brokers: { pid: number; port: number; controllerPort: number }[] };
  registry: { pid: number; port: number };
}

const readState = (stackDir: string) =>
  JSON.parse(readFileSync(join(stackDir, 'state.json'), 'utf8')) as State;

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
      const state = readState(stackDir);
      const [broker] = state.kafka.brokers;
      return [broker!.port, broker!.controllerPort, state.registry.port];
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

describe('a port taken behind the claim of a stack', () => {
  const stackDir = mkdtempSync(join(tmpdir(), 'taken-port-stack-'));
  let impostor: Server | undefined;
  let impostorError: Error | undefined;

  afterAll(async () => {
    await stackDown({ stackDir });
    rmSync(stackDir, { recursive: true, force: true });
    impostor?.closeAllConnections();
    await new Promise((resolve) => (impostor ? impostor.close(resolve) : resolve(undefined)));
  }, 90_000);

  it('is given up for another port: stack:up never reports a registry it did not start', async () => {
    // As soon as the stack has chosen its registry port, something else listens there and answers every request
    // with 200 (what the first stack's registry did to the second in issue 12).
    let impostorPort = 0;
    const watch = setInterval(() => {
      if (impostor) return;
      let port: number;
      try {
        port = readState(stackDir).registry.port;
      } catch {
        return; // not written yet, or being written
      }
      if (port === 0) return;
      impostorPort = port;
      impostor = createServer((_req, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end('[]'),
      );
      impostor.once('error', (err) => (impostorError = err));
      impostor.listen(port, '127.0.0.1');
    }, 5);
    const lines: string[] = [];
    try {
      const started = await stackUp({ stackDir, log: (line) => lines.push(line) });
      expect(impostorPort).toBeGreaterThan(0);
      expect(impostorError).toBeUndefined();
      const state = readState(stackDir);
      expect(state.registry.port).not.toBe(impostorPort);
      expect(started.schemaRegistryUrl).toBe(`http://127.0.0.1:${state.registry.port}/apis/ccompat/v7`);
      expect(listensOn(state.registry.pid, state.registry.port)).toBe(true);
      expect(lines.join('\n')).toMatch(/apicurio registry: .*; trying other ports/);
      const health = await fetch(`http://127.0.0.1:${state.registry.port}/health/ready`);
      expect(health.status).toBe(200);
      expect(await health.text()).not.toBe('[]'); // the real registry's health report, not the impostor
    } finally {
      clearInterval(watch);
    }
  }, 300_000);
});
