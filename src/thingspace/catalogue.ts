/**
 * The callback services ThingSpace sends (THINGSPACE.md §1 and §6): canonical name, the other spellings met in
 * the wild, the wire formats the platform sends them in, and per message root the category (hence the topic) and
 * how its payload is read. A route reads SOAP and REST messages alike: its mappers name both payload spellings.
 * The lookup table is built once, at module load.
 */
import type { Category } from '../events/types';
import type { CallbackRoot, WireFormat } from '../message/types';
import { UnexpectedRootError, UnknownServiceError } from './errors';
import { activate } from './payloads/activate';
import { carrierService } from './payloads/carrier-service';
import { deactivate } from './payloads/deactivate';
import { externalProvisioningChange } from './payloads/external-provisioning-change';
import { fault } from './payloads/fault';
import type { ElementMapper } from './payloads/mapper';
import { niddConfig } from './payloads/nidd-config';
import { niddMoData } from './payloads/nidd-mo-data';
import { niddMtDelivery } from './payloads/nidd-mt-delivery';
import { prlInformation } from './payloads/prl-information';
import { promoChange } from './payloads/promo-change';
import { restore } from './payloads/restore';
import { resumeTrackingComment } from './payloads/resume-tracking-comment';
import { fromData, fromSmsMessage } from './payloads/select';
import type { PayloadSelector } from './payloads/select';
import { servicePlan } from './payloads/service-plan';
import { smsDelivery } from './payloads/sms-delivery';
import { suspend } from './payloads/suspend';
import { usage } from './payloads/usage';

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
  | 'AlertService'
  | 'NiddService'
  | 'StateService'
  | 'DeviceProfileService'
  | 'SubscriptionNotificationService'
  | 'DiagnosticsService'
  | 'IntelligenceService';

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

/**
 * A CallbackRequest route: the service's own payload mappers, plus Fault, which any `Data` (SOAP) or message
 * (REST `faultResponse`) may carry (§2, §6).
 */
function fromDataOf(category: Category, ...mappers: ElementMapper[]): RouteSpec {
  return { category, selectPayload: fromData([...mappers, fault]) };
}

const BOTH: readonly WireFormat[] = ['soap', 'rest'];
const REST_ONLY: readonly WireFormat[] = ['rest'];

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

/** REST results of the requests that change a device's state or plan (§6); CarrierService and NiddService send them. */
const STATE_CHANGE_RESULTS = [activate, deactivate, suspend, restore, servicePlan];

export const SERVICES: readonly ServiceEntry[] = [
  service('CarrierService', [], BOTH, {
    CallbackRequest: fromDataOf('async-response', carrierService, ...STATE_CHANGE_RESULTS),
  }),
  service('DevicePRLInformation', [], BOTH, {
    CallbackRequest: fromDataOf('async-response', prlInformation),
  }),
  service('DeviceService', [], BOTH, { CallbackRequest: fromDataOf('async-response') }),
  // Answers GetDeviceSuspensionStatus with the counters a suspendResponse carries (a guess that it is one).
  service('DeviceSuspensionStatus', [], BOTH, { CallbackRequest: fromDataOf('async-response', suspend) }),
  service('DeviceUsage', [], BOTH, { CallbackRequest: fromDataOf('async-response', usage) }),
  service('SMSDeliveryConfirmation', [], BOTH, {
    CallbackRequest: fromDataOf('async-response', smsDelivery),
  }),
  // One service, two kinds of message told apart by the root (§1, §2): results of SendSmsMessage, and SMS
  // sent by devices (REST: a message with a top-level smsMessage).
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
  // REST spells it AlertsService (§6).
  service('AlertService', ['AlertsService'], BOTH, { CallbackRequest: fromDataOf('external-change') }),

  // REST only (§6). Categories from Verizon's descriptions of the services (its API SDKs' service-name docs and
  // its three kinds of callback: API responses, notifications, device messages).
  // NIDD: results of state and plan changes (a second callback beside CarrierService's), of NIDD configuration
  // and of data sent to a device answer requests; data sent by a device (niddMONotificationResponse) is
  // device-originated: its mapper says so, whatever the route's category.
  service('NiddService', [], REST_ONLY, {
    CallbackRequest: fromDataOf(
      'async-response',
      niddMoData,
      niddMtDelivery,
      niddConfig,
      ...STATE_CHANGE_RESULTS,
    ),
  }),
  // Results of PUT /devices/actions/gotostate.
  service('StateService', [], REST_ONLY, { CallbackRequest: fromDataOf('async-response') }),
  // Results of eSIM profile download, enable, disable and delete requests.
  service('DeviceProfileService', [], REST_ONLY, { CallbackRequest: fromDataOf('async-response') }),
  // Notices that a line's data is (partly) throttled: nothing the account asked for.
  service('SubscriptionNotificationService', [], REST_ONLY, {
    CallbackRequest: fromDataOf('external-change'),
  }),
  // Results of registering SCEF devices for state (awake/sleep) notifications; Verizon files them as API
  // responses.
  service('DiagnosticsService', [], REST_ONLY, { CallbackRequest: fromDataOf('async-response') }),
  // ThingSpace Intelligence notices (network conditions, coverage, experience scores): notifications, unasked.
  service('IntelligenceService', [], REST_ONLY, { CallbackRequest: fromDataOf('external-change') }),
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
  return findServiceIn('soap', name);
}

/** As findService, for a service that can be registered over this API (`soap`: UWS §5, `rest`: §6). */
export function findServiceIn(format: WireFormat, name: string): ServiceEntry | undefined {
  const entry = findService(name);
  return entry?.formats.includes(format) ? entry : undefined;
}

const REST_SERVICES: readonly ServiceEntry[] = SERVICES.filter((entry) => entry.formats.includes('rest'));

/** The services that can be registered over this API, in catalogue order. */
export function servicesIn(format: WireFormat): readonly ServiceEntry[] {
  return format === 'soap' ? SOAP_SERVICES : REST_SERVICES;
}

/** Where REST's spelling of a service differs from the canonical (SOAP) one: its list in §6. */
const REST_SPELLINGS: Readonly<Partial<Record<ServiceName, string>>> = {
  PromoChange: 'PromoChanges',
  AlertService: 'AlertsService',
};

/** The `name` the REST registration API takes for this service (§6). */
export function restServiceName(name: ServiceName): string {
  return REST_SPELLINGS[name] ?? name;
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

/**
 * The services whose device-originated messages the platform queues, not re-sends, when their delivery failed,
 * until the account calls StartSmsCallback (THINGSPACE.md §3): device SMS, and NIDD device data (REST).
 */
export const QUEUED_UNTIL_START_SMS: ReadonlySet<ServiceName> = new Set<ServiceName>([
  'EnhancedConnectivityService',
  'NiddService',
]);
