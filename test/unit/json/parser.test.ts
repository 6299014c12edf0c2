import { parseJsonCallback } from '../../../src/json/parser';
import type { MessageNode, PayloadNode } from '../../../src/message/types';
import { pieces, plain, rejection, stream } from '../message/helpers';
import { bytesOf, CALLBACKS, layoutFree, reordered, withoutRaw } from './helpers';

function parse(text: string) {
  return parseJsonCallback(text).then(plain);
}

/** A JSON scalar or container node as the tree holds it, without raw. */
function node(name: string, json: MessageNode['json'], text = '', children: MessageNode[] = []): MessageNode {
  return { name, attributes: {}, text, children, json };
}

const names = (nodes: readonly MessageNode[]) => nodes.map((n) => n.name);

describe('the example callbacks (THINGSPACE.md §6)', () => {
  it('an activation: credentials, requestId, devices, the response as payload, status and counters', async () => {
    const parsed = await parse(CALLBACKS.activation);
    expect(parsed).toMatchObject({
      format: 'rest',
      root: 'CallbackRequest',
      username: 'bridge-rest-01',
      password: 'Inv3nted-Rest-Pa55',
      requestId: '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
      devices: [
        { kind: 'Iccid', identifier: '89148000000000000123' },
        { kind: 'IMEI', identifier: '990000862471854' },
      ],
      status: 'Success',
      callbackCount: 1,
      maxCallbackThreshold: 4,
      extra: [],
    });
    expect(parsed.smsMessage).toBeUndefined();
    expect(names(parsed.payload)).toEqual(['activateResponse']);
    const [activate] = parsed.payload;
    // Members sorted by key; the response's own deviceIds stay in its tree.
    expect(names(activate!.children)).toEqual([
      'deviceIds',
      'featureCodes',
      'ipAddress',
      'servicePlan',
      'state',
    ]);
    expect(withoutRaw(activate!.children[1]!)).toEqual(
      node('featureCodes', 'array', '', [node('', 'string', 'FEAT-A'), node('', 'string', 'FEAT-B')]),
    );
    expect(activate!.raw).toBe(
      CALLBACKS.activation.slice(
        CALLBACKS.activation.indexOf('{\n      "deviceIds"'),
        CALLBACKS.activation.indexOf('  }\n  },') + 3,
      ),
    );
  });

  it('a NIDD device message: the niddResponse member is the payload', async () => {
    const parsed = await parse(CALLBACKS.niddMessage);
    expect(names(parsed.payload)).toEqual(['niddMONotificationResponse']);
    expect(parsed.payload[0]!.children.find((c) => c.name === 'message')?.text).toBe(
      'SW52ZW50ZWQgcGF5bG9hZA==',
    );
    expect(parsed).toMatchObject({ status: 'Delivered', callbackCount: 2, devices: [{ kind: 'imei' }] });
  });

  it('a fault: faultResponse is the payload, counters given as digit strings are read', async () => {
    const parsed = await parse(CALLBACKS.fault);
    expect(names(parsed.payload)).toEqual(['faultResponse']);
    expect(parsed.payload[0]!.children.map((c) => [c.name, c.json])).toEqual([
      ['detail', 'object'],
      ['faultcode', 'string'],
      ['faultstring', 'string'],
    ]);
    expect(parsed).toMatchObject({ status: 'Failed', callbackCount: 3, maxCallbackThreshold: 4, extra: [] });
  });

  it('a device SMS: SmsCallbackRequest, the text as sent, empty credentials, unknown members in extra', async () => {
    const parsed = await parse(CALLBACKS.sms);
    expect(parsed).toMatchObject({
      root: 'SmsCallbackRequest',
      username: '',
      password: '',
      smsMessage: 'Température 21,5 °C — ok 👍 "line"\nnext',
      devices: [{ kind: 'mdn', identifier: '5555550177' }],
    });
    expect(names(parsed.payload)).toEqual(['comment']);
    expect(parsed.extra.map(withoutRaw)).toEqual([
      node('vendorTrace', 'object', '', [node('hop', 'number', '3'), node('ratio', 'number', '-0.5e-3')]),
    ]);
    expect(parsed.extra[0]!.raw).toBe('{"hop": 3, "ratio": -0.5e-3}');
  });

  it.each(Object.entries(CALLBACKS))(
    '%s: neither key order nor whitespace changes the tree',
    async (_, text) => {
      const again = reordered(text);
      expect(again).not.toBe(text);
      expect(layoutFree(await parseJsonCallback(again))).toEqual(layoutFree(await parseJsonCallback(text)));
    },
  );

  it.each(Object.entries(CALLBACKS))(
    '%s: the same from a string, bytes, and 1-byte chunks',
    async (_, text) => {
      const whole = plain(await parseJsonCallback(text));
      expect(plain(await parseJsonCallback(bytesOf(text)))).toEqual(whole);
      expect(plain(await parseJsonCallback(stream(pieces(bytesOf(text), 1))))).toEqual(whole);
    },
  );

  it('is the same with the body cut in two at every byte, multi-byte characters included', async () => {
    const bytes = bytesOf(CALLBACKS.sms);
    const whole = plain(await parseJsonCallback(bytes));
    for (let cut = 0; cut <= bytes.length; cut++) {
      const parsed = plain(await parseJsonCallback(stream([bytes.subarray(0, cut), bytes.subarray(cut)])));
      expect(parsed).toEqual(whole);
    }
  });
});

describe('credentials', () => {
  it('are strings as sent; null or absent is empty; the password is a Secret', async () => {
    expect(await parse('{"username":" u ","password":"p\\u0061ss\\"w"}')).toMatchObject({
      username: ' u ',
      password: 'pass"w',
    });
    expect(await parse('{"username":null,"password":null}')).toMatchObject({ username: '', password: '' });
    expect(await parse('{}')).toMatchObject({ username: '', password: '' });
    const parsed = await parseJsonCallback('{"password":"Inv3nted-Secret-1"}');
    expect(JSON.stringify(parsed)).not.toContain('Inv3nted-Secret-1');
  });

  it.each([
    ['username', '1', 'a number'],
    ['username', 'true', 'a boolean'],
    ['password', '{"value":"Inv3nted"}', 'an object'],
    ['password', '["Inv3nted"]', 'an array'],
  ])('%s as %s is CREDENTIALS_NOT_STRINGS, without the value', async (key, value, type) => {
    const error = await rejection(parseJsonCallback(`{"${key}": ${value}}`), 'CREDENTIALS_NOT_STRINGS');
    expect(error.message).toBe(
      `the top-level "${key}" is ${type}, not a string or null (line 1, column ${key.length + 6})`,
    );
    expect(error.status).toBe(400);
  });

  it('only the top-level ones authenticate: a nested one is payload, emptied as every credential is', async () => {
    const parsed = await parse('{"comment":{"password":7,"user":"kept"}}');
    expect(parsed.password).toBe('');
    expect(parsed.payload[0]!.children).toMatchObject([
      { name: 'password', text: '', json: 'string', children: [] },
      { name: 'user', text: 'kept' },
    ]);
  });
});

describe('redacted', () => {
  it('is the source with the credential values replaced by "", byte for byte otherwise', async () => {
    const text = ' {"password" : "Inv3nted-Pw-2", "comment":"x" ,\n "username":"bridge-user-2"}\n';
    const parsed = await parseJsonCallback(text);
    expect(parsed.redacted).toBe(' {"password" : "", "comment":"x" ,\n "username":""}\n');
  });

  it('removes escaped credentials whole, and keeps null ones', async () => {
    const parsed = await parseJsonCallback('{"username":null,"password":"Inv3\\u006eted\\\\\\"Pw"}');
    expect(parsed.password.reveal()).toBe('Inv3nted\\"Pw');
    expect(parsed.redacted).toBe('{"username":null,"password":""}');
  });

  it.each(Object.entries(CALLBACKS))(
    '%s: no credential survives it, everything else does',
    async (_, text) => {
      const parsed = await parseJsonCallback(text);
      const original = JSON.parse(text) as Record<string, unknown>;
      const redacted = JSON.parse(parsed.redacted) as Record<string, unknown>;
      expect(redacted).toEqual({ ...original, username: '', password: '' });
      for (const secret of [parsed.username, parsed.password.reveal()].filter(Boolean)) {
        expect(parsed.redacted).not.toContain(secret);
      }
    },
  );
});

describe('requestId, status, smsMessage', () => {
  it('trims requestId and status; blank is none', async () => {
    expect(await parse('{"requestId":"  r-1 ","status":" Success\\n"}')).toMatchObject({
      requestId: 'r-1',
      status: 'Success',
    });
    const blank = await parse('{"requestId":"  ","status":""}');
    expect([blank.requestId, blank.status, blank.extra]).toEqual([undefined, undefined, []]);
  });

  it('keeps smsMessage as sent (even empty), which makes the message a device SMS', async () => {
    expect(await parse('{"smsMessage":" hi "}')).toMatchObject({
      root: 'SmsCallbackRequest',
      smsMessage: ' hi ',
    });
    expect(await parse('{"smsMessage":""}')).toMatchObject({ root: 'SmsCallbackRequest', smsMessage: '' });
  });

  it.each([
    ['requestId', '42', 'number'],
    ['requestId', 'null', 'null'],
    ['status', '{"code":"Success"}', 'object'],
    ['status', 'false', 'boolean'],
    ['smsMessage', '["hi"]', 'array'],
  ] as const)('%s as %s goes to extra, whole', async (key, value, json) => {
    const parsed = await parse(`{"${key}":${value}}`);
    expect(parsed.extra).toEqual([expect.objectContaining({ name: key, json, raw: value })]);
    expect([parsed.requestId, parsed.status, parsed.smsMessage, parsed.root]).toEqual([
      undefined,
      undefined,
      undefined,
      'CallbackRequest',
    ]);
  });
});

describe('callbackCount and maxCallbackThreshold', () => {
  it.each([
    ['0', 0],
    ['4', 4],
    ['"12"', 12],
    ['" 3 "', 3],
    ['999999999999999', 999_999_999_999_999],
  ])('%s is read as %d', async (value, count) => {
    const parsed = await parse(`{"callbackCount":${value},"maxCallbackThreshold":${value}}`);
    expect([parsed.callbackCount, parsed.maxCallbackThreshold, parsed.extra]).toEqual([count, count, []]);
  });

  it.each(['-1', '1.5', '1.0', '1e2', '"x1"', '""', 'true', 'null', '[1]', '1000000000000000'])(
    '%s is no count: kept in extra',
    async (value) => {
      const parsed = await parse(`{"callbackCount":${value},"maxCallbackThreshold":${value}}`);
      expect(parsed.callbackCount).toBeUndefined();
      expect(parsed.maxCallbackThreshold).toBeUndefined();
      expect(parsed.extra.map((e) => [e.name, e.raw])).toEqual([
        ['callbackCount', value],
        ['maxCallbackThreshold', value],
      ]);
    },
  );
});

describe('deviceIds', () => {
  it('reads {kind, id} items in order, trimmed, and keeps nothing more when that is all there is', async () => {
    const parsed = await parse(
      '{"deviceIds":[{"kind":" MDN ","id":" 5555550101 "},{"id":"A1","kind":"esn"}]}',
    );
    expect(parsed.devices).toEqual([
      { kind: 'MDN', identifier: '5555550101' },
      { kind: 'esn', identifier: 'A1' },
    ]);
    expect(parsed.extra).toEqual([]);
    expect((await parse('{"deviceIds":[]}')).extra).toEqual([]);
  });

  it.each([
    ['an item with another member', '[{"kind":"mdn","id":"5555550102","since":"2024"}]', ['mdn/5555550102']],
    [
      'an item without kind',
      '[{"id":"5555550103"},{"kind":"imei","id":"990000862471856"}]',
      ['/5555550103', 'imei/990000862471856'],
    ],
    ['an id that is a number', '[{"kind":"mdn","id":5555550104}]', ['mdn/']],
    ['an item that is not an object', '["5555550105",{"kind":"mdn","id":"5555550106"}]', ['mdn/5555550106']],
    ['an item of two empty strings', '[{"kind":"","id":" "}]', []],
    ['a lone device object instead of a list', '{"kind":"mdn","id":"5555550107"}', ['mdn/5555550107']],
    ['a string', '"5555550108"', []],
    ['null', 'null', []],
  ])('%s: what can be read is, and the whole member is kept in extra', async (_, value, devices) => {
    const parsed = await parse(`{"deviceIds": ${value} }`);
    expect(parsed.devices.map((d) => `${d.kind}/${d.identifier}`)).toEqual(devices);
    expect(parsed.extra.map((e) => [e.name, e.raw])).toEqual([['deviceIds', value]]);
  });
});

describe('payload', () => {
  it('takes the members of deviceResponse, then niddResponse, then faultResponse, comment, summary', async () => {
    const parsed = await parse(
      '{"summary":"s","comment":"c","faultResponse":{"faultcode":"f"},' +
        '"niddResponse":{"niddConfigResponse":{},"niddMTDeliveryResponse":{"reason":"r"}},' +
        '"deviceResponse":{"usageResponse":[{"bytesUsed":1}],"activateResponse":{"state":"active"}}}',
    );
    expect(names(parsed.payload)).toEqual([
      'activateResponse',
      'usageResponse',
      'niddConfigResponse',
      'niddMTDeliveryResponse',
      'faultResponse',
      'comment',
      'summary',
    ]);
    expect(parsed.payload.map((p) => p.raw)).toEqual([
      '{"state":"active"}',
      '[{"bytesUsed":1}]',
      '{}',
      '{"reason":"r"}',
      '{"faultcode":"f"}',
      '"c"',
      '"s"',
    ]);
    expect(parsed.extra).toEqual([]);
  });

  it('takes a deviceResponse or niddResponse that is not an object as itself', async () => {
    const parsed = await parse('{"deviceResponse":[{"a":1}],"niddResponse":"queued","comment":null}');
    expect(parsed.payload.map((p) => [p.name, p.json, p.raw])).toEqual([
      ['deviceResponse', 'array', '[{"a":1}]'],
      ['niddResponse', 'string', '"queued"'],
      ['comment', 'null', 'null'],
    ]);
  });

  it('gives raw only to payload and extra nodes, not to what is inside them', async () => {
    const parsed = await parse('{"deviceResponse":{"r":{"s":{"t":1}}},"other":{"u":[2]}}');
    const [response] = parsed.payload as PayloadNode[];
    const [other] = parsed.extra;
    expect(response!.raw).toBe('{"s":{"t":1}}');
    expect(other!.raw).toBe('{"u":[2]}');
    expect('raw' in response!.children[0]!).toBe(false);
    expect('raw' in other!.children[0]!).toBe(false);
  });
});

describe('extra', () => {
  it('holds every other member in key order, whatever the source order', async () => {
    const parsed = await parse('{"zeta":1,"Alpha":true,"alpha":"a","":null,"é":[],"deviceResponse":{}}');
    expect(names(parsed.extra)).toEqual(['', 'Alpha', 'alpha', 'zeta', 'é']);
    // An empty deviceResponse has no members to be payload.
    expect(parsed.payload).toEqual([]);
  });

  it('keeps keys that name Object.prototype members as plain members', async () => {
    const parsed = await parse('{"__proto__":{"polluted":true},"constructor":1,"toString":"x"}');
    expect(parsed.extra.map((e) => [e.name, e.raw])).toEqual([
      ['__proto__', '{"polluted":true}'],
      ['constructor', '1'],
      ['toString', '"x"'],
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('the tree', () => {
  it('types every node, writes scalars as their text, containers as empty', async () => {
    const parsed = await parse(
      '{"other":{"s":"x\\ty","n":-1.50E+2,"t":true,"f":false,"z":null,"a":[0,{}],"o":{"k":[]}}}',
    );
    expect(withoutRaw(parsed.extra[0]!)).toEqual(
      node('other', 'object', '', [
        node('a', 'array', '', [node('', 'number', '0'), node('', 'object')]),
        node('f', 'boolean', 'false'),
        node('n', 'number', '-1.50E+2'),
        node('o', 'object', '', [node('k', 'array')]),
        node('s', 'string', 'x\ty'),
        node('t', 'boolean', 'true'),
        node('z', 'null', ''),
      ]),
    );
  });

  it('sorts members by UTF-16 code units', async () => {
    const keys = ['b', 'a', 'B', '_', 'é', '😀', '\uffff', 'aa', ''];
    const parsed = await parse(`{"x":{${keys.map((k, i) => `${JSON.stringify(k)}:${i}`).join(',')}}}`);
    expect(names(parsed.extra[0]!.children)).toEqual(['', 'B', '_', 'a', 'aa', 'b', 'é', '😀', '\uffff']);
  });
});

describe('refusals of the whole body', () => {
  it.each([
    ['an array', '[{"username":"u"}]', 'an array'],
    ['a string', '"{}"', 'a string'],
    ['a number', ' 42 ', 'a number'],
    ['null', 'null', 'null'],
  ])('%s at the top level is NOT_JSON_OBJECT', async (_, text, type) => {
    const error = await rejection(parseJsonCallback(text), 'NOT_JSON_OBJECT');
    expect(error.message).toBe(`the body is ${type}, not a JSON object`);
  });

  it.each(['', ' \n\t\r ', Buffer.alloc(0)])('%j is EMPTY_BODY', async (body) => {
    await rejection(parseJsonCallback(body), 'EMPTY_BODY');
  });

  it('a leading byte order mark is BYTE_ORDER_MARK, in bytes, a stream, or a string', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytesOf(CALLBACKS.fault)]);
    await rejection(parseJsonCallback(bytes), 'BYTE_ORDER_MARK');
    await rejection(parseJsonCallback(stream(pieces(bytes, 1))), 'BYTE_ORDER_MARK');
    await rejection(parseJsonCallback(`\uFEFF${CALLBACKS.fault}`), 'BYTE_ORDER_MARK');
    await rejection(parseJsonCallback('\uFEFF'), 'BYTE_ORDER_MARK');
    // Anywhere else it is no whitespace either.
    await rejection(parseJsonCallback(`{\uFEFF}`), 'MALFORMED_JSON');
  });

  it('bytes that are not UTF-8, and a lone surrogate in a string body, are INVALID_UTF8', async () => {
    await rejection(parseJsonCallback(Buffer.from('{"comment":"caf\xe9"}', 'latin1')), 'INVALID_UTF8');
    await rejection(parseJsonCallback(stream([bytesOf('{"comment":"€').subarray(0, 13)])), 'INVALID_UTF8');
    await rejection(parseJsonCallback('{"comment":"\uD83D"}'), 'INVALID_UTF8');
  });
});
