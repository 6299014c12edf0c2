/**
 * The simulator as the platform: what an account registers (through the project's own clients, SOAP and REST) is
 * where its callbacks go, with the credentials it registered; StartSmsCallback or startCallbacks releases its
 * queued device SMS. And the fake endpoint's answers to what is not a SOAP request at all.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseCallback } from '../../../src/soap/parser';
import { Simulator } from '../../../src/simulator';
import type { DeliveredCallback } from '../../../src/simulator';
import { withRegistrationApi, withUwsSession } from '../../../src/registration';
import { writeRequest } from '../../../src/registration/protocol';
import type { UwsClientOptions } from '../../../src/registration';
import { Secret } from '../../../src/util/secret';
import { restApiConfig } from '../../support/rest-api';

const ACCOUNT = '0000555123-00001';

describe('Simulator', () => {
  let simulator: Simulator;
  let client: UwsClientOptions;
  const delivered: DeliveredCallback[] = [];
  let smsAccepted = false;
  const received: string[] = [];
  const bridge = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push(`${req.url} ${body.includes('SmsCallbackRequest') ? 'sms' : 'callback'}`);
      res.writeHead(body.includes('SmsCallbackRequest') && !smsAccepted ? 503 : 200).end();
    });
  });
  let bridgeUrl: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => bridge.listen(0, '127.0.0.1', resolve));
    bridgeUrl = `http://127.0.0.1:${(bridge.address() as AddressInfo).port}`;
    simulator = await Simulator.start({
      users: [{ username: 'api', password: new Secret('api-pw') }],
      retryIntervalMs: 10,
      onCallback: (callback) => delivered.push(callback),
    });
    client = {
      url: simulator.url,
      username: 'api',
      password: new Secret('api-pw'),
      timeoutMs: 5_000,
      retries: 0,
      retryDelayMs: 1,
    };
  });
  afterAll(async () => {
    await simulator.close();
    await new Promise((resolve) => bridge.close(resolve));
  });

  it('sends to what was registered, as whom it was registered, and releases queued SMS on StartSmsCallback', async () => {
    await withUwsSession(client, async (session) => {
      for (const serviceName of ['PromoChange', 'EnhancedConnectivityService']) {
        await session.registerCallback({
          accountName: ACCOUNT,
          serviceName,
          url: `${bridgeUrl}/callbacks/${serviceName}`,
          username: 'registered-user',
          password: new Secret('registered-pw'),
        });
      }
    });
    const report = await simulator.send();
    // PromoChange: 1 template; EnhancedConnectivityService: a send result and a device SMS.
    expect(report).toEqual({ sent: 3, acknowledged: 2, retried: 0, givenUp: 0, queued: 1, unfinished: 0 });
    expect(received.sort()).toEqual([
      '/callbacks/EnhancedConnectivityService callback',
      '/callbacks/EnhancedConnectivityService sms',
      '/callbacks/PromoChange callback',
    ]);
    for (const callback of delivered) {
      const parsed = await parseCallback(callback.body);
      expect([parsed.username, parsed.password.reveal()]).toEqual(['registered-user', 'registered-pw']);
    }
    expect(simulator.queued(ACCOUNT)).toBe(1);

    smsAccepted = true;
    await withUwsSession(client, (session) => session.startSmsCallback(ACCOUNT));
    expect(await simulator.settled()).toMatchObject({ sent: 1, acknowledged: 1 });
    expect(simulator.queued()).toBe(0);
    expect(delivered.map((callback) => `${callback.root} ${callback.outcome}`).sort()).toEqual([
      'CallbackRequest acknowledged',
      'CallbackRequest acknowledged',
      'SmsCallbackRequest acknowledged',
      'SmsCallbackRequest queued',
    ]);
  });

  it('chooses registrations by account and service', async () => {
    expect(await simulator.send({ services: ['PromoChange'], count: 2 })).toMatchObject({ sent: 2 });
    expect(await simulator.send({ accounts: ['someone-else'] })).toMatchObject({ sent: 0 });
  });

  it('takes StartSmsCallback only at EnhancedConnectivityService.svc, its action and data-contract namespace', async () => {
    const v2 = 'http://nphase.com/unifiedwebservice/v2';
    const contract = 'http://schemas.datacontract.org/2004/07/NPhase.UnifiedWebService.APIs.v2.Contract.';
    const post = async (service: string, action: string, envelope: string) => {
      const response = await fetch(`${simulator.url}/${service}.svc`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${action}"` },
        body: envelope,
      });
      return { status: response.status, text: await response.text() };
    };
    const login = await post(
      'SessionService',
      `${v2}/ISessionService/LogIn`,
      writeRequest('LogIn', [
        ['Username', 'api'],
        ['Password', 'api-pw'],
      ]),
    );
    const token = /SessionToken>([^<]+)</.exec(login.text)![1]!;
    const startSms = (namespace: string) =>
      `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>` +
      `<token xmlns="${v2}">${token}</token></s:Header><s:Body><StartSmsCallback xmlns="${v2}">` +
      `<Input xmlns:d="${namespace}"><d:AccountName>${ACCOUNT}</d:AccountName></Input>` +
      `</StartSmsCallback></s:Body></s:Envelope>`;
    const action = `${v2}/IEnhancedConnectivityService/StartSmsCallback`;

    expect(
      await post('EnhancedConnectivityService', action, startSms(`${contract}EnhancedConnectivityService`)),
    ).toMatchObject({
      status: 200,
    });
    const wrongNamespace = await post(
      'EnhancedConnectivityService',
      action,
      startSms(`${contract}SmsService`),
    );
    expect(wrongNamespace.status).toBe(500);
    expect(wrongNamespace.text).toContain(`expected &apos;${contract}EnhancedConnectivityService&apos;`);
    const oldEndpoint = await post(
      'SmsService',
      `${v2}/ISmsService/StartSmsCallback`,
      startSms(`${contract}SmsService`),
    );
    expect(oldEndpoint.status).toBe(500);
    expect(oldEndpoint.text).toContain('cannot be processed at the receiver (SmsService.svc)');
  });

  it.each([
    ['GET', '/api/v2/SessionService.svc', 'text/xml', '', 405, 'Method Not Allowed'],
    ['POST', '/api/v2/Other', 'text/xml', '', 404, 'Not Found'],
    [
      'POST',
      '/api/v2/SessionService.svc',
      'text/xml',
      '<nope',
      500,
      'not a valid SOAP envelope (MALFORMED_XML)',
    ],
    [
      'POST',
      '/api/v2/SessionService.svc',
      'text/xml',
      '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>',
      500,
      'The SOAP Body holds no operation.',
    ],
  ])('%s %s: %i', async (method, path, type, body, status, text) => {
    const response = await fetch(`${simulator.url.replace('/api/v2', '')}${path}`, {
      method,
      headers: { 'content-type': type },
      ...(method === 'GET' ? {} : { body }),
    });
    expect(response.status).toBe(status);
    expect(await response.text()).toContain(text);
  });
});

describe('Simulator with both APIs: a mixed account', () => {
  const app = { key: 'sim-app', secret: new Secret('sim-app-secret') };
  const user = { username: 'api', password: new Secret('api-pw') };
  let simulator: Simulator;
  let smsAccepted = false;
  /** `<path> <content-type> <sms|nidd-mo|other>` per request. */
  const received: string[] = [];
  const bridge = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const fromDevice = /SmsCallbackRequest|"smsMessage"|niddMONotificationResponse/.test(body);
      received.push(`${req.url} ${req.headers['content-type']} ${fromDevice ? 'device' : 'other'}`);
      res.writeHead(fromDevice && !smsAccepted ? 503 : 200).end();
    });
  });
  let bridgeUrl: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => bridge.listen(0, '127.0.0.1', resolve));
    bridgeUrl = `http://127.0.0.1:${(bridge.address() as AddressInfo).port}`;
    simulator = await Simulator.start({
      users: [user],
      apis: ['soap', 'rest'],
      rest: { app },
      retryIntervalMs: 10,
    });
  });
  afterAll(async () => {
    await simulator.close();
    await new Promise((resolve) => bridge.close(resolve));
  });

  it('serves both APIs on one port, sends SOAP to SOAP registrations and JSON to REST ones, releases per API', async () => {
    const { restUrl, oauthTokenUrl } = simulator.restUrls;
    expect(new URL(restUrl).origin).toBe(new URL(simulator.url).origin);
    expect(oauthTokenUrl).toBe(`${new URL(restUrl).origin}/api/ts/v1/oauth2/token`);

    await withUwsSession(
      { url: simulator.url, ...user, timeoutMs: 5_000, retries: 0, retryDelayMs: 1 },
      (session) =>
        session.registerCallback({
          accountName: ACCOUNT,
          serviceName: 'PromoChange',
          url: `${bridgeUrl}/soap/PromoChange`,
          username: 'u',
          password: new Secret('p'),
        }),
    );
    const rest = restApiConfig({ urls: simulator.restUrls, app, user });
    await withRegistrationApi(rest, async (api) => {
      for (const serviceName of ['EnhancedConnectivityService', 'NiddService']) {
        await api.register({
          accountName: ACCOUNT,
          serviceName,
          url: `${bridgeUrl}/rest/${serviceName}`,
          username: '',
          password: new Secret(''),
        });
      }
    });
    expect(simulator.registrations(ACCOUNT).map((entry) => `${entry.serviceName} ${entry.api}`)).toEqual([
      'PromoChange soap',
      'EnhancedConnectivityService rest',
      'NiddService rest',
    ]);

    const report = await simulator.send({
      services: ['PromoChange', 'EnhancedConnectivityService', 'NiddService'],
    });
    // The device SMS and the two NIDD data messages from devices wait; the rest is acknowledged at once.
    expect(report).toMatchObject({ queued: 3, acknowledged: report.sent - 3, givenUp: 0 });
    expect(new Set(received)).toEqual(
      new Set([
        '/soap/PromoChange text/xml; charset=utf-8 other',
        '/rest/EnhancedConnectivityService application/json other',
        '/rest/EnhancedConnectivityService application/json device',
        '/rest/NiddService application/json other',
        '/rest/NiddService application/json device',
      ]),
    );

    smsAccepted = true;
    await withRegistrationApi(rest, (api) => api.startSms(ACCOUNT));
    expect(await simulator.settled()).toMatchObject({ sent: 3, acknowledged: 3 });
    expect(simulator.queued()).toBe(0);
  });

  it('serves only the APIs asked for', async () => {
    const restOnly = await Simulator.start({ users: [user], apis: ['rest'], rest: { app } });
    try {
      expect(() => restOnly.url).toThrow('does not serve the SOAP API');
      const soapPath = `${new URL(restOnly.restUrls.restUrl).origin}/api/v2/SessionService.svc`;
      expect((await fetch(soapPath, { method: 'POST', body: '' })).status).toBe(404);
    } finally {
      await restOnly.close();
    }
    await expect(Simulator.start({ users: [user], apis: ['rest'] })).rejects.toThrow('needs rest.app');
  });
});
