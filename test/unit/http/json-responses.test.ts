/** The answers a JSON caller gets: the same statuses and texts as the SOAP Faults, as `{"code","message"}`. */
import { ERRORS } from '../../../src/errors';
import { NotReadyError, UnsupportedMediaTypeError } from '../../../src/http/errors';
import { JSON_ANSWERS } from '../../../src/http/json-responses';
import { SOAP_ANSWERS } from '../../../src/http/soap-responses';
import { AuthError } from '../../../src/auth';
import { MissingTopicsError, QueueFullError } from '../../../src/kafka/errors';
import { ParseError } from '../../../src/message/errors';

const parsed = (body: Buffer): unknown => JSON.parse(body.toString('utf8'));

describe('JSON responses', () => {
  it('acknowledges with a small fixed JSON body, as application/json', () => {
    expect(JSON_ANSWERS.contentType).toBe('application/json; charset=utf-8');
    expect(parsed(JSON_ANSWERS.ack)).toEqual({ status: 'ok' });
  });

  it("answers a caller's mistake with its status, code and own message, escaped as JSON wants", () => {
    const answer = JSON_ANSWERS.errorFor(new ParseError('MALFORMED_JSON', 'bad "quote" \\ <x> at 1:7'));
    expect(answer.status).toBe(400);
    expect(parsed(answer.body)).toEqual({ code: 'MALFORMED_JSON', message: 'bad "quote" \\ <x> at 1:7' });
    expect(Object.keys(parsed(answer.body) as object)).toEqual(['code', 'message']);
  });

  it('carries the same text as the SOAP Fault of the same error', () => {
    for (const error of [
      new UnsupportedMediaTypeError(),
      new AuthError('bad-password'),
      new NotReadyError('draining'),
      new QueueFullError(3),
    ]) {
      const { message } = parsed(JSON_ANSWERS.errorFor(error).body) as { message: string };
      expect(SOAP_ANSWERS.errorFor(error).body.toString()).toContain(`${error.code}: ${message}`);
    }
  });

  it('answers Server errors with their fixed description, built once; the detail stays in the process', () => {
    const hidden = JSON_ANSWERS.errorFor(new MissingTopicsError(['orders'], 'broker 10.1.2.3 refused'));
    expect(hidden.status).toBe(503);
    expect(parsed(hidden.body)).toEqual({
      code: 'TOPICS_MISSING',
      message: ERRORS.TOPICS_MISSING.description,
    });
    expect(JSON_ANSWERS.errorFor(new QueueFullError(1))).toBe(JSON_ANSWERS.errorFor(new QueueFullError(9)));
    expect(JSON_ANSWERS.errorFor(new QueueFullError(1))).toBe(JSON_ANSWERS.fixed.QUEUE_FULL);
  });

  it('answers unknown errors with a fixed 500', () => {
    expect(JSON_ANSWERS.internal.status).toBe(500);
    expect(parsed(JSON_ANSWERS.internal.body)).toEqual({
      code: 'INTERNAL',
      message: ERRORS.INTERNAL.description,
    });
  });
});
