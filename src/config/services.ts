import { findService } from '../thingspace/catalogue';

/**
 * How service names compare, in the config's checks and in authentication alike: case-insensitively and through
 * the catalogue's other spellings (THINGSPACE.md §1), so `PromoChanges`, `promochange` and `PromoChange` are one
 * service. A name the catalogue doesn't know is accepted and compares by case alone: validating names is the
 * HTTP layer's job (404), and a newer service must not need a release to be configured.
 */
export function serviceKey(name: string): string {
  return (findService(name)?.name ?? name).toLowerCase();
}
