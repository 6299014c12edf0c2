/**
 * The recovery loop (config `thingspace.recovery`): device messages the platform could not deliver wait in its
 * queue until the account calls StartSmsCallback (THINGSPACE.md §3). The loop collects the accounts an outage may
 * have affected (outage.ts) and, once the node has been ready for `quietMs` with no new refusal, calls start-sms
 * for each, one at a time; a failed call is retried with a doubling, jittered delay (util/backoff). An account
 * refused again while its call was under way stays pending: what was queued after the call started is not
 * released by it.
 *
 * Fed by the node: refusedAfterAuth() from the pipeline (the account is known), refused() from the HTTP layer for
 * every 5xx answered to a callback (the same refusal, if the pipeline already named its account, is not widened to
 * every account), observe() for a crash; readiness is sampled on every tick.
 */
import type { Config, RecoveryConfig } from '../config';
import type { Readiness } from '../http/app';
import type { Logger, Metrics } from '../observability';
import type { ServiceName } from '../thingspace/catalogue';
import { backoffDelay, type Random } from '../util/backoff';
import { affectedAccounts, type Observation } from './outage';

/** Releases one account's queued device messages (StartSmsCallback, over the API the config names). */
export type StartSms = (account: string) => Promise<void>;

export interface RecoveryDeps {
  config: Pick<Config, 'accounts' | 'services'>;
  options: Omit<RecoveryConfig, 'enabled' | 'stateDir'>;
  startSms: StartSms;
  readiness: Readiness;
  metrics: Pick<Metrics, 'recoveryCalls' | 'recoveryPendingAccounts'>;
  logger: Logger;
  /** Epoch ms; tests move it. */
  now?: () => number;
  /** The retry delay's jitter; Math.random when absent. */
  random?: Random;
}

interface Pending {
  /** When the account was last seen affected. */
  affectedAt: number;
  /** Failed calls since the last success. */
  failures: number;
  /** No call before this. */
  notBefore: number;
}

export class RecoveryLoop {
  readonly #deps: RecoveryDeps;
  readonly #now: () => number;
  readonly #pending = new Map<string, Pending>();
  /** Refusals whose account the pipeline named: the HTTP layer's report of them adds nothing. */
  readonly #attributed = new WeakSet<object>();
  /** When readiness was last found failing: the quiet period counts from there too. */
  #unreadyAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(deps: RecoveryDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Accounts waiting for their call. */
  get pending(): string[] {
    return [...this.#pending.keys()];
  }

  observe(observation: Observation): void {
    const now = this.#now();
    for (const account of affectedAccounts(observation, this.#deps.config)) {
      const entry = this.#pending.get(account);
      if (entry === undefined) {
        this.#pending.set(account, { affectedAt: now, failures: 0, notBefore: 0 });
        this.#deps.logger.warn(
          { account, cause: observation.kind },
          'recovery: device messages of this account may be queued at the platform',
        );
      } else entry.affectedAt = now;
    }
    this.#deps.metrics.recoveryPendingAccounts.set(this.#pending.size);
  }

  /** The pipeline could not deliver an authenticated callback of `account`. */
  refusedAfterAuth(service: ServiceName, account: string, reason: unknown): void {
    if (typeof reason === 'object' && reason !== null) this.#attributed.add(reason);
    this.observe({ kind: 'refused', service, account });
  }

  /** A callback of `service` was answered with a 5xx. */
  refused(service: ServiceName, reason: unknown): void {
    if (typeof reason === 'object' && reason !== null && this.#attributed.has(reason)) return;
    this.observe({ kind: 'refused', service });
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.tick(), this.#deps.options.checkIntervalMs).unref();
  }

  /** Stops ticking; resolves once a round of calls under way has ended. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /**
   * One look: readiness sampled, the due accounts called (unless a round is under way); the round it started, if
   * any, which never rejects (a failed call is counted, logged and retried later).
   */
  tick(): Promise<void> | undefined {
    const notReady = this.#deps.readiness();
    if (notReady !== undefined) {
      this.#unreadyAt = this.#now();
      if (notReady === 'kafka-unavailable' || notReady === 'spool-full') {
        this.observe({ kind: 'not-ready', reason: notReady });
      }
      return undefined;
    }
    if (this.#running !== undefined) return undefined;
    const due = this.#due();
    if (due.length === 0) return undefined;
    this.#running = this.#callEach(due).finally(() => (this.#running = undefined));
    return this.#running;
  }

  #due(): string[] {
    const now = this.#now();
    const { quietMs } = this.#deps.options;
    return [...this.#pending]
      .filter(
        ([, entry]) => now - Math.max(entry.affectedAt, this.#unreadyAt) >= quietMs && now >= entry.notBefore,
      )
      .map(([account]) => account);
  }

  async #callEach(accounts: readonly string[]): Promise<void> {
    const { startSms, metrics, logger, options } = this.#deps;
    for (const account of accounts) {
      const startedAt = this.#now();
      try {
        await startSms(account);
        metrics.recoveryCalls.inc({ outcome: 'released' });
        logger.info({ account }, 'recovery: StartSmsCallback called, queued device messages released');
        const entry = this.#pending.get(account);
        if (entry !== undefined && entry.affectedAt < startedAt) this.#pending.delete(account);
      } catch (err) {
        const entry = this.#pending.get(account);
        if (entry === undefined) continue;
        entry.failures += 1;
        const retryInMs = backoffDelay(entry.failures, {
          baseMs: options.retryDelayMs,
          maxMs: options.maxRetryDelayMs,
          random: this.#deps.random,
        });
        entry.notBefore = this.#now() + retryInMs;
        metrics.recoveryCalls.inc({ outcome: 'failed' });
        logger.warn(
          { account, err: err instanceof Error ? err.message : 'unknown failure', retryInMs },
          'recovery: StartSmsCallback failed',
        );
      }
    }
    metrics.recoveryPendingAccounts.set(this.#pending.size);
  }
}
