/*
 * "restoreResponse": { "restored": ..., ... }
 * THINGSPACE.md §6 (field name from consuming code; its type is not published, so it is kept as text).
 */
import { payloadOf } from '../../events/types';
import type { ElementMapper } from './mapper';

export const restore: ElementMapper = {
  elements: ['restoreResponse'],
  map(result) {
    return payloadOf('RestoreResult', { restored: result.text('restored'), other: result.rest() });
  },
};
