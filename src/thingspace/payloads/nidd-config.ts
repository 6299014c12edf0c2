/*
 * "niddResponse": { "niddConfigResponse": { "accountName": "...", "reason": "...", "deviceIds": [...] } }
 * THINGSPACE.md §6 names the element only; its fields are a guess from code that consumes it (account, reason,
 * identifiers, like niddMTDeliveryResponse). The rest stays in `other`.
 */
import { payloadOf } from '../../events/types';
import type { ElementMapper } from './mapper';
import { deviceIdsOf } from './values';

export const niddConfig: ElementMapper = {
  elements: ['niddConfigResponse'],
  map(config) {
    return payloadOf('NiddConfigResult', {
      accountName: config.text('accountName'),
      reason: config.text('reason'),
      devices: deviceIdsOf(config),
      other: config.rest(),
    });
  },
};
