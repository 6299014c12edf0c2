/**
 * A few lines of REST registration client for the simulator's tests, until the project's own (branch
 * rest-registration) is at hand: takes the OAuth2 token and the M2M session once and calls the API with both
 * (THINGSPACE.md §6). No refresh: the tests that need one use the fake directly.
 */
import type { Secret } from '../../src/util/secret';

export interface RestEndpoints {
  restUrl: string;
  oauthTokenUrl: string;
}

export interface RestAnswer {
  status: number;
  body: unknown;
}

export type RestCaller = (method: string, path: string, body?: unknown) => Promise<RestAnswer>;

export async function restSession(
  { restUrl, oauthTokenUrl }: RestEndpoints,
  app: { key: string; secret: Secret },
  user: { username: string; password: Secret },
): Promise<RestCaller> {
  const token = await fetch(oauthTokenUrl, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${app.key}:${app.secret.reveal()}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  const { access_token: access } = (await token.json()) as { access_token: string };
  const login = await fetch(`${restUrl}/session/login`, {
    method: 'POST',
    headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' },
    body: JSON.stringify({ username: user.username, password: user.password.reveal() }),
  });
  const { sessionToken } = (await login.json()) as { sessionToken: string };
  if (!token.ok || !login.ok) throw new Error(`REST login failed: ${token.status}, ${login.status}`);
  return async (method, path, body) => {
    const response = await fetch(`${restUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${access}`,
        'vz-m2m-token': sessionToken,
        'content-type': 'application/json',
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.json() };
  };
}
