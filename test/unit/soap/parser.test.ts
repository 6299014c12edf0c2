import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCallback } from '../../../src/soap/parser';
import { pieces, plain, rejection, stream } from '../message/helpers';
import { envelope, SOAP_FIXTURES, soapFixtures } from './helpers';

const CREDENTIALS = '<Username>bridge-user-09</Username><Password>Inv3nted-Secret-9</Password>';
const DEVICE = '<Device><Kind>mdn</Kind><Identifier>5555550100</Identifier></Device>';

function parse(xml: string) {
  return parseCallback(xml).then(plain);
}

describe('the fixtures under test/fixtures/soap', () => {
  it.each([...soapFixtures()])('%s parses to its .parsed.json', async (name, bytes) => {
    const expected: unknown = JSON.parse(
      readFileSync(join(SOAP_FIXTURES, name.replace(/\.xml$/, '.parsed.json')), 'utf8'),
    );
    // redacted has its own tests below; the rest is spelled out in the JSON.
    expect({ ...plain(await parseCallback(bytes)), redacted: undefined }).toEqual(expected);
  });
});

describe('CallbackRequest (THINGSPACE.md §2)', () => {
  it('reads credentials, RequestId, Device and payload', async () => {
    const parsed = await parse(
      envelope(
        `${CREDENTIALS}<RequestId> 0f5e2c4a-1b3d-4e6f-8a9b-0c1d2e3f4a5b </RequestId>${DEVICE}<Data><Comment>hi</Comment></Data>`,
      ),
    );
    expect(parsed).toMatchObject({
      root: 'CallbackRequest',
      username: 'bridge-user-09',
      password: 'Inv3nted-Secret-9',
      requestId: '0f5e2c4a-1b3d-4e6f-8a9b-0c1d2e3f4a5b',
      devices: [{ kind: 'mdn', identifier: '5555550100' }],
      payload: [{ name: 'Comment', attributes: {}, text: 'hi', children: [], raw: '<Comment>hi</Comment>' }],
      extra: [],
    });
    expect(parsed.smsMessage).toBeUndefined();
    expect(parsed.callbackCount).toBeUndefined();
  });

  it('treats xsi:nil="true" children as absent, whatever the prefix', async () => {
    const parsed = await parse(
      envelope(
        '<Username xsi:nil="true"/><Password xsi:nil="true">x</Password><RequestId xsi:nil="true"/>' +
          '<Device xsi:nil="true"/><Data><CarrierService xsi:nil="true"/><Comment n:nil="1" xmlns:n="urn:x"/>' +
          '<Status>ok<Detail xsi:nil="true"/></Status><Summary xsi:nil="false">kept</Summary></Data>',
      ),
    );
    expect(parsed.username).toBe('');
    expect(parsed.password).toBe('');
    expect(parsed.requestId).toBeUndefined();
    expect(parsed.devices).toEqual([]);
    expect(parsed.payload.map((p) => [p.name, p.text, p.children.length])).toEqual([
      ['Status', 'ok', 0],
      ['Summary', 'kept', 0],
    ]);
    // xsi:nil is left out of attributes either way (XmlNode's contract).
    expect(parsed.payload[1]?.attributes).toEqual({});
  });

  it('ignores a Data that is nil', async () => {
    expect(
      (await parse(envelope(`${CREDENTIALS}<Data xsi:nil="true"><Comment>x</Comment></Data>`))).payload,
    ).toEqual([]);
  });

  it('matches payload elements in no namespace (the xmlns="" quirk) by local name', async () => {
    const parsed = await parse(
      envelope(
        `<Data><PromoChange xmlns=""><Change xmlns="${'urn:v2'}">PROMO-INVENTED-7</Change></PromoChange></Data>`,
      ),
    );
    expect(parsed.payload[0]).toMatchObject({
      name: 'PromoChange',
      attributes: {},
      children: [{ name: 'Change', text: 'PROMO-INVENTED-7' }],
    });
  });

  it('matches prefixed elements by local name everywhere', async () => {
    const xml =
      '<e:Envelope xmlns:e="urn:soap"><e:Body><v:CallbackRequest xmlns:v="urn:v2"><v:Username>u</v:Username>' +
      '<v:Device><v:Kind>Mdn</v:Kind><v:Identifier>5555550101</v:Identifier></v:Device>' +
      '<v:Data><v:Comment v:lang="en">c</v:Comment></v:Data></v:CallbackRequest></e:Body></e:Envelope>';
    const parsed = await parse(xml);
    expect(parsed.username).toBe('u');
    expect(parsed.devices).toEqual([{ kind: 'Mdn', identifier: '5555550101' }]);
    expect(parsed.payload[0]).toMatchObject({ name: 'Comment', attributes: { lang: 'en' }, text: 'c' });
  });

  it('hands Kind on as it came, trimmed, in any casing', async () => {
    const devices = ['Mdn', 'mdn', ' iccId ', 'ESN', 'meid'].map(
      (kind) => `<Device><Kind>${kind}</Kind><Identifier>\n 60E5F99D\t</Identifier></Device>`,
    );
    const parsed = await parse(envelope(devices.join('')));
    expect(parsed.devices.map((d) => d.kind)).toEqual(['Mdn', 'mdn', 'iccId', 'ESN', 'meid']);
    expect(parsed.devices.every((d) => d.identifier === '60E5F99D')).toBe(true);
  });

  it('accepts a message without Device (ExternalProvisioningChange activations)', async () => {
    expect((await parse(envelope(`${CREDENTIALS}<Data><Comment>c</Comment></Data>`))).devices).toEqual([]);
  });

  it('keeps several Devices in order and half-filled ones, drops empty ones', async () => {
    const parsed = await parse(
      envelope(
        `${DEVICE}<Device><Identifier>89148000000000000017</Identifier></Device><Device><Kind>esn</Kind></Device>` +
          '<Device><Kind/><Identifier> </Identifier></Device><Device><Kind>imei</Kind><Identifier>990000000000017</Identifier><Extra>x</Extra></Device>',
      ),
    );
    expect(parsed.devices).toEqual([
      { kind: 'mdn', identifier: '5555550100' },
      { kind: '', identifier: '89148000000000000017' },
      { kind: 'esn', identifier: '' },
      { kind: 'imei', identifier: '990000000000017' },
    ]);
  });

  it('keeps an unknown Data child losslessly, with its exact source text', async () => {
    const child =
      '<FutureThing a="1" b="&lt;2&gt;" xmlns:f="urn:f" f:c="3">\n  lead &amp; <![CDATA[<raw>]]>\n  <Part k="v">one</Part>\n  <Part/>\n  tail\n</FutureThing>';
    const parsed = await parse(envelope(`<Data>${child}</Data>`));
    expect(parsed.payload).toEqual([
      {
        name: 'FutureThing',
        attributes: { a: '1', b: '<2>', c: '3' },
        text: '\n  lead & <raw>\n  tail\n',
        children: [
          { name: 'Part', attributes: { k: 'v' }, text: 'one', children: [] },
          { name: 'Part', attributes: {}, text: '', children: [] },
        ],
        raw: child,
      },
    ]);
  });

  it('keeps whitespace-only text of a leaf and drops it between children', async () => {
    const parsed = await parse(envelope('<Data><Blank>  </Blank><Parent>\n <A/>\n <B/>\n</Parent></Data>'));
    expect(parsed.payload.map((p) => p.text)).toEqual(['  ', '']);
  });

  it('keeps a nested Data/Data as a payload child named Data', async () => {
    const parsed = await parse(
      envelope('<Data><Data><Usage><Bytes>42</Bytes></Usage></Data><Comment>c</Comment></Data>'),
    );
    expect(parsed.payload.map((p) => p.name)).toEqual(['Data', 'Comment']);
    expect(parsed.payload[0]).toMatchObject({
      raw: '<Data><Usage><Bytes>42</Bytes></Usage></Data>',
      children: [{ name: 'Usage', children: [{ name: 'Bytes', text: '42' }] }],
    });
  });

  it('appends the payload of a second Data', async () => {
    const parsed = await parse(envelope('<Data><A>1</A></Data><Data><B>2</B></Data>'));
    expect(parsed.payload.map((p) => p.name)).toEqual(['A', 'B']);
  });

  it('keeps unknown root children in extra, with their source', async () => {
    const parsed = await parse(
      envelope(`${CREDENTIALS}<Priority level="2">high</Priority><SmsMessage>not here</SmsMessage>`),
    );
    expect(parsed.extra).toEqual([
      {
        name: 'Priority',
        attributes: { level: '2' },
        text: 'high',
        children: [],
        raw: '<Priority level="2">high</Priority>',
      },
      {
        name: 'SmsMessage',
        attributes: {},
        text: 'not here',
        children: [],
        raw: '<SmsMessage>not here</SmsMessage>',
      },
    ]);
    expect(parsed.smsMessage).toBeUndefined();
  });

  it('takes the first of repeated single-valued fields', async () => {
    const parsed = await parse(
      envelope(
        '<RequestId>first</RequestId><RequestId>second</RequestId><Username>a</Username><Username>b</Username>',
      ),
    );
    expect([parsed.requestId, parsed.username]).toEqual(['first', 'a']);
  });

  it('decodes entities, character references and CDATA, keeps credentials untrimmed', async () => {
    const parsed = await parse(
      envelope('<Username> u&amp;1 </Username><Password>&#x1F69A;&#233;&lt;<![CDATA[&]]></Password>'),
    );
    expect(parsed.username).toBe(' u&1 ');
    expect(parsed.password).toBe('🚚é<&');
  });
});

describe('CallbackCount and MaxCallbackThreshold (place unknown, THINGSPACE.md §2)', () => {
  const count = (where: 'root' | 'data' | 'header' | 'device' | 'payload') =>
    envelope(
      `${where === 'root' ? '<CallbackCount>3</CallbackCount><MaxCallbackThreshold>4</MaxCallbackThreshold>' : ''}` +
        `<Device><Kind>mdn</Kind><Identifier>5555550100</Identifier>${where === 'device' ? '<CallbackCount>3</CallbackCount><MaxCallbackThreshold>4</MaxCallbackThreshold>' : ''}</Device>` +
        `<Data>${where === 'data' ? '<CallbackCount> 3 </CallbackCount><MaxCallbackThreshold>4</MaxCallbackThreshold>' : ''}` +
        `<Comment>${where === 'payload' ? '<Meta><CallbackCount>3</CallbackCount><MaxCallbackThreshold>4</MaxCallbackThreshold></Meta>' : 'c'}</Comment></Data>`,
      where === 'header'
        ? { header: '<CallbackCount>3</CallbackCount><MaxCallbackThreshold>4</MaxCallbackThreshold>' }
        : {},
    );

  it.each(['root', 'data', 'header', 'device', 'payload'] as const)(
    'reads them as children of %s',
    async (where) => {
      const parsed = await parse(count(where));
      expect([parsed.callbackCount, parsed.maxCallbackThreshold]).toEqual([3, 4]);
      expect(parsed.extra).toEqual([]);
      expect(parsed.devices).toEqual([{ kind: 'mdn', identifier: '5555550100' }]);
    },
  );

  it('keeps them out of the payload beside it, so a re-sent callback has the same payload', async () => {
    const [first, resent] = await Promise.all([
      parse(count('data')),
      parse(count('data').replace('> 3 <', '>4<')),
    ]);
    expect(first.payload).toEqual(resent.payload);
    expect(first.payload.map((p) => p.name)).toEqual(['Comment']);
  });

  it('leaves them inside a payload element where they are (lossless)', async () => {
    const parsed = await parse(count('payload'));
    expect(parsed.payload[0]?.children[0]?.children.map((c) => c.name)).toEqual([
      'CallbackCount',
      'MaxCallbackThreshold',
    ]);
  });

  it('takes the first readable value and ignores what is not a count', async () => {
    const parsed = await parse(
      envelope(
        '<CallbackCount>two</CallbackCount><CallbackCount>2</CallbackCount><CallbackCount>5</CallbackCount><MaxCallbackThreshold>-1</MaxCallbackThreshold>',
      ),
    );
    expect([parsed.callbackCount, parsed.maxCallbackThreshold]).toEqual([2, undefined]);
  });
});

describe('SmsCallbackRequest (THINGSPACE.md §2)', () => {
  it('reads credentials, every Device and the SMS text as sent', async () => {
    const parsed = await parse(
      envelope(
        `${CREDENTIALS}<Device><Kind>esn</Kind><Identifier>60E5F99D</Identifier></Device>${DEVICE}<SmsMessage>  Door open &amp; 21 °C </SmsMessage>`,
        { root: 'SmsCallbackRequest' },
      ),
    );
    expect(parsed).toMatchObject({
      root: 'SmsCallbackRequest',
      username: 'bridge-user-09',
      password: 'Inv3nted-Secret-9',
      devices: [
        { kind: 'esn', identifier: '60E5F99D' },
        { kind: 'mdn', identifier: '5555550100' },
      ],
      smsMessage: '  Door open & 21 °C ',
      payload: [],
      extra: [],
    });
    expect(parsed.requestId).toBeUndefined();
  });

  it('keeps RequestId and Data, which it does not have, in extra', async () => {
    const parsed = await parse(
      envelope('<RequestId>r</RequestId><Data><Comment>c</Comment></Data>', { root: 'SmsCallbackRequest' }),
    );
    expect(parsed.requestId).toBeUndefined();
    expect(parsed.payload).toEqual([]);
    expect(parsed.extra.map((e) => e.name)).toEqual(['RequestId', 'Data']);
  });
});

describe('the envelope around the message', () => {
  it('ignores SOAP Header content, comments, processing instructions and other Envelope children', async () => {
    const xml = envelope(`<!-- c -->${CREDENTIALS}<?app hint?><Data><Comment>c</Comment></Data>`, {
      header:
        '<Security><UsernameToken><Username>h</Username></UsernameToken></Security><RequestId>hdr</RequestId>',
    }).replace('</s:Body>', '</s:Body><s:Trailer><Username>t</Username></s:Trailer>');
    const parsed = await parse(
      `<?xml version="1.0" encoding="UTF-8"?>\n<!-- before -->\n${xml}\n<!-- after -->\n`,
    );
    expect(parsed).toMatchObject({ username: 'bridge-user-09', requestId: undefined, extra: [] });
    expect(parsed.payload.map((p) => p.name)).toEqual(['Comment']);
  });

  it('accepts a UTF-8 byte order mark and CRLF line ends', async () => {
    const xml = envelope(`${CREDENTIALS}<Data>\r\n<Comment>a\r\nb</Comment>\r\n</Data>`);
    const parsed = await parseCallback(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml)]));
    // Text is normalized as XML says (§2.11); the source fragment stays exact.
    expect(parsed.payload[0]).toMatchObject({ text: 'a\nb', raw: '<Comment>a\r\nb</Comment>' });
  });
});

describe('input shapes and chunking', () => {
  const fixtures = soapFixtures();
  const sms = fixtures.get('sms-callback.xml') as Buffer;
  // CR LF and multi-byte characters exercise the places where a chunk boundary can fall inside one character.
  const crlf = Buffer.from(sms.toString('utf8').replace(/\n/g, '\r\n'));

  it.each([
    ['sms-callback.xml', sms],
    ['sms-callback.xml with CRLF', crlf],
  ])('%s gives the same result split at every byte boundary', async (_, bytes) => {
    const whole = plain(await parseCallback(bytes));
    for (let at = 1; at < bytes.length; at++) {
      const split = plain(await parseCallback(stream([bytes.subarray(0, at), bytes.subarray(at)])));
      if (JSON.stringify(split) !== JSON.stringify(whole))
        expect({ at, split }).toEqual({ at, split: whole });
    }
  });

  it.each([...fixtures])(
    '%s gives the same result as bytes, string, and a stream of single bytes',
    async (_, bytes) => {
      const whole = plain(await parseCallback(bytes));
      expect(plain(await parseCallback(bytes.toString('utf8')))).toEqual(whole);
      expect(plain(await parseCallback(stream(pieces(bytes, 1))))).toEqual(whole);
      expect(plain(await parseCallback(stream(pieces(bytes, 7))))).toEqual(whole);
    },
  );

  it('accepts empty chunks in a stream', async () => {
    const bytes = Buffer.from(envelope(CREDENTIALS));
    const parsed = await parseCallback(stream([new Uint8Array(0), bytes, new Uint8Array(0)]));
    expect(parsed.username).toBe('bridge-user-09');
  });
});

describe('redacted', () => {
  const PASSWORD = 'Inv3nted-Secret-9';

  it('is the message with Username and Password emptied', async () => {
    const xml = envelope(`${CREDENTIALS}<RequestId>r</RequestId>`);
    const parsed = await parseCallback(xml);
    expect(parsed.redacted).toBe(xml.replace(CREDENTIALS, '<Username/><Password/>'));
  });

  it.each([...soapFixtures()])(
    '%s: holds neither credential, and parses to the same message without them',
    async (_, bytes) => {
      const parsed = plain(await parseCallback(bytes));
      if (parsed.password) expect(parsed.redacted).not.toContain(parsed.password);
      if (parsed.username) expect(parsed.redacted).not.toContain(parsed.username);
      const again = plain(await parseCallback(parsed.redacted));
      expect(again).toEqual({ ...parsed, username: '', password: '' });
    },
  );

  it('drops the password from attributes, comments and children of the credential elements', async () => {
    const xml = envelope(
      `<Username hint="${PASSWORD}">u</Username><v:Password xmlns:v="urn:v2" v:echo="${PASSWORD}"><!-- ${PASSWORD} -->${PASSWORD}<Again>${PASSWORD}</Again><Password>${PASSWORD}</Password></v:Password>`,
    );
    const parsed = await parseCallback(xml);
    expect(parsed.password.reveal()).toBe(PASSWORD);
    expect(parsed.redacted).not.toContain(PASSWORD);
    expect(parsed.redacted).toContain('<Username/><v:Password/>');
  });

  it('drops credentials from a SOAP header (a UsernameToken) too', async () => {
    const xml = envelope('<Username>u</Username>', {
      header: `<Security><UsernameToken><Username>other</Username><Password>${PASSWORD}</Password></UsernameToken></Security>`,
    });
    const parsed = await parseCallback(xml);
    expect(parsed.password.reveal()).toBe('');
    expect(parsed.redacted).not.toContain(PASSWORD);
  });

  it('empties credentials anywhere, in the trees, their fragments and the redacted text alike', async () => {
    const xml = envelope(
      `${CREDENTIALS}<Data><Usage><a><b><ClientSecret x="1">${PASSWORD}<c>${PASSWORD}</c></ClientSecret></b></a>` +
        `<Leaf p:accessToken="${PASSWORD}" xmlns:p="urn:p" note="a &amp; &quot;b&quot;"/></Usage></Data>` +
        `<Unknown><API_KEY>${PASSWORD}</API_KEY></Unknown>`,
    );
    const parsed = await parseCallback(xml);
    expect(parsed.password.reveal()).toBe('Inv3nted-Secret-9');
    const [usage] = parsed.payload;
    expect(usage!.raw).toBe(
      '<Usage><a><b><ClientSecret/></b></a>' +
        '<Leaf p:accessToken="" xmlns:p="urn:p" note="a &amp; &quot;b&quot;"/></Usage>',
    );
    expect(usage!.children[0]!.children[0]!.children[0]).toEqual({
      name: 'ClientSecret',
      attributes: {},
      text: '',
      children: [],
    });
    expect({ ...usage!.children[1]!.attributes }).toEqual({ accessToken: '', note: 'a & "b"' });
    expect(parsed.extra[0]!.raw).toBe('<Unknown><API_KEY/></Unknown>');
    expect(parsed.redacted).not.toContain(PASSWORD);
    expect(parsed.redacted).toContain(usage!.raw);
  });

  it('keeps the source of self-closed and empty credentials equivalent', async () => {
    const parsed = await parseCallback(envelope('<Username></Username><Password/>'));
    expect(parsed.redacted).toContain('<Username/><Password/>');
  });

  it('is not shown by JSON, String or inspect of the result', async () => {
    const parsed = await parseCallback(envelope(CREDENTIALS));
    expect(JSON.stringify(parsed)).not.toContain(PASSWORD);
    expect(String(parsed.password)).not.toContain(PASSWORD);
  });
});

describe('errors never echo credentials', () => {
  const SECRET = 'Inv3nted-Never-Echoed';

  it.each([
    ['an unclosed Password', `<Password>${SECRET}`],
    ['a mismatched close tag', `<Password>${SECRET}</Passwort>`],
    ['an undefined entity', `<Password>${SECRET}&${SECRET};</Password>`],
    ['a text too long', `<Password>${SECRET.repeat(10)}</Password>`],
  ])('%s', async (_, content) => {
    const error = await parseCallback(envelope(content), { maxTextBytes: 100 }).catch((err: unknown) => err);
    expect(String((error as Error).message)).not.toContain(SECRET);
    expect(String((error as Error).message)).toMatch(/line \d+, column \d+/);
  });
});

describe('the source position in error messages', () => {
  it('names the line and column saxes stopped at', async () => {
    const error = await rejection(
      parseCallback(`<s:Envelope xmlns:s="urn:s">\n  <s:Body>\n    <CallbackRequest><Oops></s:Body>`),
      'MALFORMED_XML',
    );
    expect(error.position).toEqual({ line: 3, column: 36 });
    expect(error.message).toContain('line 3, column 36');
  });
});

describe('empty bodies', () => {
  it.each([
    ['nothing', ''],
    ['whitespace', ' \r\n\t '],
    ['a byte order mark', '\uFEFF'],
  ])('%s is EMPTY_BODY', async (_, body) => {
    await rejection(parseCallback(body), 'EMPTY_BODY');
    await rejection(parseCallback(Buffer.from(body)), 'EMPTY_BODY');
    await rejection(parseCallback(stream([body])), 'EMPTY_BODY');
  });

  it('a stream of no chunks is EMPTY_BODY', async () => {
    await rejection(parseCallback(stream([])), 'EMPTY_BODY');
  });
});

describe('the shape around the message', () => {
  it.each([
    [
      'an element that is not an Envelope',
      `<CallbackRequest xmlns="urn:v2">${CREDENTIALS}</CallbackRequest>`,
      'NOT_SOAP_ENVELOPE',
    ],
    ['an Envelope without Body', '<s:Envelope xmlns:s="urn:s"><s:Header/></s:Envelope>', 'NOT_SOAP_ENVELOPE'],
    ['an empty Body', '<s:Envelope xmlns:s="urn:s"><s:Body> </s:Body></s:Envelope>', 'UNKNOWN_ROOT'],
    ['another root', envelope(CREDENTIALS, { root: 'GetDeviceListRequest' }), 'UNKNOWN_ROOT'],
    ['two roots', envelope(CREDENTIALS).replace('</s:Body>', '<CallbackRequest/></s:Body>'), 'UNKNOWN_ROOT'],
    [
      'a root below a second Body',
      envelope(CREDENTIALS).replace('</s:Envelope>', `<s:Body><CallbackRequest/></s:Body></s:Envelope>`),
      'UNKNOWN_ROOT',
    ],
    ['a lone surrogate in a string', envelope('<Username>\uD800x</Username>'), 'INVALID_UTF8'],
    ['an entity not predefined', envelope('<Username>&nbsp;</Username>'), 'MALFORMED_XML'],
    ['a DOCTYPE inside the document', envelope('<Username><!DOCTYPE x></Username>'), 'DOCTYPE_FORBIDDEN'],
  ] as const)('%s is %s', async (_, xml, code) => {
    await rejection(parseCallback(xml), code);
  });
});
