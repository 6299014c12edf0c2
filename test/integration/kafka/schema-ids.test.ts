/**
 * Schema ids against the real registry (Apicurio's Confluent API): register and lookup modes agree, the
 * compatibility level is the operator's (BACKWARD only where none is set), failures name their subject and say
 * why, and our wire format is byte for byte what the registry client writes and reads.
 */
import { Type } from 'avsc';
import { SchemaResolutionError } from '../../../src/kafka/errors';
import { createRegistryHttp } from '../../../src/kafka/registry-http';
import { resolveSchemaIds } from '../../../src/kafka/schema-ids';
import { closedPort } from '../ingress/harness';
import { decodeWireFormat, encodeWireFormat } from '../../../src/events/wire-format';
import { testServers, uniqueName } from '../../infra/kafka';

const v1 = {
  type: 'record',
  name: 'SchemaIdsTest',
  namespace: 'thingspace.bridge.test',
  fields: [
    { name: 'device', type: 'string' },
    { name: 'seq', type: 'long' },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } },
  ],
};
// A new field without a default: readers of v2 cannot read v1 data, so BACKWARD refuses it.
const v2Incompatible = { ...v1, fields: [...v1.fields, { name: 'extra', type: 'int' }] };

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

describe('resolveSchemaIds', () => {
  const { registry, registryHttp, registryUrl } = testServers();
  const subjects: string[] = [];

  const subject = () => {
    const name = `${uniqueName('schema-ids')}-value`;
    subjects.push(name);
    return name;
  };
  const setLevel = async (name: string, compatibility: string) => {
    const answer = await fetch(`${registryUrl}/config/${name}`, {
      method: 'PUT',
      headers: { 'content-type': CONTENT_TYPE },
      body: JSON.stringify({ compatibility }),
    });
    expect(answer.ok).toBe(true);
  };
  const levelOf = async (name: string) =>
    ((await (await fetch(`${registryUrl}/config/${name}`)).json()) as { compatibilityLevel: string })
      .compatibilityLevel;

  afterAll(async () => {
    for (const name of subjects) {
      // Soft delete first: the Confluent API refuses a permanent delete of a live subject.
      await fetch(`${registryUrl}/subjects/${name}`, { method: 'DELETE' });
      await fetch(`${registryUrl}/subjects/${name}?permanent=true`, { method: 'DELETE' });
    }
  });

  it('registers every schema, then looks the same ids up; registering again is a no-op', async () => {
    const [a, b] = [subject(), subject()];
    const schemas = [
      { subject: a, schema: v1 },
      { subject: b, schema: { ...v1, name: 'OtherRecord' } },
    ];

    const registered = await resolveSchemaIds(registryHttp, schemas, { register: true });
    expect([...registered.keys()]).toEqual([a, b]);
    expect(registered.get(a)).not.toBe(registered.get(b));

    expect(await resolveSchemaIds(registryHttp, schemas, { register: false })).toEqual(registered);
    expect(await resolveSchemaIds(registryHttp, schemas, { register: true })).toEqual(registered);
  });

  it('gives a new subject BACKWARD when the registry sets no level (its global level is NONE)', async () => {
    expect(await registryHttp.globalLevel()).toBe('NONE');
    const a = subject();
    await resolveSchemaIds(registryHttp, [{ subject: a, schema: v1 }], { register: true });
    expect(await levelOf(a)).toBe('BACKWARD');
  });

  it("leaves a subject's own level alone, and registers under it", async () => {
    const a = subject();
    // An operator's choice, made before the bridge first registered there.
    await setLevel(a, 'FULL_TRANSITIVE');
    const [registered] = [
      ...(await resolveSchemaIds(registryHttp, [{ subject: a, schema: v1 }], { register: true })),
    ];
    expect(await levelOf(a)).toBe('FULL_TRANSITIVE');
    // The same schema again: its id, whatever the level.
    await setLevel(a, 'NONE');
    const again = await resolveSchemaIds(registryHttp, [{ subject: a, schema: v1 }], { register: true });
    expect([...again]).toEqual([registered]);
    expect(await levelOf(a)).toBe('NONE');
    // A new optional field is compatible both ways: FULL_TRANSITIVE takes it.
    await setLevel(a, 'FULL_TRANSITIVE');
    const withOptional = {
      ...v1,
      fields: [...v1.fields, { name: 'more', type: ['null', 'long'], default: null }],
    };
    await expect(
      resolveSchemaIds(registryHttp, [{ subject: a, schema: withOptional }], { register: true }),
    ).resolves.toBeInstanceOf(Map);
    // A new enum symbol is BACKWARD but not FORWARD: refused, the level named.
    const widerEnum = {
      ...withOptional,
      fields: withOptional.fields.map((f) =>
        f.name === 'kind' ? { ...f, type: { type: 'enum', name: 'Kind', symbols: ['A', 'B', 'C'] } } : f,
      ),
    };
    const error = await resolveSchemaIds(registryHttp, [{ subject: a, schema: widerEnum }], {
      register: true,
    }).catch((e: unknown) => e);
    expect((error as SchemaResolutionError).failures[0]!.reason).toMatch(
      /^refused as incompatible with the subject's registered versions under compatibility level FULL_TRANSITIVE \(the subject's level\): POST http:.*\/versions: 409 /,
    );
  });

  it('in lookup mode, names every subject whose schema is absent, and registers nothing', async () => {
    const [known, unknownSubject, otherSchema] = [subject(), subject(), subject()];
    await resolveSchemaIds(
      registryHttp,
      [
        { subject: known, schema: v1 },
        { subject: otherSchema, schema: v1 },
      ],
      { register: true },
    );

    const error = await resolveSchemaIds(
      registryHttp,
      [
        { subject: known, schema: v1 },
        { subject: unknownSubject, schema: v1 },
        { subject: otherSchema, schema: v2Incompatible },
      ],
      { register: false },
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SchemaResolutionError);
    const { failures, message } = error as SchemaResolutionError;
    expect(failures.map((f) => f.subject)).toEqual([unknownSubject, otherSchema]);
    for (const f of failures)
      expect(f.reason).toMatch(/^not registered under this subject \(registerSchemas is off\): POST .* 404 /);
    expect(message).toContain(unknownSubject);
    expect(message).toContain(otherSchema);
    expect(message).not.toContain(known);

    const listed = (await (await fetch(`${registryUrl}/subjects`)).json()) as string[];
    expect(listed).not.toContain(unknownSubject);
  });

  it('in register mode, names the subject whose new schema is incompatible, and the level', async () => {
    const name = subject();
    await resolveSchemaIds(registryHttp, [{ subject: name, schema: v1 }], { register: true });

    const error = await resolveSchemaIds(registryHttp, [{ subject: name, schema: v2Incompatible }], {
      register: true,
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SchemaResolutionError);
    const [failure] = (error as SchemaResolutionError).failures;
    expect(failure!.subject).toBe(name);
    expect(failure!.reason).toMatch(/^refused as incompatible .* level BACKWARD \(the subject's level\)/);
  });

  it('says in words why a registry gave no answer, or the wrong one', async () => {
    const schemas = [{ subject: subject(), schema: v1 }];
    const reasonWith = async (url: string) => {
      const error = await resolveSchemaIds(createRegistryHttp({ url }), schemas, { register: true }).catch(
        (e: unknown) => e,
      );
      return (error as SchemaResolutionError).failures[0]!.reason;
    };
    expect(await reasonWith(`http://127.0.0.1:${await closedPort()}`)).toMatch(
      /^GET http:\/\/127\.0\.0\.1:\d+\/config\/schema-ids-.*: no answer \(connection refused\)$/,
    );
    const wrongUrl = await reasonWith(`${registryUrl}/wrong`);
    expect(wrongUrl.startsWith(`GET ${registryUrl}/wrong/config/`)).toBe(true);
    expect(wrongUrl).toMatch(/: 404 /);
  });

  it('encodes exactly as SchemaRegistry.encode does, and SchemaRegistry.decode reads it back', async () => {
    const name = subject();
    const id = (
      await resolveSchemaIds(registryHttp, [{ subject: name, schema: v1 }], { register: true })
    ).get(name)!;
    const type = Type.forSchema(v1 as Parameters<typeof Type.forSchema>[0]);
    const values = [
      { device: 'mdn:5550000001', seq: 1, note: null, kind: 'A' },
      { device: 'imei:990000000000001', seq: 2 ** 40, note: 'déjà vu ✓', kind: 'B' },
      { device: 'x'.repeat(100_000), seq: -1, note: 'y'.repeat(10_000), kind: 'A' },
    ];

    for (const value of values) {
      const ours = encodeWireFormat(type, id, value);
      expect(ours.equals(await registry.encode(id, value))).toBe(true);
      expect(decodeWireFormat(ours).schemaId).toBe(id);
      expect(await registry.decode(ours)).toEqual(value);
    }
  });
});
