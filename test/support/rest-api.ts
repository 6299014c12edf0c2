/**
 * The config of the project's own REST registration client (`thingspace.api: rest`, src/registration) for a REST
 * API the tests run, usually the simulator's (src/simulator/fake-rest): where it is, the app that takes tokens
 * and the API user of the M2M session. No retries unless given, short timeouts.
 */
import type { ThingSpaceApiConfig } from '../../src/config';
import { Secret } from '../../src/util/secret';

export interface RestApiAccess {
  /** As `Simulator.restUrls` or `FakeRest.url` and `.oauthTokenUrl` give them. */
  urls: { restUrl: string; oauthTokenUrl: string };
  app: { key: string; secret: Secret };
  user: { username: string; password: Secret };
}

export function restApiConfig(
  { urls, app, user }: RestApiAccess,
  overrides: Partial<ThingSpaceApiConfig> = {},
): ThingSpaceApiConfig {
  return {
    api: 'rest',
    ...urls,
    username: user.username,
    password: user.password,
    appKey: new Secret(app.key),
    appSecret: app.secret,
    timeoutMs: 5_000,
    retries: 0,
    retryDelayMs: 1,
    ...overrides,
  };
}
