/*
 * <Fault>...</Fault>                       (SOAP)
 * "faultResponse": { "faultcode": "...", "faultstring": "...", "faultactor"?: "...", "detail"?: ... }   (REST)
 * Its SOAP structure in callbacks is unknown (THINGSPACE.md §2). SOAP 1.1's Fault (§4.4) names `faultcode` and
 * `faultstring`, and so does the REST faultResponse (§6), so those two are read when present (any case);
 * everything else is kept in `other`. Typed at all so that consumers can tell a failed request from a result by
 * the record's name.
 */
import { payloadOf } from '../../events/types';
import type { ElementMapper } from './mapper';

export const fault: ElementMapper = {
  elements: ['Fault', 'faultResponse'],
  map(fault) {
    return payloadOf('Fault', {
      faultCode: fault.text('faultcode'),
      faultString: fault.text('faultstring'),
      other: fault.rest(),
    });
  },
};
