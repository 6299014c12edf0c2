/**
 * Admission control: a node past its capacity sheds callbacks with 503 `OVERLOADED` + Retry-After before reading
 * their bodies, instead of letting every answer wait in a queue that only grows (a closed-loop platform keeps the
 * same number of requests coming, so a queue past capacity buys latency, not throughput). Two signals, either
 * sheds:
 *
 * - callbacks in flight, counted from the guard that admits one to the close of its answer: at most
 *   `maxInFlight`. Enough to keep the node at its throughput (batches form while Kafka acknowledges the last
 *   one), few enough that an admitted callback is answered within a second.
 * - the event loop's delay, the worst lateness of a TICK_MS timer over each WINDOW_MS: above
 *   `maxEventLoopDelayMs`, everything arriving in the next window is shed. It catches what the count cannot see:
 *   a few costly callbacks, GC, a neighbour taking the CPU. (Our own timer, not perf_hooks'
 *   monitorEventLoopDelay: on Node 24 that histogram did not see a 150 ms stall.)
 *
 * A shed answer is held `shedDelayMs` before it goes (pace()): a client that resends at once, ignoring
 * Retry-After, would otherwise keep the core busy with sheds (each costs Node's HTTP parsing and a write) and
 * starve the callbacks admitted; held, it comes back at most once per delay, as a client honouring Retry-After
 * does. A held answer costs a timer, not CPU.
 *
 * Health, readiness and metrics are never shed (app.ts admits only callbacks). One Admission per node: its
 * listeners share the count, as they share the event loop.
 */
import type { ServerResponse } from 'node:http';
import type { HttpConfig } from '../config';
import type { Logger, Metrics } from '../observability';
import { OverloadedError } from './errors';

export type AdmissionConfig = HttpConfig['admission'];

/** Why a callback was shed: the metric's `reason` label. */
export type ShedReason = 'in-flight' | 'event-loop';

/** The delay timer's period: fine enough to see a 50 ms stall, cheap enough to run always. */
const TICK_MS = 10;
/** How long one reading of the delay lasts, and sheds when high; a shedding episode ends after one without. */
const WINDOW_MS = 100;

export class Admission {
  private inFlight = 0;
  private lagging = false;
  private lastTick = performance.now();
  private windowStart = this.lastTick;
  private worstDelayMs = 0;
  /** Shed in the current window, and in the current episode: one log line as shedding starts, one as it ends. */
  private shedInWindow = 0;
  private shedInEpisode = 0;
  private readonly ticker: NodeJS.Timeout | undefined;
  private readonly period: number;
  /** What a shed callback is answered with: one error for all, so shedding costs no stack trace. */
  readonly overloaded: OverloadedError;

  constructor(
    private readonly config: AdmissionConfig,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {
    this.overloaded = new OverloadedError(config.retryAfterSeconds);
    // Without the delay signal, the timer only ends shedding episodes: once a window is enough.
    this.period = config.maxEventLoopDelayMs > 0 ? TICK_MS : WINDOW_MS;
    if (config.enabled) this.ticker = setInterval(() => this.tick(), this.period).unref();
  }

  /**
   * Admits a callback, counted until `res` closes, or says why it is shed. Called before the body is read, and
   * for callbacks only.
   */
  admit(res: ServerResponse): ShedReason | undefined {
    const shed = this.shedding();
    if (shed !== undefined) return shed;
    if (this.config.enabled) {
      this.inFlight++;
      res.once('close', () => this.inFlight--);
    }
    return undefined;
  }

  /** Why a callback arriving now would be shed, without counting it: a cheap look for early-shed.ts. */
  get saturated(): ShedReason | undefined {
    if (!this.config.enabled) return undefined;
    return this.inFlight >= this.config.maxInFlight ? 'in-flight' : this.lagging ? 'event-loop' : undefined;
  }

  /** Whether a callback arriving now is shed, and why; a shed one is counted and logged per episode. */
  shedding(): ShedReason | undefined {
    const shed = this.saturated;
    if (shed === undefined) return undefined;
    this.metrics.requestsShed.inc({ reason: shed });
    if (this.shedInEpisode++ === 0) {
      this.logger.warn({ reason: shed, inFlight: this.inFlight }, 'overloaded: shedding callbacks with 503');
    }
    this.shedInWindow++;
    return shed;
  }

  /** Resolves when a shed answer may go (after shedDelayMs). */
  pace(): Promise<void> {
    const ms = this.config.shedDelayMs;
    return ms === 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Callbacks admitted and not yet answered. */
  get admitted(): number {
    return this.inFlight;
  }

  stop(): void {
    clearInterval(this.ticker);
  }

  private tick(): void {
    const now = performance.now();
    this.worstDelayMs = Math.max(this.worstDelayMs, now - this.lastTick - this.period);
    this.lastTick = now;
    if (now - this.windowStart < WINDOW_MS) return;
    const limit = this.config.maxEventLoopDelayMs;
    this.lagging = limit > 0 && this.worstDelayMs > limit;
    this.windowStart = now;
    this.worstDelayMs = 0;
    if (this.shedInEpisode > 0 && this.shedInWindow === 0) {
      this.logger.info({ shed: this.shedInEpisode }, 'no longer shedding callbacks');
      this.shedInEpisode = 0;
    }
    this.shedInWindow = 0;
  }
}
