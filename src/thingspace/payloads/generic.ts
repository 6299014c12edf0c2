import type { PayloadNode } from '../../message/types';
import type { GenericElement } from '../../events/types';
import { flatten } from '../fields';

/**
 * Any element, kept losslessly: the structure of most payloads is unknown (THINGSPACE.md §2) and unknown ones
 * must pass through, never be dropped. The fragment holds no credentials: the parsers empty every element or
 * member named like one (src/message/credentials.ts).
 */
export function toGeneric(element: PayloadNode): GenericElement {
  return {
    element: element.name,
    fields: flatten(element),
    xml: element.raw,
    format: element.json === undefined ? 'soap' : 'rest',
  };
}
