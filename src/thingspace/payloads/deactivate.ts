/*
 * "deactivateResponse": { "deactivated": ..., ... }
 * THINGSPACE.md §6 (field name from consuming code; its type is not published, so it is kept as text).
 */
import { payloadOf } from '../../events/types';
import type { ElementMapper } from './mapper';

export const deactivate: ElementMapper = {
  elements: ['deactivateResponse'],
  map(result) {
    return payloadOf('DeactivateResult', { deactivated: result.text('deactivated'), other: result.rest() });
  },
};
