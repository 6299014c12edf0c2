/**
 * `callbacks sync` as a library: desired registrations from the config (the services the API registers),
 * checked against the platform's rules before anything is sent; then, over one open API (`thingspace.api`, ./api),
 * the actual ones read per account, the plan made, and (unless a dry run) its changes applied one by one. A failed
 * change does not stop the others: each one left undone is reported, and the next run plans exactly those again.
 */
import type { ThingSpaceApiConfig } from '../config';
import { withRegistrationApi } from './api';
import type { RegistrationApi, RegistrationApiOptions } from './api';
import { desiredRegistrations } from './desired';
import type { RegistrationSettings } from './desired';
import { InvalidRegistrationError } from './errors';
import { changesOf, planSync } from './plan';
import type { Change, SyncPlan } from './plan';
import { checkRegistrations } from './rules';
import type { UrlCheckOptions } from './rules';

export interface SyncOptions extends UrlCheckOptions {
  /** Plan only. */
  dryRun?: boolean;
  /** Re-register what looks unchanged. */
  force?: boolean;
  /** Only these accounts of the config (all when absent). */
  accounts?: readonly string[];
  /** Told once the plan is made, before any change is applied. */
  onPlan?: (plan: SyncPlan) => void;
  /** Told after each change, applied or failed. */
  onApplied?: (result: AppliedChange) => void;
}

export interface AppliedChange {
  change: Change;
  /** Why it failed; absent when it was applied. */
  error?: unknown;
}

export interface SyncResult {
  plan: SyncPlan;
  /** Empty on a dry run. */
  applied: readonly AppliedChange[];
}

export async function syncRegistrations(
  settings: RegistrationSettings,
  thingspace: ThingSpaceApiConfig,
  options: SyncOptions = {},
  apiOptions: RegistrationApiOptions = {},
): Promise<SyncResult> {
  const accounts = selectAccounts(settings, options.accounts);
  const desired = desiredRegistrations(settings, thingspace.api).filter((entry) =>
    accounts.includes(entry.accountName),
  );
  checkRegistrations(desired, options);
  return withRegistrationApi(
    thingspace,
    async (api) => {
      const actual = [];
      for (const account of accounts) actual.push(...(await api.list(account)));
      const plan = planSync({ accounts, desired, actual, force: options.force, api: api.api });
      options.onPlan?.(plan);
      const applied = options.dryRun ? [] : await applyChanges(api, changesOf(plan), options.onApplied);
      return { plan, applied };
    },
    apiOptions,
  );
}

/** Applies changes in order; a failure is recorded and the next change tried. */
export async function applyChanges(
  api: Pick<RegistrationApi, 'register' | 'unregister'>,
  changes: readonly Change[],
  onApplied?: (result: AppliedChange) => void,
): Promise<AppliedChange[]> {
  const results: AppliedChange[] = [];
  for (const change of changes) {
    let result: AppliedChange;
    try {
      if (change.action === 'unregister') {
        await api.unregister(change.actual.accountName, change.actual.serviceName);
      } else {
        await api.register(change.desired);
      }
      result = { change };
    } catch (error) {
      result = { change, error };
    }
    results.push(result);
    onApplied?.(result);
  }
  return results;
}

function selectAccounts(settings: RegistrationSettings, wanted: readonly string[] | undefined): string[] {
  const names = settings.accounts.map((account) => account.name);
  if (wanted === undefined || wanted.length === 0) return names;
  const unknown = wanted.filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    throw new InvalidRegistrationError(unknown.map((name) => `no account named ${name} in the config`));
  }
  return [...wanted];
}
