/**
 * Schema ids against the real registry (Apicurio's Confluent API): register and lookup modes agree, failures
 * name their subject, and our wire format is byte for byte what the registry client writes and reads.
 */
import { Type } from 'avsc';
import { SchemaResolutionError } from '../../../src/kafka/errors';
import { resolveSchemaIds } from '../../../src/kafka/schema-ids';
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

describe('resolveSchemaIds', () => {
  const { registry, registryUrl } = testServers();
  const subjects: string[] = [];

  const subject = () => {
    const name = `${uniqueName('schema-ids')}-value`;
    subjects.push(name);
    return name;
  };

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

    const registered = await resolveSchemaIds(registry, schemas, { register: true });
    expect([...registered.keys()]).toEqual([a, b]);
    expect(registered.get(a)).not.toBe(registered.get(b));

    expect(await resolveSchemaIds(registry, schemas, { register: false })).toEqual(registered);
    expect(await resolveSchemaIds(registry, schemas, { register: true })).toEqual(registered);
  });

  it('in register mode, takes the id of a schema already there when the subject has another compatibility level', async () => {
    const a = subject();
    const [registered] = [
      ...(await resolveSchemaIds(registry, [{ subject: a, schema: v1 }], { register: true })),
    ];
    // As an operator would (or as Apicurio answers after a restart): the subject's level is no longer BACKWARD.
    const set = await fetch(`${registryUrl}/config/${a}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: 'NONE' }),
    });
    expect(set.ok).toBe(true);
    const again = await resolveSchemaIds(registry, [{ subject: a, schema: v1 }], { register: true });
    expect([...again]).toEqual([registered]);
    // A schema that is not there is still refused, with the client's reason.
    await expect(
      resolveSchemaIds(registry, [{ subject: a, schema: { ...v1, name: 'NotThere' } }], { register: true }),
    ).rejects.toThrow(/Compatibility does not match/);
  });

  it('in lookup mode, names every subject whose schema is absent, and registers nothing', async () => {
    const [known, unknownSubject, otherSchema] = [subject(), subject(), subject()];
    await resolveSchemaIds(
      registry,
      [
        { subject: known, schema: v1 },
        { subject: otherSchema, schema: v1 },
      ],
      { register: true },
    );

    const error = await resolveSchemaIds(
      registry,
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
    for (const f of failures) expect(f.reason).toMatch(/^not registered under this subject/);
    expect(message).toContain(unknownSubject);
    expect(message).toContain(otherSchema);
    expect(message).not.toContain(known);

    const listed = (await (await fetch(`${registryUrl}/subjects`)).json()) as string[];
    expect(listed).not.toContain(unknownSubject);
  });

  it('in register mode, names the subject whose new schema is incompatible', async () => {
    const name = subject();
    await resolveSchemaIds(registry, [{ subject: name, schema: v1 }], { register: true });

    const error = await resolveSchemaIds(registry, [{ subject: name, schema: v2Incompatible }], {
      register: true,
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SchemaResolutionError);
    const [failure] = (error as SchemaResolutionError).failures;
    expect(failure!.subject).toBe(name);
    expect(failure!.reason).toMatch(/^incompatible with the subject's registered versions/);
  });

  it('encodes exactly as SchemaRegistry.encode does, and SchemaRegistry.decode reads it back', async () => {
    const name = subject();
    const id = (await resolveSchemaIds(registry, [{ subject: name, schema: v1 }], { register: true })).get(
      name,
    )!;
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
