/*
 * "activateResponse": {
 *   "deviceIds": [{ "id": "5550100123", "kind": "mdn" }, { "id": "15550100123", "kind": "msisdn" }, ...],
 *   "state": "active", "servicePlan": "...", "ipAddress": "...",
 *   "featureCodes": [...], "deviceCredential": {...}, ...              (kept in `other`)
 * }
 * THINGSPACE.md §6 (field names from code that consumes real callbacks). The new MDN and MSISDN arrive only here,
 * in deviceIds: the envelope's devices name the device as the request did.
 */
import { payloadOf } from '../../events/types';
import type { ElementMapper } from './mapper';
import { deviceIdsOf } from './values';

export const activate: ElementMapper = {
  elements: ['activateResponse'],
  map(result) {
    return payloadOf('ActivateResult', {
      devices: deviceIdsOf(result),
      state: result.text('state'),
      servicePlan: result.text('servicePlan'),
      ipAddress: result.text('ipAddress'),
      other: result.rest(),
    });
  },
};
