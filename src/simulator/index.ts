/**
 * A ThingSpace simulator: the fake UWS registration endpoint and the callback sender, wired together as the
 * platform is. What an account registers is where its callbacks go, with the credentials it registered; a
 * StartSmsCallback releases that account's queued device SMS (THINGSPACE.md §3, §5).
 *
 *   const simulator = await Simulator.start({ users: [{ username, password }] });
 *   // point thingspace.url at simulator.url, run `callbacks sync`, then:
 *   const report = await simulator.send({ count: 2 });
 */
import type { ServiceName } from '../thingspace/catalogue';
import { FakeUws } from './fake-uws';
import type { FakeUwsEvents, FakeUwsOptions, SimulatedRegistration } from './fake-uws';
import { addReport, CallbackSender, emptyReport } from './sender';
import type { CallbackTarget, SendPlan, SendReport, SenderOptions } from './sender';
import { loadTemplates } from './templates';
import type { CallbackTemplate } from './templates';

export { FakeUws } from './fake-uws';
export type { FakeUwsEvents, FakeUwsOptions, FakeUwsUser, SimulatedRegistration, UwsCall } from './fake-uws';
export { addReport, CallbackSender, DEFAULT_RETRY_INTERVAL_MS, emptyReport } from './sender';
export type {
  AttemptResult,
  CallbackTarget,
  DeliveredCallback,
  Outcome,
  SendPlan,
  SendReport,
  SenderOptions,
} from './sender';
export {
  compileJsonTemplate,
  compileTemplate,
  CONTENT_TYPES,
  DEFAULT_TEMPLATE_DIR,
  loadTemplates,
  renderCallback,
} from './templates';
export type { CallbackTemplate } from './templates';
export { MAX_ATTEMPTS } from './values';
export type { MessageValues } from './values';

export interface SimulatorOptions extends FakeUwsOptions, SenderOptions, FakeUwsEvents {
  /** A fixture directory, or templates already compiled; test/fixtures/callbacks when absent. */
  templates?: string | readonly CallbackTemplate[];
}

export interface SendOptions extends Omit<SendPlan, 'targets' | 'templates'> {
  /** Where to send; every current registration when absent. */
  targets?: readonly CallbackTarget[];
  /** Only these accounts' registrations. */
  accounts?: readonly string[];
  /** Only these services' registrations. */
  services?: readonly ServiceName[];
}

export class Simulator {
  readonly uws: FakeUws;
  readonly templates: readonly CallbackTemplate[];
  readonly #sender: CallbackSender;
  /** Deliveries started by StartSmsCallback and not yet reported by settled(). */
  #releases: Promise<SendReport>[] = [];

  private constructor(options: SimulatorOptions) {
    this.templates =
      typeof options.templates === 'string' || options.templates === undefined
        ? loadTemplates(options.templates)
        : options.templates;
    this.#sender = new CallbackSender(options);
    this.uws = new FakeUws(options, {
      onCall: options.onCall,
      onRegistered: options.onRegistered,
      onStartSmsCallback: (accountName) => {
        this.#releases.push(
          this.#sender.release(accountName, (service) => this.uws.registration(accountName, service)),
        );
        options.onStartSmsCallback?.(accountName);
      },
    });
  }

  static async start(options: SimulatorOptions): Promise<Simulator> {
    const simulator = new Simulator(options);
    await simulator.uws.start();
    return simulator;
  }

  /** The API root to configure as `thingspace.url`. */
  get url(): string {
    return this.uws.url;
  }

  registrations(accountName?: string): SimulatedRegistration[] {
    return this.uws.registrations(accountName);
  }

  /** Sends callbacks to the registrations (or the targets given); resolves with what became of them. */
  send(options: SendOptions = {}): Promise<SendReport> {
    const { targets, accounts, services, ...plan } = options;
    const chosen = (targets ?? this.registrations()).filter(
      (target) =>
        (accounts === undefined || accounts.includes(target.accountName)) &&
        (services === undefined || services.includes(target.serviceName)),
    );
    return this.#sender.send({ ...plan, targets: chosen, templates: this.templates });
  }

  /** Device SMS held until StartSmsCallback. */
  queuedSms(accountName?: string): number {
    return this.#sender.queued(accountName);
  }

  /** Waits for the deliveries StartSmsCallback started; their combined report since the last call. */
  async settled(): Promise<SendReport> {
    const releases = this.#releases;
    this.#releases = [];
    return (await Promise.all(releases)).reduce(addReport, emptyReport());
  }

  async close(): Promise<void> {
    await this.uws.close();
  }
}
