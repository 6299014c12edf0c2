import type { Category, Payload } from '../../events/types';
import type { ElementReader } from '../fields';

/** Turns one known payload element (a child of SOAP `Data`, a member of a REST response) into its typed record. */
export interface ElementMapper {
  /** Local names (SOAP) or keys (REST) of the elements it reads, matched case-insensitively. */
  readonly elements: readonly string[];
  /**
   * The category of a message whose payload this is, where it differs from its route's: NiddService sends
   * results of requests and data sent by devices alike, told apart only by the payload (THINGSPACE.md §6).
   */
  readonly category?: Category;
  map(element: ElementReader): Payload;
}
