/**
 * What `callbacks sync` has to do, decided from the desired registrations (the config) and the actual ones
 * (GetCallbackRegistrations), without side effects:
 *
 *   desired, not registered                        -> register
 *   registered elsewhere, or under another user    -> re-register (RegisterCallback again: one URL per service,
 *   (or twice, or --force)                            §1, so the new registration takes the service's place)
 *   registered, not desired any more               -> unregister
 *   registered as desired                          -> unchanged
 *   registered for a service that the API does     -> ignored: a REST-only service (§6) is not SOAP's to manage,
 *   not register, or the bridge does not know         and a registration we cannot read is not ours to remove
 *
 * Passwords cannot be compared: the platform never reports them. After changing one, `--force` re-registers.
 * A service is compared through the catalogue (case, other spellings), URLs as parsed (`:443` on https is the
 * same URL as none), usernames only where the platform reports them.
 */
import type { WireFormat } from '../message/types';
import { findServiceIn, SERVICES } from '../thingspace/catalogue';
import type { ServiceName } from '../thingspace/catalogue';
import type { CallbackRegistration } from './client';
import type { DesiredRegistration } from './desired';
import { checkRegistrations } from './rules';

export type ChangeReason = 'url' | 'username' | 'duplicate' | 'forced';

export type PlannedChange =
  | { action: 'register'; desired: DesiredRegistration }
  | {
      action: 'reregister';
      desired: DesiredRegistration;
      actual: CallbackRegistration;
      reasons: readonly ChangeReason[];
    }
  | { action: 'unregister'; actual: CallbackRegistration }
  | { action: 'unchanged'; desired: DesiredRegistration; actual: CallbackRegistration }
  | { action: 'ignored'; actual: CallbackRegistration };

export type Action = PlannedChange['action'];

/** The changes that call the platform. */
export type Change = Extract<PlannedChange, { action: 'register' | 'reregister' | 'unregister' }>;

export interface PlanInput {
  /** The accounts sync manages: their registrations not desired are removed, other accounts' left alone. */
  accounts: readonly string[];
  desired: readonly DesiredRegistration[];
  actual: readonly CallbackRegistration[];
  /** Re-register what looks unchanged (a password was changed: the platform cannot show it). */
  force?: boolean;
  /** The API the registrations are read and made over (default SOAP): which services it manages. */
  api?: WireFormat;
}

export interface SyncPlan {
  api: WireFormat;
  /** Per account (in the order given), per service in catalogue order; ignored ones last. */
  entries: readonly PlannedChange[];
}

const CATALOGUE_ORDER: ReadonlyMap<ServiceName, number> = new Map(
  SERVICES.map((entry, index) => [entry.name, index]),
);

/** Throws InvalidRegistrationError when `desired` names a service twice for an account. */
export function planSync({ accounts, desired, actual, force = false, api = 'soap' }: PlanInput): SyncPlan {
  // Only the one-URL-per-service rule: the URL rules are the caller's (its options decide them).
  checkRegistrations(desired, { allowHttp: true, allowAnyPort: true });
  const managed = [...new Set([...accounts, ...desired.map((entry) => entry.accountName)])];
  const entries = managed.flatMap((account) =>
    planAccount(
      desired.filter((entry) => entry.accountName === account),
      actual.filter((entry) => entry.accountName === account),
      force,
      api,
    ),
  );
  return { api, entries };
}

function planAccount(
  desired: readonly DesiredRegistration[],
  actual: readonly CallbackRegistration[],
  force: boolean,
  api: WireFormat,
): PlannedChange[] {
  const registered = new Map<ServiceName, CallbackRegistration[]>();
  const ignored: Extract<PlannedChange, { action: 'ignored' }>[] = [];
  for (const entry of actual) {
    const service = findServiceIn(api, entry.serviceName)?.name;
    if (service === undefined) ignored.push({ action: 'ignored', actual: entry });
    else registered.set(service, [...(registered.get(service) ?? []), entry]);
  }
  const planned: [ServiceName, PlannedChange][] = desired.map((wanted) => {
    const [current, ...more] = registered.get(wanted.serviceName) ?? [];
    registered.delete(wanted.serviceName);
    if (current === undefined) return [wanted.serviceName, { action: 'register', desired: wanted }];
    const reasons: ChangeReason[] = [];
    if (!sameUrl(current.url, wanted.url)) reasons.push('url');
    if (current.username !== undefined && current.username !== wanted.username) reasons.push('username');
    if (more.length > 0) reasons.push('duplicate');
    if (force) reasons.push('forced');
    const change: PlannedChange =
      reasons.length === 0
        ? { action: 'unchanged', desired: wanted, actual: current }
        : { action: 'reregister', desired: wanted, actual: current, reasons };
    return [wanted.serviceName, change];
  });
  // Left over: registered, not desired. UnregisterCallback names the service, so one call clears duplicates.
  for (const [service, [current]] of registered) {
    planned.push([service, { action: 'unregister', actual: current! }]);
  }
  planned.sort(([a], [b]) => CATALOGUE_ORDER.get(a)! - CATALOGUE_ORDER.get(b)!);
  ignored.sort((a, b) => compare(a.actual.serviceName, b.actual.serviceName));
  return [...planned.map(([, change]) => change), ...ignored];
}

export function isChange(entry: PlannedChange): entry is Change {
  return entry.action === 'register' || entry.action === 'reregister' || entry.action === 'unregister';
}

export function changesOf(plan: SyncPlan): Change[] {
  return plan.entries.filter(isChange);
}

export function countByAction(plan: SyncPlan): Record<Action, number> {
  const counts: Record<Action, number> = {
    register: 0,
    reregister: 0,
    unregister: 0,
    unchanged: 0,
    ignored: 0,
  };
  for (const entry of plan.entries) counts[entry.action] += 1;
  return counts;
}

/** URLs as parsed: scheme and host case, default ports and an empty path compare equal. */
function sameUrl(a: string, b: string): boolean {
  return normalizedUrl(a) === normalizedUrl(b);
}

function normalizedUrl(text: string): string {
  try {
    return new URL(text.trim()).href;
  } catch {
    return text;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
