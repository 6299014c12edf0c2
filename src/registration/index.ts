/** Managing an account's callback registrations with ThingSpace's UWS API (THINGSPACE.md §5). */
export { UwsSession, withUwsSession } from './client';
export type { CallbackRegistration, NewCallbackRegistration, UwsClientOptions } from './client';
export { callbackUrl, desiredRegistration, desiredRegistrations, MASKED_TOKEN, maskedUrl } from './desired';
export type { DesiredRegistration, RegistrationSettings } from './desired';
export {
  InvalidRegistrationError,
  RegistrationError,
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
export type { RetryEvent, TransportOptions } from './transport';
