/*
 * "smsDeliveryResponse": { "confirmation": "...", ... }
 * THINGSPACE.md §6 (field name from consuming code; its values are not published).
 */
import { payloadOf } from '../../events/types';
import type { ElementMapper } from './mapper';

export const smsDelivery: ElementMapper = {
  elements: ['smsDeliveryResponse'],
  map(result) {
    return payloadOf('SmsDeliveryConfirmation', {
      confirmation: result.text('confirmation'),
      other: result.rest(),
    });
  },
};
