/**
 * StartSmsCallback over the ThingSpace API of the config: the one place it is wired, for `serve`'s recovery loop
 * and `callbacks recover`. Today the UWS SOAP API (THINGSPACE.md §5); once the registration client chooses SOAP or
 * REST by config (issue 14), this becomes `withRegistrationApi(thingspace, (api) => api.startSms(account))`.
 */
import type { StartSms } from '../bridge';
import type { ThingSpaceConfig } from '../config';
import { withUwsSession } from '../registration';
import type { RetryEvent } from '../registration';

export function platformStartSms(
  thingspace: ThingSpaceConfig,
  onRetry?: (event: RetryEvent) => void,
): StartSms {
  // One session per call: the calls are few (one per affected account and outage) and far apart.
  return (account) =>
    withUwsSession({ ...thingspace, onRetry }, (session) => session.startSmsCallback(account));
}
