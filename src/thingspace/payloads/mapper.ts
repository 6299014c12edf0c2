import type { Payload } from '../../events/types';
import type { ElementReader } from '../fields';

/** Turns one known child of `Data` into its typed payload record. */
export interface ElementMapper {
  /** Local name of the `Data` child it reads, matched case-insensitively. */
  readonly element: string;
  map(element: ElementReader): Payload;
}
