/**
 * A ThingSpace simulator: the fake registration APIs (SOAP UWS v2 and REST, either or both on one listener, over
 * one registry) and the callback sender, wired together as the platform is. What an account registers is where
 * its callbacks go, with the credentials it registered, in the format of the API it registered through;
 * StartSmsCallback (SOAP) or startCallbacks (REST) releases that account's queued device messages
 * (THINGSPACE.md §3, §5, §6).
 *
 *   const simulator = await Simulator.start({ users: [{ username, password }], apis: ['soap', 'rest'],
 *                                             rest: { app: { key, secret } } });
 *   // point thingspace.url (or restUrl and oauthTokenUrl) at the simulator, run `callbacks sync`, then:
 *   const report = await simulator.send({ count: 2 });
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServiceName } from '../thingspace/catalogue';
import { Endpoint } from './endpoint';
import { FakeRest } from './fake-rest';
import type { FakeRestEvents, FakeRestOptions } from './fake-rest';
import { FakeUws, UWS_BASE_PATH } from './fake-uws';
import type { FakeUwsEvents, FakeUwsOptions } from './fake-uws';
import { Registry } from './registry';
import type { RegistrationApi, SimulatedRegistration } from './registry';
import { addReport, CallbackSender, emptyReport } from './sender';
import type { CallbackTarget, SendPlan, SendReport, SenderOptions } from './sender';
import { DEFAULT_REST_TEMPLATE_DIR, DEFAULT_TEMPLATE_DIR, loadTemplates } from './templates';
import type { CallbackTemplate } from './templates';

export { FakeRest, OAUTH_TOKEN_PATH, REST_BASE_PATH } from './fake-rest';
export type { FakeRestEvents, FakeRestOptions, RestCall } from './fake-rest';
export { FakeUws } from './fake-uws';
export type { FakeUwsEvents, FakeUwsOptions, FakeUwsUser, UwsCall } from './fake-uws';
export { OtherApiError, Registry } from './registry';
export type { RegistrationApi, SimulatedRegistration } from './registry';
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
  DEFAULT_REST_TEMPLATE_DIR,
  DEFAULT_TEMPLATE_DIR,
  loadTemplates,
  renderCallback,
} from './templates';
export type { CallbackTemplate } from './templates';
export { MAX_ATTEMPTS } from './values';
export type { MessageValues } from './values';

export interface SimulatorOptions
  extends Omit<FakeUwsOptions, 'registry'>, SenderOptions, Omit<FakeUwsEvents, 'onRegistered'> {
  /** The registration APIs served; SOAP alone when absent. */
  apis?: readonly RegistrationApi[];
  /** What the REST API needs besides the users and accounts: the app's key and secret, token lifetimes. */
  rest?: Pick<FakeRestOptions, 'app' | 'accessTokenTtlMs' | 'sessionTtlMs' | 'now'>;
  /** After each REST call was answered. */
  onRestCall?: FakeRestEvents['onCall'];
  /** When a registration is taken, over either API. */
  onRegistered?: (registration: SimulatedRegistration) => void;
  /** When a REST startCallbacks is taken. */
  onStartCallbacks?: (accountName: string) => void;
  /**
   * Fixture directories, or templates already compiled; test/fixtures/callbacks (SOAP) and test/fixtures/rest
   * (JSON) when absent.
   */
  templates?: string | readonly string[] | readonly CallbackTemplate[];
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
  /** Undefined when SOAP is not served. */
  readonly uws: FakeUws | undefined;
  /** Undefined when REST is not served. */
  readonly rest: FakeRest | undefined;
  readonly templates: readonly CallbackTemplate[];
  readonly #registry = new Registry();
  readonly #sender: CallbackSender;
  readonly #endpoint: Endpoint;
  /** Deliveries started by StartSmsCallback or startCallbacks and not yet reported by settled(). */
  #releases: Promise<SendReport>[] = [];

  private constructor(options: SimulatorOptions) {
    this.templates = templatesOf(options.templates);
    this.#sender = new CallbackSender(options);
    const apis = options.apis ?? ['soap'];
    const shared = { ...options, registry: this.#registry };
    this.uws = apis.includes('soap')
      ? new FakeUws(shared, {
          onCall: options.onCall,
          onRegistered: options.onRegistered,
          onStartSmsCallback: (accountName) => {
            this.#release(accountName, 'soap');
            options.onStartSmsCallback?.(accountName);
          },
        })
      : undefined;
    if (apis.includes('rest') && options.rest === undefined) {
      throw new Error('the REST API needs rest.app (the OAuth2 app key and secret)');
    }
    this.rest = apis.includes('rest')
      ? new FakeRest(
          { ...shared, ...options.rest! },
          {
            onCall: options.onRestCall,
            onRegistered: options.onRegistered,
            onStartCallbacks: (accountName) => {
              this.#release(accountName, 'rest');
              options.onStartCallbacks?.(accountName);
            },
          },
        )
      : undefined;
    this.#endpoint = new Endpoint((req, res) => this.#route(req, res));
  }

  static async start(options: SimulatorOptions): Promise<Simulator> {
    const simulator = new Simulator(options);
    const origin = await simulator.#endpoint.start(options.host, options.port);
    simulator.uws?.servedAt(origin);
    simulator.rest?.servedAt(origin);
    return simulator;
  }

  /** The SOAP API root, to configure as `thingspace.url`. */
  get url(): string {
    if (this.uws === undefined) throw new Error('the simulator does not serve the SOAP API');
    return this.uws.url;
  }

  /** The REST API root and token endpoint, to configure as `thingspace.restUrl` and `oauthTokenUrl`. */
  get restUrls(): { restUrl: string; oauthTokenUrl: string } {
    if (this.rest === undefined) throw new Error('the simulator does not serve the REST API');
    return { restUrl: this.rest.url, oauthTokenUrl: this.rest.oauthTokenUrl };
  }

  /** Over both APIs. */
  registrations(accountName?: string): SimulatedRegistration[] {
    return this.#registry.list(accountName);
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

  /** Device messages (SMS, NIDD data) held until StartSmsCallback or startCallbacks. */
  queued(accountName?: string): number {
    return this.#sender.queued(accountName);
  }

  /** Waits for the deliveries the releases started; their combined report since the last call. */
  async settled(): Promise<SendReport> {
    const releases = this.#releases;
    this.#releases = [];
    return (await Promise.all(releases)).reduce(addReport, emptyReport());
  }

  async close(): Promise<void> {
    await this.#endpoint.close();
  }

  #release(accountName: string, api: RegistrationApi): void {
    this.#releases.push(
      this.#sender.release(accountName, api, (service) => this.#registry.get(accountName, service)),
    );
  }

  /** `/api/v2/...` to the SOAP fake, the rest to the REST fake; each answers 404 for what is not its own. */
  #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { uws, rest } = this;
    if (uws !== undefined && (rest === undefined || req.url?.startsWith(`${UWS_BASE_PATH}/`))) {
      return uws.handle(req, res);
    }
    return rest!.handle(req, res);
  }
}

function templatesOf(given: SimulatorOptions['templates']): readonly CallbackTemplate[] {
  const dirs =
    given === undefined
      ? [DEFAULT_TEMPLATE_DIR, DEFAULT_REST_TEMPLATE_DIR]
      : typeof given === 'string'
        ? [given]
        : given;
  return dirs.flatMap((entry) => (typeof entry === 'string' ? loadTemplates(entry) : [entry]));
}
