/**
 * A REST account end to end: a JSON callback with empty credentials POSTed to /callbacks/<pathToken>/<service>
 * of a running bridge on the real broker and registry -> 200 {"status":"ok"} -> one record on its category's
 * topic, of the token's account, `format: "rest"`. An unknown token is 404 and publishes nothing. The token is
 * in no record and no log line.
 */
import { post, send } from '../../support/http';
import { IngressHarness, report, type RunningBridge } from './harness';

const TOKEN_ACCOUNT = '0000555123-00042';
// Invented for this test, 22+ base64url characters as the config requires.
const TOKEN = 'it-path-token-Wq3Ex8Rt5Yz1';

/** A REST CarrierService callback (THINGSPACE.md §6) as a registration without credentials sends it. */
const CALLBACK = JSON.stringify({
  username: '',
  password: '',
  requestId: '7d2e1f3a-0000-4000-8000-00000000d042',
  deviceIds: [{ id: '5555550142', kind: 'MDN' }],
  deviceResponse: { changeIdentifierResponse: { servicePlan: 'PLAN-555-42' } },
  status: 'Success',
  callbackCount: 1,
  maxCallbackThreshold: 4,
});

const harness = new IngressHarness();
let running: RunningBridge;

beforeAll(async () => {
  running = await harness.startBridge({
    accounts: [{ name: TOKEN_ACCOUNT, pathToken: TOKEN, services: ['CarrierService'] }],
  });
});

afterAll(() => harness.cleanup());

it('takes a JSON callback with a path token as its account, answers in JSON, publishes it as rest', async () => {
  const json = { headers: { 'content-type': 'application/json' } };
  const answer = await post(running.port, `/callbacks/${TOKEN}/CarrierService`, CALLBACK, json);
  expect([answer.status, answer.headers['content-type'], JSON.parse(answer.body)]).toEqual([
    200,
    'application/json; charset=utf-8',
    { status: 'ok' },
  ]);
  const unknown = await send(running.port, `/callbacks/${TOKEN.slice(0, -1)}X/CarrierService`, {
    ...json,
    body: CALLBACK,
  });
  expect([unknown.status, JSON.parse(unknown.body)]).toEqual([
    404,
    { code: 'NOT_FOUND', message: 'no such resource' },
  ]);

  const records = await harness.readAll(Object.values(running.topics));
  expect(records.map((record) => record.topic)).toEqual([running.topics['async-response']]);
  const event = (await harness.servers.registry.decode(records[0]!.value!)) as Record<string, unknown>;
  expect(event).toMatchObject({
    service: 'CarrierService',
    accountName: TOKEN_ACCOUNT,
    format: 'rest',
    requestId: '7d2e1f3a-0000-4000-8000-00000000d042',
  });
  for (const { key, value } of records) {
    expect(Buffer.concat([Buffer.from(key ?? ''), value ?? Buffer.alloc(0)]).includes(TOKEN)).toBe(false);
  }
  for (const line of running.logs) expect(line).not.toContain(TOKEN);
  report('json-path-token', { answered: answer.status, unknown: unknown.status, records: records.length });
});
