import type { ParsedCallback } from '../../message/types';
import { payloadOf } from '../../events/types';
import type { Category, GenericElement, Payload } from '../../events/types';
import { ElementReader } from '../fields';
import { toGeneric } from './generic';
import type { ElementMapper } from './mapper';

/**
 * A message's content split for the event: `payload` is the one the service is about (typed when its structure
 * is known), `extraPayloads` every other child of `Data`, generic. Nothing in `Data` is dropped (§2): a known
 * payload beside unknown children still lets those children through, and a second known child, which no
 * documented message has, arrives generic rather than lost.
 */
export interface SelectedPayload {
  payload: Payload | null;
  extraPayloads: GenericElement[];
  /** The payload's own category where its mapper names one (ElementMapper.category); the route's otherwise. */
  category?: Category;
}

export type PayloadSelector = (parsed: ParsedCallback) => SelectedPayload;

/**
 * CallbackRequest: the first payload element a mapper knows (SOAP: a `Data` child; REST: a member of the
 * response objects, `faultResponse`, `comment`, ...); with none known, the first element, generic. Throws when
 * two mappers claim one name: the catalogue is built at load, so that fails at start.
 */
export function fromData(mappers: readonly ElementMapper[]): PayloadSelector {
  const byElement = new Map<string, ElementMapper>();
  for (const mapper of mappers) {
    for (const element of mapper.elements) {
      const key = element.toLowerCase();
      if (byElement.has(key)) throw new Error(`two payload mappers read ${element}`);
      byElement.set(key, mapper);
    }
  }
  return ({ payload: children }) => {
    const known = children.findIndex((child) => byElement.has(child.name.toLowerCase()));
    const mainIndex = known === -1 ? 0 : known;
    const main = children[mainIndex];
    if (!main) return { payload: null, extraPayloads: [] };
    const mapper = byElement.get(main.name.toLowerCase());
    const reader = new ElementReader(main);
    const typed = mapper?.map(reader);
    return {
      // A typed record keeps in `other` what it does not type; when that is too large to flatten, the element
      // stays generic, whose source fragment holds it all.
      payload: typed && !reader.tooLarge ? typed : payloadOf('GenericElement', toGeneric(main)),
      extraPayloads: children.filter((_, index) => index !== mainIndex).map(toGeneric),
      ...(mapper?.category === undefined ? {} : { category: mapper.category }),
    };
  };
}

/** SmsCallbackRequest: the device's SMS text is the payload (§2); a `Data`, never seen there, still gets through. */
export const fromSmsMessage: PayloadSelector = (parsed) => ({
  payload: payloadOf('DeviceSms', { message: parsed.smsMessage ?? null }),
  extraPayloads: parsed.payload.map(toGeneric),
});
