/**
 * The registrations the bridge's config asks for: per account, every service it may receive that the bridge has
 * enabled, at the URL the bridge is reached at, with the account's callback credentials (empty for an account
 * known only by its path token). What `callbacks sync` converges the platform to.
 *
 *   URL: <http.publicBaseUrl>/callbacks/<Service>, or /callbacks/<pathToken>/<Service> for an account with a
 *   path token; on services.<name>.port instead of the base URL's port when that service has a listener of its
 *   own (which takes the same paths, and `POST /`).
 *
 * A URL with a path token holds a secret: whatever prints one shows `maskedUrl(url)`.
 */
import type { AccountConfig, Config } from '../config';
import type { WireFormat } from '../message/types';
import { Secret } from '../util/secret';
import { findServiceIn, servicesIn, serviceKey } from '../thingspace/catalogue';
import type { ServiceName } from '../thingspace/catalogue';
import { InvalidRegistrationError } from './errors';

export interface DesiredRegistration {
  accountName: string;
  serviceName: ServiceName;
  url: string;
  username: string;
  password: Secret;
}

/** The parts of the config that decide registrations. */
export type RegistrationSettings = Pick<Config, 'accounts' | 'services' | 'http'>;

/**
 * Over `api` (default SOAP): only the services that API registers. Throws InvalidRegistrationError when the
 * config cannot say where the bridge is reached.
 */
export function desiredRegistrations(
  settings: RegistrationSettings,
  api: WireFormat = 'soap',
): DesiredRegistration[] {
  const base = publicBaseUrlOf(settings);
  const problems: string[] = [];
  const desired = settings.accounts.flatMap((account) =>
    servicesTaken(settings, account.services, api).flatMap(({ serviceName, port }): DesiredRegistration[] => {
      if (port === 0) {
        problems.push(portZero(serviceName));
        return [];
      }
      return [registrationOf(account, serviceName, callbackUrl(base, serviceName, port, account.pathToken))];
    }),
  );
  if (problems.length > 0) throw new InvalidRegistrationError(problems);
  return desired;
}

/**
 * One account's registration of one service, at `url` or at the URL the config gives it. Throws
 * InvalidRegistrationError when the bridge does not take that service from that account: its callbacks would
 * only be refused.
 */
export function desiredRegistration(
  settings: RegistrationSettings,
  accountName: string,
  serviceName: ServiceName,
  url?: string,
  api: WireFormat = 'soap',
): DesiredRegistration {
  const account = settings.accounts.find((candidate) => candidate.name === accountName);
  if (account === undefined) {
    throw new InvalidRegistrationError([`no account named ${accountName} in the config`]);
  }
  const taken = servicesTaken(settings, account.services, api).find(
    (entry) => entry.serviceName === serviceName,
  );
  if (taken === undefined) {
    throw new InvalidRegistrationError([
      `the bridge does not take ${serviceName} callbacks for account ${accountName} (disabled in services, or not among the account's services)`,
    ]);
  }
  if (url === undefined && taken.port === 0) {
    throw new InvalidRegistrationError([portZero(serviceName)]);
  }
  return registrationOf(
    account,
    serviceName,
    url ?? callbackUrl(publicBaseUrlOf(settings), serviceName, taken.port, account.pathToken),
  );
}

/** Registered for an account without credentials: ThingSpace then sends empty ones (THINGSPACE.md §6). */
const NO_PASSWORD = new Secret('');

function registrationOf(account: AccountConfig, serviceName: ServiceName, url: string): DesiredRegistration {
  return {
    accountName: account.name,
    serviceName,
    url,
    username: account.username ?? '',
    password: account.password ?? NO_PASSWORD,
  };
}

/** Where ThingSpace posts `service`'s callbacks to this bridge, for an account with `pathToken` or without. */
export function callbackUrl(
  publicBaseUrl: string,
  service: ServiceName,
  port?: number,
  pathToken?: Secret,
): string {
  const url = new URL(publicBaseUrl);
  if (port !== undefined) url.port = String(port);
  const token = pathToken === undefined ? '' : `${pathToken.reveal()}/`;
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/callbacks/${token}${service}`;
  url.search = '';
  url.hash = '';
  return url.href;
}

/** What stands for a path token wherever a URL is shown. */
export const MASKED_TOKEN = '****';

/**
 * A callback URL fit to print: the path token of `/callbacks/<token>/<Service>`, the only place the bridge takes
 * one, replaced by MASKED_TOKEN. Applied to every URL shown, the platform's included (it reports the URLs it
 * holds in clear).
 */
export function maskedUrl(url: string): string {
  return url.replace(/\/callbacks\/[^/?#]+\/(?=[^/?#]+\/?(?:[?#]|$))/, `/callbacks/${MASKED_TOKEN}/`);
}

function portZero(serviceName: ServiceName): string {
  return `services.${serviceName}.port is 0 (chosen at start): no URL to register`;
}

function publicBaseUrlOf(settings: RegistrationSettings): string {
  const { publicBaseUrl } = settings.http;
  if (publicBaseUrl === undefined) {
    throw new InvalidRegistrationError([
      'http.publicBaseUrl is not set (or BRIDGE_PUBLIC_BASE_URL): the config does not say where ThingSpace reaches the bridge',
    ]);
  }
  return publicBaseUrl;
}

/**
 * The services the bridge takes from an account that `api` registers, in catalogue order, with the port of their
 * own listener. A name the catalogue does not know is left out: the bridge answers its callbacks 404, so
 * registering it would only get them archived (§3). So is a REST-only service over SOAP: the UWS SOAP API cannot
 * register it (§6).
 */
function servicesTaken(
  settings: RegistrationSettings,
  names: readonly string[],
  api: WireFormat,
): { serviceName: ServiceName; port?: number }[] {
  const wanted =
    names[0] === '*' ? undefined : new Set(names.flatMap((name) => findServiceIn(api, name)?.name ?? []));
  return servicesIn(api).flatMap(({ name }) => {
    if (wanted !== undefined && !wanted.has(name)) return [];
    const options = serviceOptions(settings.services, name);
    if (options?.enabled === false) return [];
    return [{ serviceName: name, ...(options?.port === undefined ? {} : { port: options.port }) }];
  });
}

function serviceOptions(
  services: RegistrationSettings['services'],
  service: ServiceName,
): RegistrationSettings['services'][string] | undefined {
  const key = serviceKey(service);
  return Object.entries(services).find(([name]) => serviceKey(name) === key)?.[1];
}
