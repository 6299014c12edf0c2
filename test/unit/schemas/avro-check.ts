import type { Type } from 'avsc';

/**
 * What avsc finds wrong with `value` for `type`, as `path: value` lines; empty when valid. Undeclared fields
 * count as wrong, so a field the TypeScript model has and the schema lacks is caught too.
 */
export function avroProblems(type: Type, value: unknown): string[] {
  const problems: string[] = [];
  type.isValid(value, {
    noUndeclaredFields: true,
    errorHook: (path, invalid) => problems.push(`${path.join('.') || '(root)'}: ${JSON.stringify(invalid)}`),
  });
  return problems;
}

/** Encodes and decodes `value`: what comes back must be what went in. */
export function roundTrip(type: Type, value: unknown): { bytes: Buffer; decoded: unknown } {
  const bytes = type.toBuffer(value);
  return { bytes, decoded: type.fromBuffer(bytes) as unknown };
}
