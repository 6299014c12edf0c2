/*
 * "prlInformationResponse": { "prlVersion": "...", ... }
 * THINGSPACE.md §6 (field name from consuming code).
 */
import { payloadOf } from '../../events/types';
import type { ElementMapper } from './mapper';

export const prlInformation: ElementMapper = {
  elements: ['prlInformationResponse'],
  map(result) {
    return payloadOf('PrlInformation', { prlVersion: result.text('prlVersion'), other: result.rest() });
  },
};
