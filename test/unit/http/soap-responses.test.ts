import { SaxesParser } from 'saxes';
import { ACK_BODY, INTERNAL_FAULT, faultFor } from '../../../src/http/soap-responses';
import { MissingTopicsError } from '../../../src/kafka/errors';
import { ParseError } from '../../../src/soap/errors';

/** Element names and text of a well-formed document; throws on malformed XML. */
function read(body: Buffer): { names: string[]; text: string } {
  const names: string[] = [];
  let text = '';
  const sax = new SaxesParser({ xmlns: true });
  sax.on('opentag', (t) => names.push(`${t.uri}|${t.local}`));
  sax.on('text', (t) => (text += t));
  sax.write(body.toString('utf8')).close();
  return { names, text };
}

const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';

describe('SOAP responses', () => {
  it('acknowledges with a well-formed SOAP 1.1 envelope', () => {
    expect(read(ACK_BODY).names).toEqual([
      `${SOAP}|Envelope`,
      `${SOAP}|Body`,
      'http://nphase.com/unifiedwebservice/v2|CallbackResponse',
    ]);
  });

  it('builds a fault with the status, fault code and the code-prefixed message, escaped', () => {
    const fault = faultFor(new ParseError('MALFORMED_XML', 'bad <Kind> & "quotes"'));
    expect(fault.status).toBe(400);
    const { names, text } = read(fault.body);
    expect(names).toEqual([
      `${SOAP}|Envelope`,
      `${SOAP}|Body`,
      `${SOAP}|Fault`,
      '|faultcode',
      '|faultstring',
    ]);
    expect(text).toBe('s:ClientMALFORMED_XML: bad <Kind> & "quotes"');
  });

  it('hides messages that may not be shown', () => {
    const fault = faultFor(new MissingTopicsError(['orders'], 'broker 10.1.2.3 refused'));
    expect(fault.body.toString()).not.toContain('10.1.2.3');
    expect(read(fault.body).text).toContain('TOPICS_MISSING: The bridge cannot take this callback now');
  });

  it('answers unknown errors with a fixed 500 Server fault', () => {
    expect(INTERNAL_FAULT.status).toBe(500);
    expect(read(INTERNAL_FAULT.body).text).toBe('s:ServerINTERNAL: Internal error');
  });
});
