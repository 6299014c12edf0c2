import { SaxesParser } from 'saxes';
import { BridgeError, type FaultCode } from '../../../src/errors';
import { ACK_BODY, INTERNAL_FAULT, faultFor } from '../../../src/http/soap-responses';

class SampleError extends BridgeError {
  readonly code = 'SAMPLE';
  readonly status = 418;
  readonly faultCode: FaultCode = 'Client';
  constructor(
    message: string,
    override readonly expose: boolean,
  ) {
    super(message);
  }
}

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
    const fault = faultFor(new SampleError('bad <Kind> & "quotes"', true));
    expect(fault.status).toBe(418);
    const { names, text } = read(fault.body);
    expect(names).toEqual([
      `${SOAP}|Envelope`,
      `${SOAP}|Body`,
      `${SOAP}|Fault`,
      '|faultcode',
      '|faultstring',
    ]);
    expect(text).toBe('s:ClientSAMPLE: bad <Kind> & "quotes"');
  });

  it('hides messages that may not be shown, and carries Retry-After when given', () => {
    const fault = faultFor(new SampleError('broker 10.1.2.3 refused', false), 7);
    expect(fault.body.toString()).not.toContain('10.1.2.3');
    expect(read(fault.body).text).toContain('SAMPLE: The bridge cannot take this callback now');
    expect(fault.retryAfterSeconds).toBe(7);
  });

  it('answers unknown errors with a fixed 500 Server fault', () => {
    expect(INTERNAL_FAULT.status).toBe(500);
    expect(read(INTERNAL_FAULT.body).text).toBe('s:ServerINTERNAL: Internal error');
  });
});
