/** The whole-envelope reader and writer the registration API's messages go through (src/soap/envelope.ts). */
import {
  childText,
  faultOf,
  readEnvelope,
  textElement,
  writeEnvelope,
  writeFault,
} from '../../../src/soap/envelope';
import { ParseError } from '../../../src/message/errors';
import type { ParseErrorCode } from '../../../src/message/errors';
import type { XmlNode } from '../../../src/soap/types';

const S = 'http://schemas.xmlsoap.org/soap/envelope/';

/** An XmlNode as plain data for toEqual (attributes lose their null prototype). */
function plain(node: XmlNode): unknown {
  return {
    name: node.name,
    attributes: { ...node.attributes },
    text: node.text,
    children: node.children.map(plain),
  };
}

function codeOf(source: string | Uint8Array, limits?: Parameters<typeof readEnvelope>[1]): ParseErrorCode {
  try {
    readEnvelope(source, limits);
  } catch (err) {
    if (err instanceof ParseError) return err.code;
    throw err;
  }
  throw new Error('expected a ParseError');
}

describe('readEnvelope', () => {
  it('reads Header and Body children by local name, whatever the prefixes', () => {
    const envelope = readEnvelope(
      `<?xml version="1.0"?><soap:Envelope xmlns:soap="${S}" xmlns:v2="urn:v2" xmlns:a="urn:a">` +
        `<soap:Header><v2:token>t-1</v2:token></soap:Header>` +
        `<soap:Body><v2:LogInResponse><v2:Output><a:SessionToken> abc </a:SessionToken>` +
        `<a:Extra a:kind="x">one<![CDATA[ & two]]></a:Extra></v2:Output></v2:LogInResponse></soap:Body>` +
        `</soap:Envelope>`,
    );
    expect(envelope.header.map(plain)).toEqual([
      { name: 'token', attributes: {}, text: 't-1', children: [] },
    ]);
    expect(envelope.body.map(plain)).toEqual([
      {
        name: 'LogInResponse',
        attributes: {},
        text: '',
        children: [
          {
            name: 'Output',
            attributes: {},
            text: '',
            children: [
              { name: 'SessionToken', attributes: {}, text: ' abc ', children: [] },
              { name: 'Extra', attributes: { kind: 'x' }, text: 'one & two', children: [] },
            ],
          },
        ],
      },
    ]);
    expect(childText(envelope.body[0]!.children[0]!, 'SessionToken')).toBe('abc');
  });

  it('takes xsi:nil elements, and whatever they hold, as absent', () => {
    const { body } = readEnvelope(
      `<s:Envelope xmlns:s="${S}" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><s:Body>` +
        `<R><A i:nil="true"><B>x</B></A><C>kept</C></R></s:Body></s:Envelope>`,
    );
    expect(body[0]!.children.map((child) => child.name)).toEqual(['C']);
  });

  it('reads bytes as UTF-8 and an envelope without a Header', () => {
    const { header, body } = readEnvelope(
      Buffer.from(`<s:Envelope xmlns:s="${S}"><s:Body><Ä>é</Ä></s:Body></s:Envelope>`),
    );
    expect(header).toEqual([]);
    expect(body[0]).toMatchObject({ name: 'Ä', text: 'é' });
  });

  it.each<[string, string | Uint8Array, ParseErrorCode]>([
    ['an empty message', '  \n', 'EMPTY_BODY'],
    [
      'a DOCTYPE',
      `<!DOCTYPE x [<!ENTITY e "x">]><s:Envelope xmlns:s="${S}"><s:Body/></s:Envelope>`,
      'DOCTYPE_FORBIDDEN',
    ],
    ['another document element', '<html><body>502 Bad Gateway</body></html>', 'NOT_SOAP_ENVELOPE'],
    [
      'an envelope without a Body',
      `<s:Envelope xmlns:s="${S}"><s:Header/></s:Envelope>`,
      'NOT_SOAP_ENVELOPE',
    ],
    ['unclosed elements', `<s:Envelope xmlns:s="${S}"><s:Body><R>`, 'MALFORMED_XML'],
    ['text that is no XML', 'Service Unavailable', 'MALFORMED_XML'],
    ['bytes that are no UTF-8', Buffer.from([0x3c, 0xff, 0xfe]), 'INVALID_UTF8'],
  ])('refuses %s', (_what, source, code) => {
    expect(codeOf(source)).toBe(code);
  });

  it('bounds size, depth and element count', () => {
    const deep = `<s:Envelope xmlns:s="${S}"><s:Body>${'<a>'.repeat(10)}${'</a>'.repeat(10)}</s:Body></s:Envelope>`;
    const wide = `<s:Envelope xmlns:s="${S}"><s:Body>${'<a/>'.repeat(20)}</s:Body></s:Envelope>`;
    const limits = { maxBytes: 10_000, maxDepth: 8, maxElements: 15 };
    expect(codeOf(deep, limits)).toBe('TOO_DEEP');
    expect(codeOf(wide, limits)).toBe('TOO_MANY_ELEMENTS');
    expect(codeOf(wide, { ...limits, maxBytes: 50 })).toBe('BODY_TOO_LARGE');
  });
});

describe('faultOf', () => {
  it('gives code (without prefix), text and detail of a SOAP 1.1 Fault', () => {
    const envelope = readEnvelope(
      `<s:Envelope xmlns:s="${S}"><s:Body><s:Fault><faultcode>s:Client</faultcode>` +
        `<faultstring xml:lang="en-US">Invalid token</faultstring>` +
        `<detail><Error><Code>42</Code><Text>expired</Text></Error></detail></s:Fault></s:Body></s:Envelope>`,
    );
    expect(faultOf(envelope)).toEqual({
      faultCode: 'Client',
      faultString: 'Invalid token',
      detail: '42 expired',
    });
  });

  it('is undefined for a Body without a Fault', () => {
    expect(
      faultOf(readEnvelope(`<s:Envelope xmlns:s="${S}"><s:Body><R/></s:Body></s:Envelope>`)),
    ).toBeUndefined();
  });
});

describe('writers', () => {
  it('write what the reader reads back, escaped', () => {
    const xml = writeEnvelope(textElement('Value', `<&>"'`), '<token>t</token>');
    expect(xml).toBe(
      `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${S}"><s:Header><token>t</token></s:Header>` +
        `<s:Body><Value>&lt;&amp;&gt;&quot;&apos;</Value></s:Body></s:Envelope>`,
    );
    expect(readEnvelope(xml).body[0]!.text).toBe(`<&>"'`);
    expect(faultOf(readEnvelope(writeFault('Server', 'a < b')))).toEqual({
      faultCode: 'Server',
      faultString: 'a < b',
    });
  });
});
