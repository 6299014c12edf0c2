/**
 * The spool's disk fills: a node booted into its spool (Kafka unreachable) on a 512 KiB tmpfs, under load, until
 * the filesystem says ENOSPC. Answers turn to 503 SPOOL_FULL with Retry-After and readiness to spool-full;
 * nothing acknowledged is lost; once Kafka returns the replay drains the spool, gives the disk back, and the node
 * is ready and takes callbacks again. Mounting needs root (CI runs as root): elsewhere the test is skipped, said so.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { faultCodeOf, post } from '../../support/http';
import { tempDirs } from '../../support/temp';
import {
  IngressHarness,
  attempt,
  carrierCallback,
  closedPort,
  expectedOf,
  forward,
  hostPort,
  isAnswer,
  readyz,
  report,
  tally,
  until,
  type Outcome,
} from './harness';

const harness = new IngressHarness();
let mounted: string | undefined;
afterAll(async () => {
  await harness.cleanup();
  if (mounted) execFileSync('umount', [mounted]);
});
const tempDir = tempDirs('spool-disk-full-');

const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('spool-disk-full: not root, so no tmpfs can be mounted: skipped');

(asRoot ? it : it.skip)(
  'answers 503 SPOOL_FULL once the disk is full, loses nothing acknowledged, and recovers when replay frees room',
  async () => {
    const dir = tempDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=700', 'tmpfs', dir]);
    mounted = dir;
    const port = await closedPort();
    const running = await harness.startBridge({
      brokers: [`127.0.0.1:${port}`],
      spoolDir: dir,
      ready: false,
    });

    // Eight senders, each device's callbacks one after another, until the spool has refused 50.
    const sent: { xml: string; outcome: Outcome }[] = [];
    let refused = 0;
    let sequence = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, device) => {
        while (refused < 50 && sequence < 20_000) {
          const xml = carrierCallback(device, 200_000 + sequence++);
          const outcome = await attempt(post(running.port, '/callbacks/CarrierService', xml));
          sent.push({ xml, outcome });
          if (isAnswer(outcome) && outcome.status === 503) refused++;
        }
      }),
    );
    const whileFull = await readyz(running.port);

    const stop = await forward(port, hostPort(harness.servers.brokers[0]!));
    try {
      await until(async () => (await readyz(running.port)).delivery === 'direct', 'the spool to drain');
      const after = await post(running.port, '/callbacks/CarrierService', carrierCallback(0, 300_000));
      const afterReadyz = await readyz(running.port);
      // The drained spool gave its disk back: the next outage finds room.
      const spoolBytes = readdirSync(dir)
        .filter((name) => name.endsWith('.seg'))
        .reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);

      const records = await harness.readAll([running.topics['async-response']]);
      const inKafka = new Set(
        await Promise.all(
          records.map(
            async (r) => ((await harness.servers.registry.decode(r.value!)) as { eventId: string }).eventId,
          ),
        ),
      );
      const acknowledged = sent.filter(({ outcome }) => isAnswer(outcome) && outcome.status === 200);
      const expectedIds = await Promise.all(
        acknowledged.map(async ({ xml }) => (await expectedOf(xml, 'CarrierService')).event.eventId),
      );
      const missing = expectedIds.filter((id) => !inKafka.has(id)).length;
      report('spool disk full', {
        sent: sent.length,
        answers: tally(sent.map((s) => s.outcome)),
        inKafka: inKafka.size,
        missing,
        readyzWhileFull: String(whileFull.reason),
        readyzAfter: String(afterReadyz.status),
        afterStatus: after.status,
        spoolBytesAfter: spoolBytes,
      });

      for (const { outcome } of sent) {
        if (!isAnswer(outcome)) throw outcome.error;
        if (outcome.status === 200) continue;
        expect([outcome.status, faultCodeOf(outcome.body), outcome.headers['retry-after']]).toEqual([
          503,
          'SPOOL_FULL',
          '60',
        ]);
      }
      expect(acknowledged.length).toBeGreaterThan(100);
      expect(refused).toBeGreaterThanOrEqual(50);
      expect(whileFull).toMatchObject({ status: 'not-ready', reason: 'spool-full' });
      expect(missing).toBe(0);
      expect([after.status, afterReadyz.status, spoolBytes]).toEqual([200, 'ready', 0]);
      expect(after.headers['x-receipt']).toMatch(/^kafka; /);
    } finally {
      stop();
    }
  },
);
