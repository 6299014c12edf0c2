/*
 * "suspendResponse": {
 *   "maxSuspendDaysAllowed": "90", "expectedResumeDate": "...",
 *   "numDaysSuspendAllowedCurrent12Months": "75", "numDaysSuspendedLast12Months": "15", ...
 * }
 * THINGSPACE.md §6 (field names from consuming code, which reads the counters as strings: a number or a string
 * of digits both parse; anything else stays in `other`).
 */
import { payloadOf } from '../../events/types';
import type { ElementMapper } from './mapper';
import { int32 } from './values';

export const suspend: ElementMapper = {
  elements: ['suspendResponse'],
  map(result) {
    return payloadOf('SuspendResult', {
      maxSuspendDaysAllowed: result.parsed('maxSuspendDaysAllowed', int32),
      expectedResumeDate: result.text('expectedResumeDate'),
      numDaysSuspendAllowedCurrent12Months: result.parsed('numDaysSuspendAllowedCurrent12Months', int32),
      numDaysSuspendedLast12Months: result.parsed('numDaysSuspendedLast12Months', int32),
      other: result.rest(),
    });
  },
};
