/**
 * A small stand-in for ThingSpace's REST registration API (THINGSPACE.md §6) on a real port, for the REST
 * client's and the CLI's tests: the OAuth2 token endpoint, session login, the callbacks endpoints and
 * startCallbacks, with tokens the test can expire and services it can mark as registered over SOAP. Its error
 * texts are invented. The list answers passwords in clear, as the platform does.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRestOptions {
  appKey: string;
  appSecret: string;
  username: string;
  password: string;
  accounts: readonly string[];
  /** The access token's lifetime the token endpoint announces, in seconds. */
  expiresIn?: number;
}

export interface FakeRegistration {
  accountName: string;
  serviceName: string;
  url: string;
  username?: string;
  password?: string;
}

export interface FakeRequest {
  method: string;
  path: string;
  status: number;
}

export class FakeRestApi {
  readonly requests: FakeRequest[] = [];
  /** `account/service` pairs the account holds over SOAP: registering them over REST is refused. */
  readonly soapHeld = new Set<string>();
  readonly smsStarted: string[] = [];
  /** Answer every M2M call 401, whatever the tokens. */
  refuseAll = false;
  /** Answer every M2M call this status with an HTML page, as a proxy in the way would. */
  proxyStatus: number | undefined;
  #registrations: FakeRegistration[] = [];
  #accessTokens = new Set<string>();
  #sessions = new Set<string>();
  #issued = 0;
  readonly #server: Server;
  readonly #options: FakeRestOptions;

  constructor(options: FakeRestOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return this.origin;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  registrations(): FakeRegistration[] {
    return this.#registrations.map((entry) => ({ ...entry }));
  }

  /** The platform forgets every access token (expired before its time, as seen from the client). */
  expireAccessTokens(): void {
    this.#accessTokens.clear();
  }

  expireSessions(): void {
    this.#sessions.clear();
  }

  count(method: string, path: string): number {
    return this.requests.filter((request) => request.method === method && request.path === path).length;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '').split('?')[0]!;
    const method = req.method ?? '';
    const [status, answer] = this.#answer(method, path, req.headers, body);
    this.requests.push({ method, path, status });
    if (answer instanceof HtmlPage) {
      res.writeHead(status, { 'content-type': 'text/html' });
      res.end(answer.html);
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(answer === undefined ? '' : JSON.stringify(answer));
  }

  #answer(
    method: string,
    path: string,
    headers: IncomingMessage['headers'],
    body: string,
  ): [number, unknown] {
    const o = this.#options;
    if (method === 'POST' && path === '/oauth2/token') {
      const basic = Buffer.from(`${o.appKey}:${o.appSecret}`).toString('base64');
      if (headers.authorization !== `Basic ${basic}` || body !== 'grant_type=client_credentials') {
        return [401, { error: 'invalid_client', error_description: 'Client authentication failed' }];
      }
      const token = `access-${++this.#issued}`;
      this.#accessTokens.add(token);
      return [200, { access_token: token, token_type: 'bearer', expires_in: o.expiresIn ?? 3600 }];
    }
    const bearer = headers.authorization?.replace(/^Bearer /, '') ?? '';
    if (!this.#accessTokens.has(bearer)) {
      return [401, { error: 'invalid_token', error_description: 'Access token expired or invalid' }];
    }
    if (method === 'POST' && path === '/api/m2m/v1/session/login') {
      const { username, password } = JSON.parse(body) as Record<string, unknown>;
      if (username !== o.username || password !== o.password) {
        return [
          400,
          { errorCode: 'REQUEST_FAILED.InvalidCredentials', errorMessage: 'Invalid username or password' },
        ];
      }
      const token = `session-${++this.#issued}`;
      this.#sessions.add(token);
      return [200, { sessionToken: token }];
    }
    if (this.refuseAll || !this.#sessions.has(String(headers['vz-m2m-token']))) {
      return [
        401,
        { errorCode: 'REQUEST_FAILED.SessionToken.Expired', errorMessage: 'Session token expired' },
      ];
    }
    if (this.proxyStatus !== undefined) return [this.proxyStatus, new HtmlPage('<html>Bad gateway</html>')];
    const match = /^\/api\/m2m\/v1\/(callbacks|sms)\/([^/]+)(?:\/name\/([^/]+)|\/(startCallbacks))?$/.exec(
      path,
    );
    if (match === null) return [404, undefined];
    const [, kind, rawAccount, rawService, start] = match;
    const account = decodeURIComponent(rawAccount!);
    if (!o.accounts.includes(account)) {
      return [
        400,
        { errorCode: 'REQUEST_FAILED.UnknownAccount', errorMessage: `Account ${account} not found` },
      ];
    }
    if (kind === 'sms' && start !== undefined && method === 'PUT') {
      this.smsStarted.push(account);
      return [200, undefined];
    }
    if (kind !== 'callbacks' || start !== undefined) return [404, undefined];
    if (rawService !== undefined && method === 'DELETE') {
      const service = decodeURIComponent(rawService);
      const before = this.#registrations.length;
      this.#registrations = this.#registrations.filter(
        (entry) => !(entry.accountName === account && entry.serviceName === service),
      );
      if (this.#registrations.length === before) {
        return [
          400,
          { errorCode: 'REQUEST_FAILED.NotRegistered', errorMessage: `${service} is not registered` },
        ];
      }
      return [200, { accountName: account, serviceName: service }];
    }
    if (rawService !== undefined) return [405, undefined];
    if (method === 'GET') return [200, this.#registrations.filter((entry) => entry.accountName === account)];
    if (method === 'POST') {
      const { name, url, username, password } = JSON.parse(body) as Record<string, string>;
      if (this.soapHeld.has(`${account}/${name}`)) {
        return [
          400,
          {
            errorCode: 'REQUEST_FAILED.UnexpectedError',
            errorMessage: `Callback ${name} already exists for the account`,
          },
        ];
      }
      this.#registrations = this.#registrations.filter(
        (entry) => !(entry.accountName === account && entry.serviceName === name),
      );
      this.#registrations.push({
        accountName: account,
        serviceName: name!,
        url: url!,
        ...(username === undefined ? {} : { username, password }),
      });
      return [200, { accountName: account, serviceName: name }];
    }
    return [405, undefined];
  }
}

class HtmlPage {
  constructor(readonly html: string) {}
}
