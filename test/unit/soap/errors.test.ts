import { BridgeError } from '../../../src/errors';
import { PARSE_ERRORS, ParseError } from '../../../src/soap/errors';
import type { ParseErrorCode } from '../../../src/soap/errors';

// The codes are a public contract (dashboards and alerts key on them): changing one must fail here first.
const STATUSES: Record<ParseErrorCode, number> = {
  EMPTY_BODY: 400,
  BODY_TOO_LARGE: 413,
  INVALID_UTF8: 400,
  MALFORMED_XML: 400,
  DOCTYPE_FORBIDDEN: 400,
  TOO_DEEP: 400,
  TOO_MANY_ELEMENTS: 400,
  TEXT_TOO_LONG: 400,
  TOO_MANY_ATTRIBUTES: 400,
  NOT_SOAP_ENVELOPE: 400,
  UNKNOWN_ROOT: 400,
};

describe('ParseError', () => {
  it('has exactly the documented codes', () => {
    expect(Object.keys(PARSE_ERRORS).sort()).toEqual(Object.keys(STATUSES).sort());
  });

  it.each(Object.entries(STATUSES) as [ParseErrorCode, number][])(
    '%s: status %d, Client fault, shown, not retried',
    (code, status) => {
      const error = new ParseError(code, 'message');
      expect(error).toBeInstanceOf(BridgeError);
      expect(error).toMatchObject({
        code,
        status,
        faultCode: 'Client',
        expose: true,
        retriable: false,
        name: 'ParseError',
      });
      expect(PARSE_ERRORS[code].description).not.toBe('');
    },
  );

  it('puts the position into the message', () => {
    const error = new ParseError('MALFORMED_XML', 'malformed XML', { position: { line: 2, column: 7 } });
    expect(error.message).toBe('malformed XML (line 2, column 7)');
    expect(error.position).toEqual({ line: 2, column: 7 });
    expect(new ParseError('EMPTY_BODY', 'empty').position).toBeUndefined();
  });
});
