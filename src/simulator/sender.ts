/**
 * The platform's side of callback delivery (THINGSPACE.md §3, §6), for the simulator: posts callbacks to
 * registered URLs, as SOAP envelopes to a SOAP registration and as JSON to a REST one (the same retry policy,
 * §6), and treats every answer but a 2xx as unacknowledged.
 *
 *   a response or notice   re-sent three more times, `retryIntervalMs` apart (5 minutes on the platform), with
 *                          CallbackCount counting the attempts; after the fourth it is given up (archived).
 *   a message of a device  (device SMS, NIDD data from a device) not re-sent: queued per account until
 *                          StartSmsCallback (SOAP) or startCallbacks (REST) releases the queue (§3), which sends
 *                          each queued message once more (and queues it again if that fails too).
 *
 * No answer (refused, reset, `attemptTimeoutMs` passed) counts as unacknowledged, like a 5xx.
 */
import { randomUUID } from 'node:crypto';
import type { ServiceName } from '../thingspace/catalogue';
import { CONTENT_TYPES, renderCallback } from './templates';
import { MAX_ATTEMPTS } from './values';
import type { RegistrationApi, SimulatedRegistration } from './registry';
import type { CallbackTemplate } from './templates';

/**
 * Where, as whom and in which format one service's callbacks of one account go: a registration (its API
 * chooses the templates: SOAP ones for `soap`, JSON ones for `rest`).
 */
export type CallbackTarget = SimulatedRegistration;

export interface SenderOptions {
  /** Between the attempts of one callback; the platform waits 5 minutes (§3). */
  retryIntervalMs?: number;
  /** How long one attempt waits for its answer. */
  attemptTimeoutMs?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** After every attempt. */
  onAttempt?: (attempt: AttemptResult) => void;
  /** After every callback's last attempt for now: acknowledged, given up, queued or unfinished. */
  onCallback?: (callback: DeliveredCallback) => void;
}

export interface AttemptResult {
  target: CallbackTarget;
  template: string;
  requestId: string | undefined;
  /** 1 for the first. */
  callbackCount: number;
  /** The HTTP status, or undefined when no answer came. */
  status: number | undefined;
}

export type Outcome = 'acknowledged' | 'given-up' | 'queued' | 'unfinished';

export interface DeliveredCallback {
  target: CallbackTarget;
  template: string;
  root: CallbackTemplate['root'];
  /** Undefined for device SMS, which carries none (§2). */
  requestId: string | undefined;
  /** The message of the first attempt, XML or JSON (later ones differ only in CallbackCount). */
  body: string;
  attempts: number;
  outcome: Outcome;
}

export interface SendPlan {
  targets: readonly CallbackTarget[];
  templates: readonly CallbackTemplate[];
  /**
   * Callbacks per target, cycling through its service's templates; each template once when absent; Infinity
   * to send until the signal aborts.
   */
  count?: number;
  /** First attempts started per second over all targets; as fast as `concurrency` allows when absent. */
  ratePerSecond?: number;
  /** Stops starting callbacks; callbacks waiting for a retry end as unfinished. */
  signal?: AbortSignal;
}

/** Callbacks, not attempts, except `retried`, which counts the re-sends. */
export interface SendReport {
  sent: number;
  acknowledged: number;
  retried: number;
  givenUp: number;
  queued: number;
  unfinished: number;
}

export const DEFAULT_RETRY_INTERVAL_MS = 5 * 60_000;
const DEFAULT_ATTEMPT_TIMEOUT_MS = 30_000;
const DEFAULT_CONCURRENCY = 8;

/** One callback being delivered. */
interface Message {
  target: CallbackTarget;
  template: CallbackTemplate;
  requestId: string | undefined;
  serial: number;
  attempts: number;
  body: string;
}

export function emptyReport(): SendReport {
  return { sent: 0, acknowledged: 0, retried: 0, givenUp: 0, queued: 0, unfinished: 0 };
}

export class CallbackSender {
  readonly #retryIntervalMs: number;
  readonly #attemptTimeoutMs: number;
  readonly #options: SenderOptions;
  readonly #slots: Semaphore;
  /** Device messages waiting for StartSmsCallback or startCallbacks. */
  readonly #queue: Message[] = [];
  #serial = 0;

  constructor(options: SenderOptions = {}) {
    this.#options = options;
    this.#retryIntervalMs = options.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS;
    this.#attemptTimeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    this.#slots = new Semaphore(options.concurrency ?? DEFAULT_CONCURRENCY);
  }

  /** Sends the plan's callbacks; resolves once each is acknowledged, given up, queued or unfinished. */
  async send(plan: SendPlan): Promise<SendReport> {
    const report = emptyReport();
    const started = performance.now();
    // Only the unsettled ones: a run at a rate until stopped must not keep every finished delivery.
    const deliveries = new Set<Promise<void>>();
    let index = 0;
    for (const message of this.#messages(plan)) {
      if (plan.signal?.aborted) break;
      if (plan.ratePerSecond !== undefined) {
        await sleep(started + (index++ * 1000) / plan.ratePerSecond - performance.now(), plan.signal);
        if (plan.signal?.aborted) break;
      }
      report.sent += 1;
      // Taken before the delivery starts, so the loop waits while every slot is busy.
      const release = await this.#slots.take();
      const delivery = this.#deliver(message, report, plan.signal, release);
      deliveries.add(delivery);
      void delivery.finally(() => deliveries.delete(delivery));
    }
    await Promise.all(deliveries);
    return report;
  }

  /** Device messages waiting for StartSmsCallback or startCallbacks, of one account or all. */
  queued(accountName?: string): number {
    return this.#queue.filter(
      (queued) => accountName === undefined || queued.target.accountName === accountName,
    ).length;
  }

  /**
   * StartSmsCallback (`soap`) or startCallbacks (`rest`): sends the account's device messages queued in that
   * API's format once more, each to the registration its service now has (`targetOf`). One whose service has
   * no registration over that API now stays queued. Whether one API's call releases the other's queue is
   * unpublished; the simulator keeps them apart.
   */
  async release(
    accountName: string,
    api: RegistrationApi,
    targetOf: (serviceName: ServiceName) => CallbackTarget | undefined,
  ): Promise<SendReport> {
    const report = emptyReport();
    const deliveries: Promise<void>[] = [];
    const mine = (message: Message) =>
      message.target.accountName === accountName && message.template.format === api;
    for (const queued of this.#queue.filter(mine)) {
      const target = targetOf(queued.target.serviceName);
      if (target?.api !== api) continue;
      this.#queue.splice(this.#queue.indexOf(queued), 1);
      report.sent += 1;
      const release = await this.#slots.take();
      deliveries.push(this.#deliver({ ...queued, target }, report, undefined, release));
    }
    await Promise.all(deliveries);
    return report;
  }

  /** Round-robin over the targets, so services interleave as they would on the platform. */
  *#messages(plan: SendPlan): Generator<Message> {
    const perTarget = plan.targets.map((target) => {
      const templates = plan.templates.filter(
        (template) => template.service === target.serviceName && template.format === target.api,
      );
      return { target, templates, count: templates.length === 0 ? 0 : (plan.count ?? templates.length) };
    });
    for (let round = 0; perTarget.some(({ count }) => round < count); round++) {
      for (const { target, templates, count } of perTarget) {
        if (round >= count) continue;
        const template = templates[round % templates.length]!;
        const requestId = template.root === 'CallbackRequest' ? randomUUID() : undefined;
        yield { target, template, requestId, serial: this.#serial++, attempts: 0, body: '' };
      }
    }
  }

  async #deliver(
    message: Message,
    report: SendReport,
    signal: AbortSignal | undefined,
    release: () => void,
  ): Promise<void> {
    let outcome: Outcome;
    for (let held = release; ;) {
      const acknowledged = await this.#attempt(message).finally(held);
      if (acknowledged) {
        outcome = 'acknowledged';
        break;
      }
      if (message.template.fromDevice) {
        this.#queue.push(message);
        outcome = 'queued';
        break;
      }
      if (message.attempts >= MAX_ATTEMPTS) {
        outcome = 'given-up';
        break;
      }
      await sleep(this.#retryIntervalMs, signal);
      if (signal?.aborted) {
        outcome = 'unfinished';
        break;
      }
      report.retried += 1;
      held = await this.#slots.take();
    }
    report[OUTCOME_FIELDS[outcome]] += 1;
    this.#options.onCallback?.({
      target: message.target,
      template: message.template.name,
      root: message.template.root,
      requestId: message.requestId,
      body: message.body,
      attempts: message.attempts,
      outcome,
    });
  }

  /** One POST; true when answered 2xx. */
  async #attempt(message: Message): Promise<boolean> {
    message.attempts += 1;
    const { target, template } = message;
    const body = renderCallback(template, {
      username: target.username,
      password: target.password,
      requestId: message.requestId ?? '',
      serial: message.serial,
      callbackCount: message.attempts,
    });
    if (message.body === '') message.body = body;
    let status: number | undefined;
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: { 'content-type': CONTENT_TYPES[template.format] },
        body,
        signal: AbortSignal.timeout(this.#attemptTimeoutMs),
      });
      // Read to the end, so the connection can carry the next callback.
      await response.arrayBuffer();
      status = response.status;
    } catch {
      status = undefined;
    }
    this.#options.onAttempt?.({
      target,
      template: template.name,
      requestId: message.requestId,
      callbackCount: message.attempts,
      status,
    });
    return status !== undefined && status >= 200 && status <= 299;
  }
}

const OUTCOME_FIELDS: Readonly<Record<Outcome, Exclude<keyof SendReport, 'sent' | 'retried'>>> = {
  acknowledged: 'acknowledged',
  'given-up': 'givenUp',
  queued: 'queued',
  unfinished: 'unfinished',
};

/** Adds `from` into `into`. */
export function addReport(into: SendReport, from: SendReport): SendReport {
  for (const key of Object.keys(into) as (keyof SendReport)[]) into[key] += from[key];
  return into;
}

/** Resolves after `ms`, or at once when the signal aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** At most `size` holders at once; `take` resolves with the function that gives the place back. */
class Semaphore {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  async take(): Promise<() => void> {
    if (this.#free > 0) this.#free -= 1;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free += 1;
    };
  }
}
