/*
 * "niddResponse": { "niddMONotificationResponse": {
 *   "accountName": "0000555123-00001", "message": "<base64>", "deviceIds": [...] } }
 * THINGSPACE.md §6: data sent by a NB-IoT device, hence device-originated although NiddService's other messages
 * answer requests. The message is binary: its bytes are decoded; a text that is not base64 stays in `other`.
 */
import { payloadOf } from '../../events/types';
import type { ElementMapper } from './mapper';
import { base64Bytes, deviceIdsOf } from './values';

export const niddMoData: ElementMapper = {
  elements: ['niddMONotificationResponse'],
  category: 'device-originated',
  map(data) {
    return payloadOf('NiddMoData', {
      accountName: data.text('accountName'),
      message: data.parsed('message', base64Bytes),
      devices: deviceIdsOf(data),
      other: data.rest(),
    });
  },
};
