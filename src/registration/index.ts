/** Managing an account's callback registrations with ThingSpace's UWS SOAP API or REST API (THINGSPACE.md §5, §6). */
export { openRegistrationApi, withRegistrationApi } from './api';
export type { RegistrationApi, RegistrationApiOptions } from './api';
export { UwsSession, withUwsSession } from './client';
export type { CallbackRegistration, NewCallbackRegistration, UwsClientOptions } from './client';
export { callbackUrl, desiredRegistration, desiredRegistrations, MASKED_TOKEN, maskedUrl } from './desired';
export type { DesiredRegistration, RegistrationSettings } from './desired';
export {
  InvalidRegistrationError,
  RegisteredOverSoapError,
  RegistrationError,
  RestAuthFailedError,
  RestBadResponseError,
  RestError,
  RestHttpStatusError,
  RestUnreachableError,
  UwsBadResponseError,
  UwsFaultError,
  UwsHttpStatusError,
  UwsUnreachableError,
} from './errors';
export { changesOf, countByAction, isChange, planSync } from './plan';
export type { Action, Change, ChangeReason, PlanInput, PlannedChange, SyncPlan } from './plan';
export { formatPlan, formatRegistrations } from './report';
export { callbackUrlProblems, checkRegistrations, registrationProblems } from './rules';
export type { UrlCheckOptions } from './rules';
export { applyChanges, syncRegistrations } from './sync';
export type { AppliedChange, SyncOptions, SyncResult } from './sync';
export { RestRegistrationApi } from './rest/client';
export type { RestApiOptions } from './rest/client';
export type { RetryEvent, TransportOptions } from './transport';
