/*
 * <PromoChange xmlns="">                                          (no namespace: names match locally, §2)
 *   <Change xmlns="http://nphase.com/unifiedwebservice/v2">the removed promo code</Change>
 *   <ChangeDate>when it was removed</ChangeDate>                   (format undocumented: kept as sent)
 * </PromoChange>
 * THINGSPACE.md §2.
 */
import { payloadOf } from '../../events/types';
import type { ElementMapper } from './mapper';

export const promoChange: ElementMapper = {
  elements: ['PromoChange'],
  map(promo) {
    return payloadOf('PromoChange', {
      change: promo.text('Change'),
      changeDate: promo.text('ChangeDate'),
      other: promo.rest(),
    });
  },
};
