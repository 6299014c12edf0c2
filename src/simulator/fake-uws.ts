/**
 * A fake of ThingSpace's UWS v2 registration API (THINGSPACE.md §5) on node:http, for tests, the demo and
 * `thingspace-bridge simulate`: sessions, callback registrations in memory, StartSmsCallback, and SOAP Faults
 * where the platform gives them (bad login, missing or unknown token, unknown service or account, a request that
 * is not what the endpoint takes). It speaks the wire format of the real client's protocol module and reads
 * requests with the same envelope reader, by local name.
 *
 * Where the platform's behaviour is unpublished, the fake picks the strict reading and says so: unregistering a
 * service that has no registration is a fault; the list reports ServiceName, Url and Username (never the
 * password); registering a service again replaces its registration (one URL per service, §1).
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { childText, readEnvelope, SOAP_CONTENT_TYPE, writeFault } from '../soap/envelope';
import { ParseError } from '../message/errors';
import { findService } from '../thingspace/catalogue';
import type { ServiceName } from '../thingspace/catalogue';
import { isOperation, OPERATIONS, readRequest, soapActionOf, writeResponse } from '../registration/protocol';
import type { OutputItem, UwsRequest } from '../registration/protocol';
import { Secret } from '../util/secret';

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
}

/** A callback registration as the fake keeps it: what the sender posts with. */
export interface SimulatedRegistration {
  accountName: string;
  serviceName: ServiceName;
  url: string;
  username: string;
  password: Secret;
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
const API_PATH = /^\/api\/v2\/([A-Za-z]+)\.svc$/;

export class FakeUws {
  readonly #options: FakeUwsOptions;
  readonly #events: FakeUwsEvents;
  readonly #server: Server;
  readonly #sessions = new Set<string>();
  /** By account, then canonical service. */
  readonly #registrations = new Map<string, Map<ServiceName, SimulatedRegistration>>();
  #url: string | undefined;

  constructor(options: FakeUwsOptions, events: FakeUwsEvents = {}) {
    this.#options = options;
    this.#events = events;
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  /** Listens; resolves with the API root to configure as `thingspace.url`. */
  async start(): Promise<string> {
    const { host = '127.0.0.1', port = 0 } = this.#options;
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve());
    });
    const address = this.#server.address() as AddressInfo;
    const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.#url = `http://${hostPart}:${address.port}/api/v2`;
    return this.#url;
  }

  get url(): string {
    if (this.#url === undefined) throw new Error('FakeUws.url before start()');
    return this.#url;
  }

  /** The current registrations, of one account or all, in registration order per account. */
  registrations(accountName?: string): SimulatedRegistration[] {
    const accounts =
      accountName === undefined ? [...this.#registrations.values()] : [this.#registrations.get(accountName)];
    return accounts.flatMap((byService) => [...(byService?.values() ?? [])]);
  }

  /** The registration that receives this account's callbacks of this service, if any. */
  registration(accountName: string, serviceName: ServiceName): SimulatedRegistration | undefined {
    return this.#registrations.get(accountName)?.get(serviceName);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
      const request = readRequest(readEnvelope(await readBody(req)));
      if (request === undefined) throw new Fault('The SOAP Body holds no operation.');
      call.operation = request.operation;
      body = this.#answer(service, soapAction(req), request, call);
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

  #answer(service: string, action: string | undefined, request: UwsRequest, call: UwsCall): string {
    const { operation, input } = request;
    // WCF dispatches on the SOAPAction; an operation posted to another service's endpoint, or under another
    // action, does not reach it.
    if (!isOperation(operation) || OPERATIONS[operation] !== service || action !== soapActionOf(operation)) {
      throw new Fault(
        `The message with Action '${action ?? ''}' cannot be processed at the receiver (${service}.svc).`,
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
    };
    const byService = this.#registrations.get(accountName) ?? new Map<ServiceName, SimulatedRegistration>();
    // A Map keeps the first insertion's place: delete first, so a re-registration counts as the newest.
    byService.delete(serviceName);
    byService.set(serviceName, registration);
    this.#registrations.set(accountName, byService);
    this.#events.onRegistered?.(registration);
  }

  #unregister(accountName: string, serviceName: ServiceName): void {
    if (!this.#registrations.get(accountName)?.delete(serviceName)) {
      throw new Fault(`No callback is registered for service '${serviceName}'.`);
    }
  }
}

function serviceOf(name: string | undefined): ServiceName {
  if (!name) throw new Fault('ServiceName is required.');
  const entry = findService(name);
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

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_REQUEST_BYTES) throw new Fault('The message is too large.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
