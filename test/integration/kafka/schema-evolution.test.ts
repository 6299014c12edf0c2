/**
 * The contract's evolution against the real registry (Apicurio's Confluent API, BACKWARD as the bridge's
 * subjects are): a subject holding the released v1 schema takes v2, and one holding v2 takes the current
 * schema, as a deployment upgrading the bridge would register them. avsc's resolver checks the same in the unit
 * tests; this is the registry's own verdict.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMAS, DEFAULT_TOPICS, type Stream } from '../../../src/events/schemas';
import { resolveSchemaIds } from '../../../src/kafka/schema-ids';
import { testServers, uniqueName } from '../../infra/kafka';

const RELEASED = join(__dirname, '..', '..', '..', 'schemas', 'released');
const released = (stream: Stream, version: number): object =>
  JSON.parse(readFileSync(join(RELEASED, `${DEFAULT_TOPICS[stream]}.v${version}.avsc`), 'utf8')) as object;

describe('the released schemas upgrade in the registry', () => {
  const { registryHttp, registryUrl } = testServers();
  const subjects: string[] = [];

  afterAll(async () => {
    for (const name of subjects) {
      await fetch(`${registryUrl}/subjects/${name}`, { method: 'DELETE' });
      await fetch(`${registryUrl}/subjects/${name}?permanent=true`, { method: 'DELETE' });
    }
  });

  it.each(Object.keys(SCHEMAS) as Stream[])('%s: v1, then v2, then the current schema', async (stream) => {
    const subject = `${uniqueName(`evolution-${stream}`)}-value`;
    subjects.push(subject);
    const ids: number[] = [];
    for (const schema of [released(stream, 1), released(stream, 2), SCHEMAS[stream]]) {
      const registered = await resolveSchemaIds(registryHttp, [{ subject, schema }], { register: true });
      ids.push(registered.get(subject)!);
    }
    // Each was taken (an incompatible one is refused with a SchemaResolutionError); v2 is a new version.
    expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
    expect(ids[1]).not.toBe(ids[0]);
  });
});
