/**
 * The simulator's callback registrations, one registry for both registration APIs, as the platform keeps them:
 * per account, one URL per service (THINGSPACE.md §1), each remembering the API it came through. A service
 * registered over SOAP cannot also be registered over REST (§6); the reverse is unpublished, and the fakes take
 * the strict reading (the same refusal). The API also decides what the service's callbacks are: SOAP envelopes
 * for a SOAP registration, JSON for a REST one.
 */
import type { ServiceName } from '../thingspace/catalogue';
import type { Secret } from '../util/secret';

export type RegistrationApi = 'soap' | 'rest';

/** A callback registration as the simulator keeps it: what the sender posts with, and in which format. */
export interface SimulatedRegistration {
  accountName: string;
  serviceName: ServiceName;
  url: string;
  username: string;
  password: Secret;
  api: RegistrationApi;
}

/** A registration refused because the service is registered over the other API. */
export class OtherApiError extends Error {
  constructor(readonly existing: SimulatedRegistration) {
    super(
      `Service '${existing.serviceName}' of account '${existing.accountName}' is registered over ` +
        `${existing.api.toUpperCase()}; unregister it there first.`,
    );
  }
}

export class Registry {
  /** By account, then canonical service. */
  readonly #byAccount = new Map<string, Map<ServiceName, SimulatedRegistration>>();

  /** The registrations of one account or all, of one API or both, in registration order per account. */
  list(accountName?: string, api?: RegistrationApi): SimulatedRegistration[] {
    const accounts =
      accountName === undefined ? [...this.#byAccount.values()] : [this.#byAccount.get(accountName)];
    return accounts
      .flatMap((byService) => [...(byService?.values() ?? [])])
      .filter((registration) => api === undefined || registration.api === api);
  }

  get(accountName: string, serviceName: ServiceName): SimulatedRegistration | undefined {
    return this.#byAccount.get(accountName)?.get(serviceName);
  }

  /** Adds or replaces (over the same API) a registration; throws OtherApiError. */
  add(registration: SimulatedRegistration): void {
    const { accountName, serviceName } = registration;
    const existing = this.get(accountName, serviceName);
    if (existing !== undefined && existing.api !== registration.api) throw new OtherApiError(existing);
    const byService = this.#byAccount.get(accountName) ?? new Map<ServiceName, SimulatedRegistration>();
    // A Map keeps the first insertion's place: delete first, so a re-registration counts as the newest.
    byService.delete(serviceName);
    byService.set(serviceName, registration);
    this.#byAccount.set(accountName, byService);
  }

  /** False when the service has no registration over this API. */
  remove(accountName: string, serviceName: ServiceName, api: RegistrationApi): boolean {
    if (this.get(accountName, serviceName)?.api !== api) return false;
    return this.#byAccount.get(accountName)!.delete(serviceName);
  }
}
