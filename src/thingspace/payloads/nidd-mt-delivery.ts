/*
 * "niddResponse": { "niddMTDeliveryResponse": {
 *   "accountName": "...", "acknowledgeTime": "<RFC 3339>", "firstAttemptDeliveryTime": "<RFC 3339>",
 *   "reason": "...", "deviceIds": [...] } }
 * THINGSPACE.md §6: what became of data sent to a device; the message's status says Delivered, Queued or
 * DeliveryFailed. Times are kept as sent: a consumer that needs instants parses RFC 3339 itself.
 */
import { payloadOf } from '../../events/types';
import type { ElementMapper } from './mapper';
import { deviceIdsOf } from './values';

export const niddMtDelivery: ElementMapper = {
  elements: ['niddMTDeliveryResponse'],
  map(delivery) {
    return payloadOf('NiddMtDelivery', {
      accountName: delivery.text('accountName'),
      acknowledgeTime: delivery.text('acknowledgeTime'),
      firstAttemptDeliveryTime: delivery.text('firstAttemptDeliveryTime'),
      reason: delivery.text('reason'),
      devices: deviceIdsOf(delivery),
      other: delivery.rest(),
    });
  },
};
