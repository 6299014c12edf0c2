/**
 * The platform's delivery rules as the simulator applies them (THINGSPACE.md §3), against small listeners on a
 * real socket: 2xx acknowledges; anything else, or no answer, is re-sent three more times with CallbackCount
 * counting, then given up; device SMS are queued instead, until released. Intervals are milliseconds here.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallbackSender, DEFAULT_REST_TEMPLATE_DIR, loadTemplates } from '../../../src/simulator';
import type {
  AttemptResult,
  CallbackTarget,
  DeliveredCallback,
  RegistrationApi,
  SenderOptions,
} from '../../../src/simulator';
import type { ServiceName } from '../../../src/thingspace/catalogue';
import { Secret } from '../../../src/util/secret';

const templates = [...loadTemplates(), ...loadTemplates(DEFAULT_REST_TEMPLATE_DIR)];

interface Listener {
  url: string;
  bodies: string[];
  /** The Content-Type of each. */
  types: string[];
  maxInFlight: number;
  close(): Promise<void>;
}

/** Answers each POST with `status(n)` (n from 1), after `delayMs`. */
async function listen(status: (n: number) => number, delayMs = 0): Promise<Listener> {
  const bodies: string[] = [];
  let inFlight = 0;
  const listener = { bodies, types: [] as string[], maxInFlight: 0 } as Listener;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    inFlight += 1;
    listener.maxInFlight = Math.max(listener.maxInFlight, inFlight);
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      bodies.push(body);
      listener.types.push(req.headers['content-type'] ?? '');
      const answer = status(bodies.length);
      setTimeout(() => {
        inFlight -= 1;
        res.writeHead(answer).end();
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  listener.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callbacks/x`;
  listener.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return listener;
}

function target(
  serviceName: ServiceName,
  url: string,
  accountName = '0000555123-00001',
  api: RegistrationApi = 'soap',
): CallbackTarget {
  return {
    accountName,
    serviceName,
    url,
    username: 'fixture-user',
    password: new Secret('s3cret-fixture-pw'),
    api,
  };
}

const counts = (bodies: string[]) => bodies.map((body) => /<CallbackCount>(\d+)</.exec(body)?.[1]);
const withoutCount = (body: string) => body.replace(/<CallbackCount>\d+</, '<CallbackCount>?<');

function sender(options: SenderOptions = {}) {
  const attempts: AttemptResult[] = [];
  const callbacks: DeliveredCallback[] = [];
  const instance = new CallbackSender({
    retryIntervalMs: 20,
    attemptTimeoutMs: 5_000,
    onAttempt: (attempt) => attempts.push(attempt),
    onCallback: (callback) => callbacks.push(callback),
    ...options,
  });
  return { instance, attempts, callbacks };
}

describe('CallbackSender', () => {
  const opened: Listener[] = [];
  const open = async (...args: Parameters<typeof listen>) => {
    const listener = await listen(...args);
    opened.push(listener);
    return listener;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((listener) => listener.close()));
  });

  it('re-sends after a non-2xx answer, CallbackCount counting, the message otherwise the same', async () => {
    const bridge = await open((n) => (n <= 2 ? 503 : 200));
    const { instance, callbacks } = sender();
    const report = await instance.send({ targets: [target('PromoChange', bridge.url)], templates });
    expect(report).toEqual({ sent: 1, acknowledged: 1, retried: 2, givenUp: 0, queued: 0, unfinished: 0 });
    expect(counts(bridge.bodies)).toEqual(['1', '2', '3']);
    expect(new Set(bridge.bodies.map(withoutCount)).size).toBe(1);
    expect(callbacks).toEqual([
      expect.objectContaining({ outcome: 'acknowledged', attempts: 3, template: 'promo-change' }),
    ]);
    expect(callbacks[0]!.body).toBe(bridge.bodies[0]);
  });

  it('gives up after four attempts (§3), any non-2xx counting', async () => {
    const bridge = await open((n) => [500, 401, 404, 503, 200][n - 1]!);
    const { instance, attempts } = sender();
    const report = await instance.send({ targets: [target('AlertService', bridge.url)], templates });
    expect(report).toMatchObject({ sent: 1, acknowledged: 0, retried: 3, givenUp: 1 });
    expect(attempts.map((attempt) => [attempt.callbackCount, attempt.status])).toEqual([
      [1, 500],
      [2, 401],
      [3, 404],
      [4, 503],
    ]);
  });

  it('counts no answer as unacknowledged', async () => {
    const gone = await listen(() => 200);
    await gone.close();
    const { instance, attempts } = sender();
    const report = await instance.send({ targets: [target('AlertService', gone.url)], templates });
    expect(report).toMatchObject({ sent: 1, givenUp: 1, retried: 3 });
    expect(attempts.map((attempt) => attempt.status)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('queues an undelivered device SMS instead of re-sending it, until released', async () => {
    let up = false;
    const bridge = await open(() => (up ? 200 : 503));
    const { instance, callbacks } = sender();
    const sms = templates.filter((template) => template.root === 'SmsCallbackRequest');
    const where = target('EnhancedConnectivityService', bridge.url);
    const report = await instance.send({ targets: [where], templates: sms, count: 2 });
    expect(report).toMatchObject({ sent: 2, queued: 2, retried: 0, givenUp: 0 });
    expect(bridge.bodies).toHaveLength(2);
    expect(instance.queued('0000555123-00001')).toBe(2);
    expect(instance.queued('another-account')).toBe(0);

    // No registration for the service any more: they stay queued.
    expect(await instance.release('0000555123-00001', 'soap', () => undefined)).toMatchObject({ sent: 0 });
    up = true;
    const released = await instance.release('0000555123-00001', 'soap', () => where);
    expect(released).toMatchObject({ sent: 2, acknowledged: 2, queued: 0 });
    expect(instance.queued()).toBe(0);
    expect(counts(bridge.bodies)).toEqual(['1', '1', '2', '2']);
    expect(callbacks.map((callback) => callback.outcome)).toEqual([
      'queued',
      'queued',
      'acknowledged',
      'acknowledged',
    ]);
  });

  it('by default sends each template of a service once; a count cycles through them, services interleaved', async () => {
    const bridge = await open(() => 200);
    // A SOAP registration: the SOAP templates only.
    const carrier = templates
      .filter((template) => template.service === 'CarrierService' && template.format === 'soap')
      .map((t) => t.name);
    const { instance, callbacks } = sender();
    const once = await instance.send({
      targets: [target('CarrierService', bridge.url), target('PromoChange', bridge.url)],
      templates,
    });
    expect(once).toMatchObject({ sent: carrier.length + 1, acknowledged: carrier.length + 1 });
    expect(callbacks.map((callback) => callback.template).sort()).toEqual(
      [...carrier, 'promo-change'].sort(),
    );

    // One at a time, so the attempts come in the order the messages were made.
    const five = sender({ concurrency: 1 });
    await five.instance.send({
      targets: [target('CarrierService', bridge.url), target('PromoChange', bridge.url)],
      templates,
      count: 5,
    });
    expect(five.attempts.map((attempt) => attempt.target.serviceName)).toEqual([
      'CarrierService',
      'PromoChange',
      'CarrierService',
      'PromoChange',
      'CarrierService',
      'PromoChange',
      'CarrierService',
      'PromoChange',
      'CarrierService',
      'PromoChange',
    ]);
    // Every message its own RequestId.
    expect(new Set(five.attempts.map((attempt) => attempt.requestId)).size).toBe(10);
  });

  it('keeps at most `concurrency` requests in flight, at a rate', async () => {
    const bridge = await open(() => 200, 30);
    const { instance } = sender({ concurrency: 2 });
    const report = await instance.send({
      targets: [target('DeviceUsage', bridge.url)],
      templates,
      count: 8,
      ratePerSecond: 500,
    });
    expect(report).toMatchObject({ sent: 8, acknowledged: 8 });
    expect(bridge.maxInFlight).toBeLessThanOrEqual(2);
  });

  it('stops on abort: nothing new starts, waiting retries end as unfinished', async () => {
    const bridge = await open(() => 503);
    const { instance } = sender({ retryIntervalMs: 60_000 });
    const abort = new AbortController();
    const sending = instance.send({
      targets: [target('DeviceUsage', bridge.url)],
      templates,
      count: Infinity,
      ratePerSecond: 50,
      signal: abort.signal,
    });
    while (bridge.bodies.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    abort.abort();
    const report = await sending;
    expect(report.sent).toBeGreaterThanOrEqual(3);
    expect(report).toMatchObject({ acknowledged: 0, givenUp: 0, retried: 0, unfinished: report.sent });
  });

  describe('to a REST registration', () => {
    const ACCOUNT = '0000555123-00001';
    const json = (body: string) => JSON.parse(body) as Record<string, unknown>;

    it('sends JSON from the REST templates only, with the same retries: 4 attempts, callbackCount counting', async () => {
      const bridge = await open(() => 503);
      const { instance, callbacks } = sender();
      const report = await instance.send({
        targets: [target('PromoChange', bridge.url, ACCOUNT, 'rest')],
        templates,
      });
      expect(report).toMatchObject({ sent: 1, retried: 3, givenUp: 1, queued: 0 });
      expect(callbacks.map((callback) => callback.template)).toEqual(['promo-changes']);
      expect(new Set(bridge.types)).toEqual(new Set(['application/json']));
      expect(
        bridge.bodies.map((body) => [json(body).callbackCount, json(body).maxCallbackThreshold]),
      ).toEqual([
        [1, 4],
        [2, 4],
        [3, 4],
        [4, 4],
      ]);
      expect(json(bridge.bodies[0]!)).toMatchObject({
        username: 'fixture-user',
        password: 's3cret-fixture-pw',
      });
    });

    it('queues device SMS and NIDD data from devices, releases them on the REST call only', async () => {
      let up = false;
      const bridge = await open(() => (up ? 200 : 503));
      const { instance, callbacks } = sender();
      const sms = target('EnhancedConnectivityService', bridge.url, ACCOUNT, 'rest');
      const nidd = target('NiddService', bridge.url, ACCOUNT, 'rest');
      const report = await instance.send({ targets: [sms, nidd], templates });
      const fromDevices = callbacks
        .filter((callback) => callback.outcome === 'queued')
        .map((c) => c.template);
      expect(fromDevices.sort()).toEqual([
        'enhanced-connectivity-device-sms',
        'nidd-mo-data',
        'nidd-mo-data-not-base64',
      ]);
      // The others (send results, NIDD MT and config results) are re-sent and given up as usual.
      expect(report).toMatchObject({ queued: 3, givenUp: report.sent - 3, acknowledged: 0 });
      expect(instance.queued(ACCOUNT)).toBe(3);

      up = true;
      const byRegistration = (service: ServiceName) => (service === 'NiddService' ? nidd : sms);
      // StartSmsCallback (SOAP) leaves what was queued for a REST registration.
      expect(await instance.release(ACCOUNT, 'soap', byRegistration)).toMatchObject({ sent: 0 });
      const released = await instance.release(ACCOUNT, 'rest', byRegistration);
      expect(released).toMatchObject({ sent: 3, acknowledged: 3 });
      expect(instance.queued()).toBe(0);
      const again = bridge.bodies.slice(-3).map(json);
      expect(again.map((body) => body.callbackCount)).toEqual([2, 2, 2]);
      expect(again.filter((body) => 'smsMessage' in body)).toHaveLength(1);
    });

    it('keeps a queued message queued when its service is now registered over the other API', async () => {
      const bridge = await open(() => 503);
      const { instance } = sender();
      await instance.send({
        targets: [target('EnhancedConnectivityService', bridge.url, ACCOUNT, 'rest')],
        templates: templates.filter((template) => template.fromDevice),
      });
      expect(instance.queued(ACCOUNT)).toBe(1);
      const nowSoap = target('EnhancedConnectivityService', bridge.url, ACCOUNT, 'soap');
      expect(await instance.release(ACCOUNT, 'rest', () => nowSoap)).toMatchObject({ sent: 0 });
      expect(instance.queued(ACCOUNT)).toBe(1);
    });
  });
});
