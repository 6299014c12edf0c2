import { SaxesParser } from 'saxes';
import { ANSWER_CODES, ERRORS, faultSpec, hasFixedText } from '../../../src/errors';
import { NotReadyError, UnsupportedMediaTypeError } from '../../../src/http/errors';
import { ACK_BODY, SOAP_ANSWERS } from '../../../src/http/soap-responses';
import { MissingTopicsError, QueueFullError } from '../../../src/kafka/errors';
import { SpoolFullError } from '../../../src/kafka/spool/errors';
import { ParseError } from '../../../src/message/errors';

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
const faultFor = SOAP_ANSWERS.errorFor;
const { fixed: FIXED_FAULTS, internal: INTERNAL_FAULT } = SOAP_ANSWERS;

describe('SOAP responses', () => {
  it('acknowledges with a well-formed SOAP 1.1 envelope, as text/xml', () => {
    expect(SOAP_ANSWERS.contentType).toBe('text/xml; charset=utf-8');
    expect(SOAP_ANSWERS.ack).toBe(ACK_BODY);
    expect(read(ACK_BODY).names).toEqual([
      `${SOAP}|Envelope`,
      `${SOAP}|Body`,
      'http://nphase.com/unifiedwebservice/v2|CallbackResponse',
    ]);
  });

  it("answers a Client fault with the status, the fault code and the error's own message, escaped", () => {
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

  it('answers every Server fault with its fixed description; the message stays in the process', () => {
    expect(read(faultFor(new NotReadyError('draining')).body).text).toBe(
      `s:ServerNOT_READY: ${ERRORS.NOT_READY.description}`,
    );
    const hidden = faultFor(new MissingTopicsError(['orders'], 'broker 10.1.2.3 refused'));
    expect(hidden.status).toBe(503);
    expect(hidden.body.toString()).not.toContain('10.1.2.3');
    expect(read(hidden.body).text).toBe(`s:ServerTOPICS_MISSING: ${ERRORS.TOPICS_MISSING.description}`);
  });

  it('builds the fixed faults once: every 5xx answer of a code is the same Buffer', () => {
    expect(ANSWER_CODES.filter((code) => faultSpec(code).status >= 500).every(hasFixedText)).toBe(true);
    const first = faultFor(new QueueFullError(1));
    const again = faultFor(new QueueFullError(30));
    expect(again).toBe(first);
    expect(again.body).toBe(first.body);
    expect(faultFor(new SpoolFullError(1)).body).toBe(FIXED_FAULTS.SPOOL_FULL!.body);
    expect(faultFor(new NotReadyError('starting')).body).toBe(faultFor(new NotReadyError('draining')).body);
    // Client faults carry their message, so each is built for its answer.
    expect(faultFor(new UnsupportedMediaTypeError()).body).not.toBe(
      faultFor(new UnsupportedMediaTypeError()).body,
    );
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('answers unknown errors with a fixed 500 Server fault', () => {
    expect(INTERNAL_FAULT.status).toBe(500);
    expect(read(INTERNAL_FAULT.body).text).toBe(`s:ServerINTERNAL: ${ERRORS.INTERNAL.description}`);
  });
});
