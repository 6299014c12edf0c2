/**
 * `callbacks sync` as a library: desired registrations from the config, checked against the platform's rules
 * before anything is sent; then, in one session, the actual ones read per account, the plan made, and (unless a
 * dry run) its changes applied one by one. A failed change does not stop the others: each one left undone is
 * reported, and the next run plans exactly those again.
 */
import { withUwsSession } from './client';
import type { UwsClientOptions, UwsSession } from './client';
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
  client: UwsClientOptions,
  options: SyncOptions = {},
): Promise<SyncResult> {
  const accounts = selectAccounts(settings, options.accounts);
  const desired = desiredRegistrations(settings).filter((entry) => accounts.includes(entry.accountName));
  checkRegistrations(desired, options);
  return withUwsSession(client, async (session) => {
    const actual = [];
    for (const account of accounts) actual.push(...(await session.getCallbackRegistrations(account)));
    const plan = planSync({ accounts, desired, actual, force: options.force });
    options.onPlan?.(plan);
    const applied = options.dryRun ? [] : await applyChanges(session, changesOf(plan), options.onApplied);
    return { plan, applied };
  });
}

/** Applies changes in order; a failure is recorded and the next change tried. */
export async function applyChanges(
  session: Pick<UwsSession, 'registerCallback' | 'unregisterCallback'>,
  changes: readonly Change[],
  onApplied?: (result: AppliedChange) => void,
): Promise<AppliedChange[]> {
  const results: AppliedChange[] = [];
  for (const change of changes) {
    let result: AppliedChange;
    try {
      if (change.action === 'unregister') {
        await session.unregisterCallback(change.actual.accountName, change.actual.serviceName);
      } else {
        await session.registerCallback(change.desired);
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
