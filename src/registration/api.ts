/**
 * The registration calls the bridge makes, over either of ThingSpace's APIs (`thingspace.api`): the UWS v2 SOAP
 * API (THINGSPACE.md §5, ./client) or the REST M2M API (§6, ./rest). `callbacks` and the recovery loop speak
 * this interface and let the config decide.
 */
import type { ThingSpaceApiConfig } from '../config';
import type { WireFormat } from '../message/types';
import { UwsSession } from './client';
import type { CallbackRegistration, NewCallbackRegistration } from './client';
import { RestRegistrationApi } from './rest/client';
import type { RetryEvent } from './transport';

export interface RegistrationApi {
  /** Which API this is: the services it registers differ (§6). */
  readonly api: WireFormat;
  /** The account's registrations over this API (REST lists only REST ones, SOAP only SOAP ones). */
  list(accountName: string): Promise<CallbackRegistration[]>;
  register(registration: NewCallbackRegistration): Promise<void>;
  unregister(accountName: string, serviceName: string): Promise<void>;
  /** Releases the device SMS the platform queued while the account's listener did not answer (§3). */
  startSms(accountName: string): Promise<void>;
  /** Ends the session; later calls fail. */
  close(): Promise<void>;
}

export interface RegistrationApiOptions {
  /** For tests; the global fetch otherwise. */
  fetch?: typeof fetch;
  /** Told before each retry (the CLI prints it). */
  onRetry?: (event: RetryEvent) => void;
  /** For tests: the clock token expiry is read by. */
  now?: () => number;
}

/** Logs in to the API the config names. */
export async function openRegistrationApi(
  config: ThingSpaceApiConfig,
  options: RegistrationApiOptions = {},
): Promise<RegistrationApi> {
  const { fetch, onRetry, now } = options;
  const { timeoutMs, retries, retryDelayMs, username, password } = config;
  const policy = { timeoutMs, retries, retryDelayMs, fetch, onRetry };
  if (config.api === 'rest') {
    const { restUrl, oauthTokenUrl, appKey, appSecret } = config;
    // The config's check requires both when api is rest.
    if (appKey === undefined || appSecret === undefined)
      throw new Error('thingspace: appKey and appSecret unset');
    return new RestRegistrationApi({
      ...policy,
      restUrl,
      oauthTokenUrl,
      appKey,
      appSecret,
      username,
      password,
      now,
    });
  }
  // The config's check requires the URL when api is soap.
  if (config.url === undefined) throw new Error('thingspace: url unset');
  return new SoapRegistrationApi(await UwsSession.logIn({ ...policy, url: config.url, username, password }));
}

/**
 * Opens the API, runs `work`, closes it whatever happened. A failed close fails nothing: the work is done (or its
 * own failure is the one to report), and the platform expires idle sessions by itself.
 */
export async function withRegistrationApi<T>(
  config: ThingSpaceApiConfig,
  work: (api: RegistrationApi) => Promise<T>,
  options: RegistrationApiOptions = {},
): Promise<T> {
  const api = await openRegistrationApi(config, options);
  try {
    return await work(api);
  } finally {
    await api.close().catch(() => undefined);
  }
}

/** The SOAP session as a RegistrationApi. */
class SoapRegistrationApi implements RegistrationApi {
  readonly api: WireFormat = 'soap';
  readonly #session: UwsSession;

  constructor(session: UwsSession) {
    this.#session = session;
  }

  list(accountName: string): Promise<CallbackRegistration[]> {
    return this.#session.getCallbackRegistrations(accountName);
  }

  register(registration: NewCallbackRegistration): Promise<void> {
    return this.#session.registerCallback(registration);
  }

  unregister(accountName: string, serviceName: string): Promise<void> {
    return this.#session.unregisterCallback(accountName, serviceName);
  }

  startSms(accountName: string): Promise<void> {
    return this.#session.startSmsCallback(accountName);
  }

  close(): Promise<void> {
    return this.#session.logOut();
  }
}
