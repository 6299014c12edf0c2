/**
 * A fake of ThingSpace's UWS v2 registration API (THINGSPACE.md §5) on node:http, for tests, the demo and
 * `thingspace-bridge simulate`: sessions, callback registrations in memory, StartSmsCallback, and SOAP Faults
 * where the platform gives them (bad login, missing or unknown token, unknown service or account, a request that
 * is not what the endpoint takes). It speaks the wire format of the real client's protocol module and reads
 * requests with the same envelope reader, by local name.
 *
 * Where the platform's behaviour is unpublished, the fake picks the strict reading and says so: unregistering a
 * service that has no registration is a fault; the list reports ServiceName, Url and Username (never the
 * password) of the SOAP registrations only; registering a service again replaces its registration (one URL per
 * service, §1), but not one registered over REST (./registry.ts).
 *
 * Where each operation is served, its SOAPAction and the data-contract namespace of its Input's fields are the
 * fake's own table (OPERATION_CONTRACTS), from §5, not the client's protocol module: a client that drifts from
 * §5 gets a fault instead of a fake that agrees with it. StartSmsCallback is the case in point (issue 14).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SaxesParser } from 'saxes';
import { childText, readEnvelope, SOAP_CONTENT_TYPE, writeFault } from '../soap/envelope';
import { ParseError } from '../message/errors';
import { findSoapService } from '../thingspace/catalogue';
import type { ServiceName } from '../thingspace/catalogue';
import { readRequest, writeResponse } from '../registration/protocol';
import type { Operation, OutputItem, UwsRequest } from '../registration/protocol';
import { localName } from '../soap/xml';
import { Secret } from '../util/secret';
import { Endpoint, readBody, sameText } from './endpoint';
import { OtherApiError, Registry } from './registry';
import type { SimulatedRegistration } from './registry';

export interface FakeUwsUser {
  username: string;
  password: Secret;
}

export interface FakeUwsOptions {
  /** Who may LogIn. */
  users: readonly FakeUwsUser[];
  /** The accounts that exist; any name is taken when absent. */
  accounts?: readonly string[];
  /** 127.0.0.1 unless given. */
  host?: string;
  /** 0 (a free port) unless given. */
  port?: number;
  /** Shared with the REST fake when both run (one account, two APIs); its own otherwise. */
  registry?: Registry;
}

/** One call the fake answered, for logs and tests. */
export interface UwsCall {
  operation: string;
  accountName?: string;
  serviceName?: string;
  /** The fault text when it answered a fault. */
  fault?: string;
}

/** Hooks; none may throw or wait. */
export interface FakeUwsEvents {
  /** After each call was answered. */
  onCall?: (call: UwsCall) => void;
  /** When a RegisterCallback is taken. */
  onRegistered?: (registration: SimulatedRegistration) => void;
  /** When a StartSmsCallback is taken: the platform releases the account's queued device SMS (§3). */
  onStartSmsCallback?: (accountName: string) => void;
}

/** Why the fake answers a fault: the `faultstring`, and whether the caller (Client) or the fake is at fault. */
class Fault extends Error {
  constructor(
    message: string,
    readonly faultCode: 'Client' | 'Server' = 'Client',
  ) {
    super(message);
  }
}

const MAX_REQUEST_BYTES = 1024 * 1024;
/** Where the API lives under the simulator's origin, as on the platform. */
export const UWS_BASE_PATH = '/api/v2';
const API_PATH = /^\/api\/v2\/([A-Za-z]+)\.svc$/;
const UWS_ACTION_BASE = 'http://nphase.com/unifiedwebservice/v2';
const CONTRACT_NS = 'http://schemas.datacontract.org/2004/07/NPhase.UnifiedWebService.APIs.v2.Contract.';

/**
 * Each operation's service (its endpoint `<Service>.svc`, its SOAPAction `<v2>/I<Service>/<Operation>` and its
 * data-contract namespace `...Contract.<Service>`), THINGSPACE.md §5. StartSmsCallback: Verizon's sample response
 * declares `...Contract.EnhancedConnectivityService` (known); endpoint and action by the same pattern (likely).
 */
const OPERATION_SERVICES: Readonly<Record<Operation, string>> = {
  LogIn: 'SessionService',
  LogOut: 'SessionService',
  GetCallbackRegistrations: 'CallbackRegistrationService',
  RegisterCallback: 'CallbackRegistrationService',
  UnregisterCallback: 'CallbackRegistrationService',
  StartSmsCallback: 'EnhancedConnectivityService',
};

export class FakeUws {
  readonly #options: FakeUwsOptions;
  readonly #events: FakeUwsEvents;
  readonly #endpoint: Endpoint;
  readonly #sessions = new Set<string>();
  readonly #registry: Registry;
  #url: string | undefined;

  constructor(options: FakeUwsOptions, events: FakeUwsEvents = {}) {
    this.#options = options;
    this.#events = events;
    this.#registry = options.registry ?? new Registry();
    this.#endpoint = new Endpoint((req, res) => this.handle(req, res));
  }

  /** Listens on its own; resolves with the API root to configure as `thingspace.url`. */
  async start(): Promise<string> {
    return this.servedAt(await this.#endpoint.start(this.#options.host, this.#options.port));
  }

  /** Tells the fake the origin its requests come to (when another listener routes them here); its API root. */
  servedAt(origin: string): string {
    this.#url = `${origin}${UWS_BASE_PATH}`;
    return this.#url;
  }

  get url(): string {
    if (this.#url === undefined) throw new Error('FakeUws.url before start()');
    return this.#url;
  }

  /** The current SOAP registrations, of one account or all, in registration order per account. */
  registrations(accountName?: string): SimulatedRegistration[] {
    return this.#registry.list(accountName, 'soap');
  }

  /** The registration that receives this account's callbacks of this service, if any (over either API). */
  registration(accountName: string, serviceName: ServiceName): SimulatedRegistration | undefined {
    return this.#registry.get(accountName, serviceName);
  }

  async close(): Promise<void> {
    await this.#endpoint.close();
  }

  /** Answers one request to `<origin>/api/v2/...`. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const service = API_PATH.exec(req.url ?? '')?.[1];
    if (req.method !== 'POST' || service === undefined) {
      res.writeHead(req.method === 'POST' ? 404 : 405, { 'content-type': 'text/plain' });
      res.end(req.method === 'POST' ? 'Not Found' : 'Method Not Allowed');
      return;
    }
    const call: UwsCall = { operation: 'unknown' };
    let status = 200;
    let body: string;
    try {
      const bytes = await readBody(req, MAX_REQUEST_BYTES, () => new Fault('The message is too large.'));
      const request = readRequest(readEnvelope(bytes));
      if (request === undefined) throw new Fault('The SOAP Body holds no operation.');
      call.operation = request.operation;
      body = this.#answer(service, soapAction(req), request, call, bytes);
    } catch (err) {
      // SOAP 1.1: a Fault travels with HTTP 500, the caller's mistakes as much as ours.
      status = 500;
      const fault =
        err instanceof Fault
          ? err
          : err instanceof ParseError
            ? new Fault(`The message is not a valid SOAP envelope (${err.code}).`)
            : new Fault('Internal error.', 'Server');
      call.fault = fault.message;
      body = writeFault(fault.faultCode, fault.message);
    }
    res.writeHead(status, { 'content-type': SOAP_CONTENT_TYPE });
    res.end(body);
    this.#events.onCall?.(call);
  }

  #answer(
    service: string,
    action: string | undefined,
    request: UwsRequest,
    call: UwsCall,
    bytes: Buffer,
  ): string {
    const { input } = request;
    const operation = request.operation as Operation;
    // WCF dispatches on the SOAPAction; an operation posted to another service's endpoint, or under another
    // action, does not reach it.
    if (
      !Object.hasOwn(OPERATION_SERVICES, operation) ||
      OPERATION_SERVICES[operation] !== service ||
      action !== `${UWS_ACTION_BASE}/I${service}/${operation}`
    ) {
      throw new Fault(
        `The message with Action '${action ?? ''}' cannot be processed at the receiver (${service}.svc).`,
      );
    }
    // WCF's DataContractSerializer ignores members of another namespace: to it the fields are missing.
    const namespace = inputNamespace(bytes);
    if (namespace !== undefined && namespace !== `${CONTRACT_NS}${service}`) {
      throw new Fault(
        `The fields of ${operation} are in namespace '${namespace}', expected '${CONTRACT_NS}${service}'.`,
      );
    }
    if (operation === 'LogIn') {
      const token = this.#logIn(childText(input, 'Username') ?? '', childText(input, 'Password') ?? '');
      return writeResponse('LogIn', [['SessionToken', token]]);
    }
    if (request.token === undefined || !this.#sessions.has(request.token)) {
      throw new Fault('The session token is missing, invalid or expired; LogIn again.');
    }
    if (operation === 'LogOut') {
      this.#sessions.delete(request.token);
      return writeResponse('LogOut', []);
    }
    const accountName = this.#account(childText(input, 'AccountName'));
    call.accountName = accountName;
    switch (operation) {
      case 'GetCallbackRegistrations':
        return writeResponse(operation, [
          ['AccountName', accountName],
          { name: 'ServiceCallbacks', items: this.registrations(accountName).map(listItem) },
        ]);
      case 'RegisterCallback':
      case 'UnregisterCallback': {
        const serviceName = serviceOf(childText(input, 'ServiceName'));
        call.serviceName = serviceName;
        if (operation === 'RegisterCallback') this.#register(accountName, serviceName, input);
        else this.#unregister(accountName, serviceName);
        return writeResponse(operation, [
          ['AccountName', accountName],
          ['ServiceName', serviceName],
        ]);
      }
      case 'StartSmsCallback':
        // The release runs on its own (the hook starts it, never waits for it), as on the platform (§3).
        this.#events.onStartSmsCallback?.(accountName);
        return writeResponse(operation, []);
    }
  }

  #logIn(username: string, password: string): string {
    const user = this.#options.users.find((candidate) => candidate.username === username);
    if (user === undefined || !sameText(user.password.reveal(), password)) {
      throw new Fault('Invalid username or password.');
    }
    const token = randomUUID();
    this.#sessions.add(token);
    return token;
  }

  #account(name: string | undefined): string {
    if (!name) throw new Fault('AccountName is required.');
    const { accounts } = this.#options;
    if (accounts !== undefined && !accounts.includes(name)) {
      throw new Fault(`Account '${name}' does not exist or is not accessible to this user.`);
    }
    return name;
  }

  #register(accountName: string, serviceName: ServiceName, input: UwsRequest['input']): void {
    const url = childText(input, 'Url') ?? '';
    if (!/^https?:\/\/[^\s]+$/i.test(url) || !URL.canParse(url)) {
      throw new Fault(`Url '${url}' is not a valid absolute http(s) URL.`);
    }
    const registration: SimulatedRegistration = {
      accountName,
      serviceName,
      url,
      username: childText(input, 'Username') ?? '',
      password: new Secret(childText(input, 'Password') ?? ''),
      api: 'soap',
    };
    try {
      this.#registry.add(registration);
    } catch (err) {
      if (err instanceof OtherApiError) throw new Fault(err.message);
      throw err;
    }
    this.#events.onRegistered?.(registration);
  }

  #unregister(accountName: string, serviceName: ServiceName): void {
    if (!this.#registry.remove(accountName, serviceName, 'soap')) {
      throw new Fault(`No callback is registered for service '${serviceName}'.`);
    }
  }
}

function serviceOf(name: string | undefined): ServiceName {
  if (!name) throw new Fault('ServiceName is required.');
  // The UWS SOAP API registers SOAP services only (§6); its answer for a REST-only one is unpublished: a fault
  // is the likely one.
  const entry = findSoapService(name);
  if (entry === undefined) throw new Fault(`Unknown callback service name '${name}'.`);
  return entry.name;
}

function listItem(registration: SimulatedRegistration): OutputItem {
  return {
    name: 'ServiceCallback',
    items: [
      ['ServiceName', registration.serviceName],
      ['Url', registration.url],
      ['Username', registration.username],
    ],
  };
}

/** The SOAPAction header without the quotes SOAP 1.1 puts around it. */
function soapAction(req: IncomingMessage): string | undefined {
  const value = req.headers.soapaction;
  return typeof value === 'string' ? value.replace(/^"(.*)"$/, '$1') : undefined;
}

/**
 * The namespace URI of the first field of the request's Input (Envelope / Body / Operation / Input / field);
 * undefined when the Input has none. The envelope was read already, so this parse cannot fail on syntax.
 */
function inputNamespace(bytes: Buffer): string | undefined {
  const sax = new SaxesParser({ xmlns: true });
  const path: string[] = [];
  let found: string | undefined;
  sax.on('opentag', (tag) => {
    if (found === undefined && path.length === 4 && path[1] === 'Body' && path[3] === 'Input')
      found = tag.uri;
    path.push(localName(tag.name));
  });
  sax.on('closetag', () => path.pop());
  sax.write(bytes.toString('utf8')).close();
  return found;
}
