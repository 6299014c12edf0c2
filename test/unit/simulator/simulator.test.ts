/**
 * The simulator as the platform: what an account registers (through the real client) is where its callbacks go,
 * with the credentials it registered; StartSmsCallback releases its queued device SMS. And the fake endpoint's
 * answers to what is not a SOAP request at all.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseCallback } from '../../../src/soap/parser';
import { Simulator } from '../../../src/simulator';
import type { DeliveredCallback } from '../../../src/simulator';
import { withUwsSession } from '../../../src/registration';
import type { UwsClientOptions } from '../../../src/registration';
import { Secret } from '../../../src/util/secret';

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
