/**
 * The callback services ThingSpace sends over SOAP (THINGSPACE.md §1): canonical name, the other spellings met
 * in the wild, and per message root the category (hence the topic) and how its payload is read. The lookup table
 * is built once, at module load.
 */
import type { Category } from '../events/types';
import type { CallbackRoot, WireFormat } from '../message/types';
import { UnexpectedRootError, UnknownServiceError } from './errors';
import { carrierService } from './payloads/carrier-service';
import { externalProvisioningChange } from './payloads/external-provisioning-change';
import { fault } from './payloads/fault';
import type { ElementMapper } from './payloads/mapper';
import { promoChange } from './payloads/promo-change';
import { resumeTrackingComment } from './payloads/resume-tracking-comment';
import { fromData, fromSmsMessage } from './payloads/select';
import type { PayloadSelector } from './payloads/select';

export type ServiceName =
  | 'CarrierService'
  | 'DevicePRLInformation'
  | 'DeviceService'
  | 'DeviceSuspensionStatus'
  | 'DeviceUsage'
  | 'SMSDeliveryConfirmation'
  | 'EnhancedConnectivityService'
  | 'ExternalProvisioningChanges'
  | 'PromoChange'
  | 'ResumeTrackingNotification'
  | 'AlertService';

/** How one service's messages with one root become an event. */
export interface Route {
  readonly service: ServiceName;
  readonly category: Category;
  readonly selectPayload: PayloadSelector;
}

export interface ServiceEntry {
  readonly name: ServiceName;
  /** Other spellings the platform uses for the same service (THINGSPACE.md §1, "spelling traps"). */
  readonly aliases: readonly string[];
  /**
   * How the platform sends this service's callbacks: `soap` when it can be registered over the UWS SOAP API
   * (src/registration), `rest` over the REST API. The newer services exist over REST only (§6).
   */
  readonly formats: readonly WireFormat[];
  /** The roots this service sends; any other is an UnexpectedRootError. */
  readonly routes: Readonly<Partial<Record<CallbackRoot, Route>>>;
}

type RouteSpec = Omit<Route, 'service'>;

/** A CallbackRequest route: the service's own payload mappers, plus Fault, which any `Data` may carry (§2). */
function fromDataOf(category: Category, ...mappers: ElementMapper[]): RouteSpec {
  return { category, selectPayload: fromData([...mappers, fault]) };
}

const BOTH: readonly WireFormat[] = ['soap', 'rest'];

function service(
  name: ServiceName,
  aliases: readonly string[],
  formats: readonly WireFormat[],
  routes: Partial<Record<CallbackRoot, RouteSpec>>,
): ServiceEntry {
  const named: Partial<Record<CallbackRoot, Route>> = {};
  for (const [root, spec] of Object.entries(routes) as [CallbackRoot, RouteSpec][]) {
    named[root] = { service: name, ...spec };
  }
  return { name, aliases, formats, routes: named };
}

export const SERVICES: readonly ServiceEntry[] = [
  service('CarrierService', [], BOTH, { CallbackRequest: fromDataOf('async-response', carrierService) }),
  service('DevicePRLInformation', [], BOTH, { CallbackRequest: fromDataOf('async-response') }),
  service('DeviceService', [], BOTH, { CallbackRequest: fromDataOf('async-response') }),
  service('DeviceSuspensionStatus', [], BOTH, { CallbackRequest: fromDataOf('async-response') }),
  service('DeviceUsage', [], BOTH, { CallbackRequest: fromDataOf('async-response') }),
  service('SMSDeliveryConfirmation', [], BOTH, { CallbackRequest: fromDataOf('async-response') }),
  // One service, two kinds of message told apart by the root (§1, §2): results of SendSmsMessage, and SMS
  // sent by devices.
  service('EnhancedConnectivityService', [], BOTH, {
    CallbackRequest: fromDataOf('async-response'),
    SmsCallbackRequest: { category: 'device-originated', selectPayload: fromSmsMessage },
  }),
  // The service is plural, its payload element singular (§1); both spellings reach us.
  service('ExternalProvisioningChanges', ['ExternalProvisioningChange'], BOTH, {
    CallbackRequest: fromDataOf('external-change', externalProvisioningChange),
  }),
  // REST spells it PromoChanges (§1).
  service('PromoChange', ['PromoChanges'], BOTH, {
    CallbackRequest: fromDataOf('external-change', promoChange),
  }),
  service('ResumeTrackingNotification', [], BOTH, {
    CallbackRequest: fromDataOf('external-change', resumeTrackingComment),
  }),
  service('AlertService', ['AlertsService'], BOTH, { CallbackRequest: fromDataOf('external-change') }),
];

/** The services that can be registered over the UWS SOAP API (src/registration, the simulator's fake UWS). */
export const SOAP_SERVICES: readonly ServiceEntry[] = SERVICES.filter((entry) =>
  entry.formats.includes('soap'),
);

/** Every name and alias, lower-cased: service names are matched case-insensitively (§1). */
const BY_NAME: ReadonlyMap<string, ServiceEntry> = new Map(
  SERVICES.flatMap((entry) =>
    [entry.name, ...entry.aliases].map((name) => [name.toLowerCase(), entry] as const),
  ),
);

/** The service a URL names, in any case or known spelling; undefined when unknown. */
export function findService(name: string): ServiceEntry | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** As findService, for a service the UWS SOAP API registers: undefined for REST-only and unknown ones. */
export function findSoapService(name: string): ServiceEntry | undefined {
  const entry = findService(name);
  return entry?.formats.includes('soap') ? entry : undefined;
}

/** How to turn this service's message with this root into an event; throws the typed errors of ./errors. */
export function resolveRoute(name: string, root: CallbackRoot): Route {
  const entry = findService(name);
  if (!entry) throw new UnknownServiceError(name);
  const route = entry.routes[root];
  if (!route) throw new UnexpectedRootError(entry.name, root);
  return route;
}

/**
 * How service names compare, in the config's checks and in authentication alike: case-insensitively and through
 * the catalogue's other spellings (THINGSPACE.md §1), so `PromoChanges`, `promochange` and `PromoChange` are one
 * service. A name the catalogue doesn't know is accepted and compares by case alone: validating names is the
 * HTTP layer's job (404), and a newer service must not need a release to be configured.
 */
export function serviceKey(name: string): string {
  return (findService(name)?.name ?? name).toLowerCase();
}
