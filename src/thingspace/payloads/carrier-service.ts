/*
 * SOAP:
 * <CarrierService>
 *   <ChangeDeviceIdentifier>
 *     <DeviceIdentifierChanged><Kind/><Identifier/></DeviceIdentifierChanged>
 *   </ChangeDeviceIdentifier>
 *   <ServicePlan>the plan after ChangeDeviceServicePlan</ServicePlan>
 *   <ChangeDeviceCustomFields>...</ChangeDeviceCustomFields>       (structure unknown: kept in `other`)
 *   ...results of activate, suspend, restore, deactivate, ...: unknown, kept in `other`
 * </CarrierService>
 * THINGSPACE.md §2.
 *
 * REST (§6), the same record:
 * "changeIdentifierResponse": { "deviceIds": [{ "id": "...", "kind": "..." }], "servicePlan": "...", ... }
 * The list names the device's identifiers, not which of them changed: identifierChanged stays null.
 */
import { payloadOf } from '../../events/types';
import { normalizeDevice } from '../devices';
import type { ElementMapper } from './mapper';
import { deviceIdsOf } from './values';

export const carrierService: ElementMapper = {
  elements: ['CarrierService', 'changeIdentifierResponse'],
  map(result) {
    const changed = result.child('ChangeDeviceIdentifier')?.child('DeviceIdentifierChanged')?.device();
    return payloadOf('CarrierServiceResult', {
      identifierChanged: changed ? normalizeDevice(changed) : null,
      servicePlan: result.text('ServicePlan'),
      devices: deviceIdsOf(result),
      other: result.rest(),
    });
  },
};
