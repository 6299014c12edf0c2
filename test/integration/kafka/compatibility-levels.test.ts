/**
 * The compatibility level is the operator's: on a registry whose global level is FULL_TRANSITIVE (a registry of
 * its own, so the shared one keeps its level for the other test files), a bridge registers its schemas on new
 * subjects and becomes ready without setting a level of its own; where a subject holds a version its schema is
 * not compatible with under that level, the node stays unready and says why in /readyz and its log.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startScratchRegistry, type ScratchRegistry } from '../../infra/stack/stack';
import { uniqueName } from '../../infra/kafka';
import type { CheckReport } from '../../../src/bridge/status';
import { IngressHarness, readyz, topicsOf, until } from '../ingress/harness';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const releasedV1 = readFileSync(
  join(__dirname, '../../../schemas/released/thingspace.async-responses.v1.avsc'),
  'utf8',
);

const harness = new IngressHarness();
let scratch: ScratchRegistry;

async function call(method: string, path: string, body?: object): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${scratch.url}${path}`, {
    method,
    headers: { 'content-type': CONTENT_TYPE },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, json: await response.json() };
}

beforeAll(async () => {
  scratch = await startScratchRegistry();
  expect((await call('PUT', '/config', { compatibility: 'FULL_TRANSITIVE' })).status).toBe(200);
}, 180_000);

afterAll(async () => {
  await harness.cleanup();
  await scratch?.stop();
});

describe('a registry whose global compatibility level is FULL_TRANSITIVE', () => {
  it('takes the bridge schemas on new subjects; the node becomes ready and sets no level', async () => {
    const running = await harness.startBridge({ registryUrl: scratch.url });
    expect(await readyz(running.port)).toMatchObject({
      status: 'ready',
      checks: { schemas: { state: 'ok' } },
    });
    for (const topic of Object.values(running.topics)) {
      const level = await call('GET', `/config/${topic}-value`);
      // No level of its own (Apicurio answers NONE for that), so the global FULL_TRANSITIVE judges the next one.
      expect(level.json).not.toEqual({ compatibilityLevel: 'BACKWARD' });
    }
    expect((await call('GET', '/config')).json).toEqual({ compatibilityLevel: 'FULL_TRANSITIVE' });
  });

  it('refuses a schema incompatible under that level: the node stays unready and says why', async () => {
    const prefix = uniqueName('levels');
    const subject = `${topicsOf(prefix)['async-response']}-value`;
    // The contract's v1, as an earlier bridge registered it: the current schema adds payload branches, which a
    // v1 reader cannot read (BACKWARD, not FORWARD), so FULL_TRANSITIVE refuses it.
    expect((await call('POST', `/subjects/${subject}/versions`, { schema: releasedV1 })).status).toBe(200);

    const running = await harness.startBridge({ registryUrl: scratch.url, prefix, ready: false });
    const schemasCheck = async () =>
      ((await readyz(running.port)).checks as Record<string, CheckReport>).schemas!;
    await until(async () => (await schemasCheck()).state === 'failing', 'a failed boot');
    const details = await readyz(running.port);
    // The registry answered: the schema is what fails.
    expect(details).toMatchObject({
      status: 'not-ready',
      checks: { registry: { state: 'ok' }, schemas: { state: 'failing' } },
    });
    const reason = new RegExp(
      `${subject} \\(refused as incompatible with the subject's registered versions under compatibility level ` +
        'FULL_TRANSITIVE \\(the global level\\): POST .* 409 .*Incompatible',
    );
    expect((await schemasCheck()).error).toMatch(reason);
    const logged = running.logs.map(
      (line) => JSON.parse(line) as { msg: string; err?: { message?: string } },
    );
    expect(logged.filter((line) => reason.test(line.err?.message ?? ''))).not.toEqual([]);
    // The other subjects took their schemas; the refused one still holds v1 only.
    expect((await call('GET', `/subjects/${subject}/versions`)).json).toEqual([1]);
  });
});
