import { ParseError } from '../../../src/message/errors';

// Its codes, statuses and the rest of their rows: the catalogue, test/unit/errors.test.ts.
describe('ParseError', () => {
  it('puts the position into the message', () => {
    const error = new ParseError('MALFORMED_XML', 'malformed XML', { position: { line: 2, column: 7 } });
    expect(error.message).toBe('malformed XML (line 2, column 7)');
    expect(error.position).toEqual({ line: 2, column: 7 });
    expect(new ParseError('EMPTY_BODY', 'empty').position).toBeUndefined();
  });
});
