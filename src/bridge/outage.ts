/**
 * Which accounts an outage may have left with device messages queued at the platform (THINGSPACE.md §3: device
 * SMS and NIDD device data that could not be delivered wait for StartSmsCallback). Pure: what the node saw in,
 * account names out; the recovery loop (recovery.ts) keeps the state.
 *
 *   refused      a 5xx answered to a callback of a queuing service: its account when authentication ran,
 *                otherwise every account that may receive that service
 *   not-ready    readiness lost to Kafka or a full spool: a load balancer stops sending, the platform's
 *                attempts fail elsewhere, so every account that takes a queuing service
 *   crashed      the last run did not shut down cleanly: the same
 */
import type { AccountConfig, Config } from '../config';
import { findService, QUEUED_UNTIL_START_SMS, type ServiceName } from '../thingspace/catalogue';

export type Observation =
  | { kind: 'refused'; service: ServiceName; account?: string }
  | { kind: 'not-ready'; reason: 'kafka-unavailable' | 'spool-full' }
  | { kind: 'crashed' };

/** The accounts an observation makes affected; none when it concerns no queuing service. */
export function affectedAccounts(
  observation: Observation,
  config: Pick<Config, 'accounts' | 'services'>,
): string[] {
  if (observation.kind !== 'refused') return recoverableAccounts(config);
  const { service, account } = observation;
  if (!QUEUED_UNTIL_START_SMS.has(service)) return [];
  if (account !== undefined) return [account];
  return config.accounts.filter((entry) => mayReceive(entry, service)).map((entry) => entry.name);
}

/** The accounts that take a queuing service on this node: those StartSmsCallback may concern. */
export function recoverableAccounts(config: Pick<Config, 'accounts' | 'services'>): string[] {
  const queuing = [...QUEUED_UNTIL_START_SMS].filter((service) => nodeTakes(config, service));
  return config.accounts
    .filter((entry) => queuing.some((service) => mayReceive(entry, service)))
    .map((entry) => entry.name);
}

function mayReceive(account: AccountConfig, service: ServiceName): boolean {
  return account.services[0] === '*' || account.services.some((name) => findService(name)?.name === service);
}

/** `services.<name>.enabled: false` (under any spelling) takes the service off the node. */
function nodeTakes(config: Pick<Config, 'services'>, service: ServiceName): boolean {
  return Object.entries(config.services).every(
    ([name, options]) => options.enabled || findService(name)?.name !== service,
  );
}
