/*
 * <CarrierService>
 *   <ChangeDeviceIdentifier>
 *     <DeviceIdentifierChanged><Kind/><Identifier/></DeviceIdentifierChanged>
 *   </ChangeDeviceIdentifier>
 *   <ServicePlan>the plan after ChangeDeviceServicePlan</ServicePlan>
 *   <ChangeDeviceCustomFields>...</ChangeDeviceCustomFields>       (structure unknown: kept in `other`)
 *   ...results of activate, suspend, restore, deactivate, ...: unknown, kept in `other`
 * </CarrierService>
 * THINGSPACE.md §2.
 */
import { payloadOf } from '../../events/types';
import { normalizeDevice } from '../devices';
import type { ElementMapper } from './mapper';

export const carrierService: ElementMapper = {
  element: 'CarrierService',
  map(result) {
    const changed = result.child('ChangeDeviceIdentifier')?.child('DeviceIdentifierChanged')?.device();
    return payloadOf('CarrierServiceResult', {
      identifierChanged: changed ? normalizeDevice(changed) : null,
      servicePlan: result.text('ServicePlan'),
      other: result.rest(),
    });
  },
};
