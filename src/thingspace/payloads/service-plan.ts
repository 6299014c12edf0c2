/*
 * "servicePlanResponse" | "changeServicePlanResponse": { "deviceIds": [...], "servicePlan": "...", ... }
 * The REST result of PUT /devices/actions/plan. No published source names its element: both names are guesses
 * after the other results' pattern (THINGSPACE.md §6), and so is its content. An element of another name arrives
 * generic, so a wrong guess loses nothing.
 */
import { payloadOf } from '../../events/types';
import type { ElementMapper } from './mapper';
import { deviceIdsOf } from './values';

export const servicePlan: ElementMapper = {
  elements: ['servicePlanResponse', 'changeServicePlanResponse'],
  map(result) {
    return payloadOf('ServicePlanResult', {
      devices: deviceIdsOf(result),
      servicePlan: result.text('servicePlan'),
      other: result.rest(),
    });
  },
};
