/**
 * The version of what normalize makes of a callback (routes, payload mappers, generic fields, keys): a replayed
 * record names it (header `mapping-version`, src/replay/), so a consumer can tell a correction from the record
 * it corrects.
 *
 * Bump it when a mapping changes: a payload mapper, a route, the generic flattening, the partition key. Not for
 * changes that leave every event byte-identical.
 */
export const MAPPING_VERSION = 1;
