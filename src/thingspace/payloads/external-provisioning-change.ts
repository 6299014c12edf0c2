/*
 * <ExternalProvisioningChange>
 *   <Source>tool used</Source>
 *   <Change>Activate | Suspend | changeIMEI | Device Detection | ...</Change>   (casing inconsistent: kept as sent)
 *   <DeviceInfo>
 *     <AccountName/>
 *     <CarrierInformation><CarrierName/><ServicePlan/><State/></CarrierInformation>
 *       or, collection-style, <CarrierInformation><CarrierInformation>...</CarrierInformation>...</CarrierInformation>
 *     <DeviceGroupName/>
 *     ...device identifiers: any element holding <Kind/> and <Identifier/>, at any depth
 *     ...more, unknown: kept in `other`
 *   </DeviceInfo>
 * </ExternalProvisioningChange>
 * THINGSPACE.md §2. `Device` is omitted for activations, so DeviceInfo's identifiers may be the only ones.
 */
import { payloadOf } from '../../events/types';
import type { DeviceInfo } from '../../events/types';
import { normalizeDevice } from '../devices';
import type { ElementReader } from '../fields';
import type { ElementMapper } from './mapper';

function readDeviceInfo(info: ElementReader): DeviceInfo {
  // §2 shows the fields directly inside; a collection-style wrapper is read too: its first entry typed, any
  // further ones left in `other`.
  const outer = info.child('CarrierInformation');
  const carrier = outer?.child('CarrierInformation') ?? outer;
  return {
    accountName: info.text('AccountName'),
    carrierInformation: carrier && {
      carrierName: carrier.text('CarrierName'),
      servicePlan: carrier.text('ServicePlan'),
      state: carrier.text('State'),
    },
    deviceGroupName: info.text('DeviceGroupName'),
    devices: info.devices().map(normalizeDevice),
  };
}

export const externalProvisioningChange: ElementMapper = {
  elements: ['ExternalProvisioningChange'],
  map(change) {
    const info = change.child('DeviceInfo');
    return payloadOf('ExternalProvisioningChange', {
      source: change.text('Source'),
      change: change.text('Change'),
      deviceInfo: info && readDeviceInfo(info),
      other: change.rest(),
    });
  },
};
