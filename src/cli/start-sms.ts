/**
 * StartSmsCallback (REST: PUT startCallbacks) over the ThingSpace API the config names: the one place it is
 * wired, for `serve`'s recovery loop and `callbacks recover`.
 */
import type { StartSms } from '../bridge';
import type { ThingSpaceConfig } from '../config';
import { withRegistrationApi } from '../registration';
import type { RetryEvent } from '../registration';

export function platformStartSms(
  thingspace: ThingSpaceConfig,
  onRetry?: (event: RetryEvent) => void,
): StartSms {
  // One session per call: the calls are few (one per affected account and outage) and far apart.
  return (account) => withRegistrationApi(thingspace, (api) => api.startSms(account), { onRetry });
}
