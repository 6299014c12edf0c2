/**
 * The REST half of the loop, against the real Kafka and schema registry: the project's own REST client registers
 * the bridge with the simulator's REST API (OAuth2 token, M2M session, POST /callbacks) for every service the
 * REST platform sends, the simulator sends JSON callbacks of every REST sample (THINGSPACE.md §6), and every acknowledged one is
 * found in Kafka by its eventId, on its category's topic, each its own event.
 */
import { withRegistrationApi } from '../../../src/registration';
import { Simulator } from '../../../src/simulator';
import type { DeliveredCallback } from '../../../src/simulator';
import { SERVICES } from '../../../src/thingspace/catalogue';
import { Secret } from '../../../src/util/secret';
import { restApiConfig } from '../../support/rest-api';
import { ACCOUNT, CALLBACK_PASSWORD, CALLBACK_USER, startE2eStack } from './stack';
import type { E2eStack } from './stack';

const APP = { key: 'e2e-app', secret: new Secret('e2e-app-secret') };
const API_USER = { username: 'bridge-admin', password: new Secret('e2e-api-pw') };
const REST_SERVICES = SERVICES.filter((entry) => entry.formats.includes('rest')).map((entry) => entry.name);

describe('end to end over REST: JSON callbacks of every REST service end in Kafka', () => {
  const delivered: DeliveredCallback[] = [];
  let simulator: Simulator;
  let stack: E2eStack;

  beforeAll(async () => {
    simulator = await Simulator.start({
      users: [API_USER],
      accounts: [ACCOUNT],
      apis: ['rest'],
      rest: { app: APP },
      retryIntervalMs: 1_000,
      onCallback: (callback) => delivered.push(callback),
    });
    stack = await startE2eStack('e2e-rest');
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await simulator?.close();
  });

  it('registers every REST service, sends every JSON sample, finds each acknowledged one in Kafka', async () => {
    const config = restApiConfig({ urls: simulator.restUrls, app: APP, user: API_USER });
    await withRegistrationApi(config, async (api) => {
      for (const name of REST_SERVICES) {
        await api.register({
          accountName: ACCOUNT,
          serviceName: name,
          url: `${stack.base}/callbacks/${name}`,
          username: CALLBACK_USER,
          password: new Secret(CALLBACK_PASSWORD),
        });
      }
    });
    expect(simulator.registrations(ACCOUNT).map((entry) => `${entry.serviceName} ${entry.api}`)).toEqual(
      REST_SERVICES.map((name) => `${name} rest`),
    );

    const report = await simulator.send();
    const jsonSamples = simulator.templates.filter((template) => template.format === 'rest');
    expect(report).toEqual({
      sent: jsonSamples.length,
      acknowledged: jsonSamples.length,
      retried: 0,
      givenUp: 0,
      queued: 0,
      unfinished: 0,
    });
    expect(new Set(delivered.map((callback) => callback.target.serviceName))).toEqual(new Set(REST_SERVICES));
    expect(delivered.every((callback) => callback.body.startsWith('{'))).toBe(true);

    const expected = await Promise.all(delivered.map(stack.expectedEvent));
    const ids = expected.map((event) => event.eventId);
    expect(new Set(ids).size).toBe(delivered.length);
    await stack.untilInKafka(ids);
    for (const { eventId, topic } of expected)
      expect([eventId, stack.inKafka.get(eventId)]).toEqual([eventId, topic]);
    const perTopic = Object.fromEntries(
      Object.entries(stack.topics).map(([key, topic]) => [
        key,
        expected.filter((event) => event.topic === topic).length,
      ]),
    );
    expect(perTopic.deadLetter).toBe(0);
    // The device SMS and the NIDD data from devices.
    expect(perTopic.deviceOriginated).toBe(jsonSamples.filter((template) => template.fromDevice).length);
    process.stdout.write(
      `end-to-end REST: ${report.sent} JSON callbacks of ${REST_SERVICES.length} services sent, ` +
        `${report.acknowledged} acknowledged, ${ids.length} distinct eventIds, all found in Kafka ` +
        `(${JSON.stringify(perTopic)})\n`,
    );
  }, 180_000);
});
