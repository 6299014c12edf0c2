/**
 * The UWS v2 operations the bridge needs (THINGSPACE.md §5), as one logged-in session: LogIn gives a token that
 * every other call sends in the SOAP header; LogOut ends it. Credentials arrive as `Secret` and are revealed
 * only into the request body; the token is kept as a `Secret` too.
 */
import { childText } from '../soap/envelope';
import type { XmlNode } from '../soap/types';
import { Secret } from '../util/secret';
import { UwsBadResponseError } from './errors';
import { readOutput, writeRequest } from './protocol';
import type { Field, Operation } from './protocol';
import { soapCall } from './transport';
import type { TransportOptions } from './transport';

export interface UwsClientOptions extends TransportOptions {
  /** The API user that logs in. */
  username: string;
  password: Secret;
}

/** A registration as GetCallbackRegistrations reports it. */
export interface CallbackRegistration {
  accountName: string;
  /** As the platform spells it. */
  serviceName: string;
  url: string;
  /** The callback Username, when the platform reports it ('' when registered without). */
  username?: string;
}

/** What RegisterCallback sends: the platform posts callbacks of this service to `url` with these credentials. */
export interface NewCallbackRegistration {
  /** Leading zeros are part of the name (§5). */
  accountName: string;
  serviceName: string;
  url: string;
  username: string;
  password: Secret;
}

export class UwsSession {
  readonly #options: TransportOptions;
  #token: Secret | undefined;

  private constructor(options: TransportOptions, token: Secret) {
    this.#options = options;
    this.#token = token;
  }

  /** LogIn (SessionService): a session for the calls that follow. */
  static async logIn(options: UwsClientOptions): Promise<UwsSession> {
    const envelope = await soapCall(
      options,
      'LogIn',
      writeRequest('LogIn', [
        ['Username', options.username],
        ['Password', options.password.reveal()],
      ]),
    );
    const token = findText(expectOutput(envelope, 'LogIn'), 'SessionToken');
    if (!token) throw new UwsBadResponseError('LogIn', 'no SessionToken in the answer');
    const { url, timeoutMs, retries, retryDelayMs, fetch, onRetry } = options;
    return new UwsSession({ url, timeoutMs, retries, retryDelayMs, fetch, onRetry }, new Secret(token));
  }

  async getCallbackRegistrations(accountName: string): Promise<CallbackRegistration[]> {
    const output = await this.#call('GetCallbackRegistrations', [['AccountName', accountName]]);
    // The list's element names are unpublished (§5 says "a list of registrations (ServiceName, Url, ...)"):
    // whatever element holds a ServiceName and a Url is one.
    return registrationElements(output).map((element) => {
      const username = childText(element, 'Username');
      return {
        accountName,
        serviceName: childText(element, 'ServiceName') ?? '',
        url: childText(element, 'Url') ?? '',
        ...(username === undefined ? {} : { username }),
      };
    });
  }

  async registerCallback(registration: NewCallbackRegistration): Promise<void> {
    await this.#call('RegisterCallback', [
      ['AccountName', registration.accountName],
      ['ServiceName', registration.serviceName],
      ['Url', registration.url],
      ['Username', registration.username],
      ['Password', registration.password.reveal()],
    ]);
  }

  async unregisterCallback(accountName: string, serviceName: string): Promise<void> {
    await this.#call('UnregisterCallback', [
      ['AccountName', accountName],
      ['ServiceName', serviceName],
    ]);
  }

  /** Releases the device SMS the platform queued while the account's listener did not answer (§3). */
  async startSmsCallback(accountName: string): Promise<void> {
    await this.#call('StartSmsCallback', [['AccountName', accountName]]);
  }

  /** Ends the session; later calls throw. */
  async logOut(): Promise<void> {
    await this.#call('LogOut', []);
    this.#token = undefined;
  }

  async #call(operation: Operation, fields: readonly Field[]): Promise<XmlNode> {
    if (this.#token === undefined) throw new Error(`UwsSession: ${operation} after LogOut`);
    const envelope = await soapCall(
      this.#options,
      operation,
      writeRequest(operation, fields, this.#token.reveal()),
    );
    return expectOutput(envelope, operation);
  }
}

/**
 * Logs in, runs `work`, logs out whatever happened. A failed LogOut fails nothing: the work is done (or its own
 * failure is the one to report), and the platform expires idle sessions by itself.
 */
export async function withUwsSession<T>(
  options: UwsClientOptions,
  work: (session: UwsSession) => Promise<T>,
): Promise<T> {
  const session = await UwsSession.logIn(options);
  try {
    return await work(session);
  } finally {
    await session.logOut().catch(() => undefined);
  }
}

function expectOutput(envelope: Parameters<typeof readOutput>[0], operation: Operation): XmlNode {
  const output = readOutput(envelope, operation);
  if (output === undefined) throw new UwsBadResponseError(operation, `no ${operation}Response in the answer`);
  return output;
}

/** The text of the first element with this local name at any depth. */
function findText(node: XmlNode, name: string): string | undefined {
  for (const child of node.children) {
    const found = child.name === name ? child.text.trim() : findText(child, name);
    if (found !== undefined) return found;
  }
  return undefined;
}

function registrationElements(node: XmlNode): XmlNode[] {
  const names = new Set(node.children.map((child) => child.name));
  if (names.has('ServiceName') && names.has('Url')) return [node];
  return node.children.flatMap(registrationElements);
}
