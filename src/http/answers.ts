/**
 * What the bridge answers a caller, in one wire format (soap-responses.ts, json-responses.ts): the
 * acknowledgement, and an error answer per BridgeError with the status of its catalogue row. The error exit
 * (app.ts) picks the format and adds the headers the row names.
 *
 * Which text an error answer carries after its code is decided per catalogue row, the same in every format:
 *
 * - A Client error (4xx) whose row lets its message be shown (`expose`) carries the error's own message: it tells
 *   the sender what is wrong with its message (which limit, where, which service), and BridgeError messages never
 *   hold credentials. Built per answer; only refusals pay for it.
 * - Every other row, that is every Server error (5xx) and any hidden message, carries the row's description. The
 *   caller can do nothing with our detail but retry, the detail (a broker, a path, a timeout) goes to the log,
 *   and the body is built once, at load, so a 503 under load costs no string building and no Buffer.
 */
import {
  ANSWER_CODES,
  faultSpec,
  hasFixedText,
  type AnswerCode,
  type BridgeError,
  type BridgeErrorCode,
  type FaultCode,
} from '../errors';

/** An error answer: the status and the body, ready to send. */
export interface ErrorAnswer {
  readonly status: number;
  readonly body: Buffer;
}

/** How one wire format writes its answers. */
export interface AnswerFormat {
  /** The Content-Type of every answer in this format. */
  contentType: string;
  /** The 200 body. */
  ack: Buffer;
  /** An error's body: its SOAP fault code (for formats that have one), its catalogue code, the text shown. */
  errorBody(faultCode: FaultCode, code: AnswerCode, text: string): Buffer;
}

/** A format's answers, the fixed ones built at load. */
export interface Answers {
  readonly contentType: string;
  readonly ack: Buffer;
  /** The answer of every BridgeError code whose text does not vary per error. */
  readonly fixed: Readonly<Partial<Record<BridgeErrorCode, ErrorAnswer>>>;
  /** What any error we did not anticipate becomes: no detail leaves the process. */
  readonly internal: ErrorAnswer;
  /** The answer built at load for the error's code, or one carrying its message. */
  readonly errorFor: (error: BridgeError) => ErrorAnswer;
}

export function answersIn(format: AnswerFormat): Answers {
  const fixedAnswer = (code: AnswerCode): ErrorAnswer => {
    const { status, faultCode, description } = faultSpec(code);
    return Object.freeze({ status, body: format.errorBody(faultCode, code, description) });
  };
  const fixed: Partial<Record<BridgeErrorCode, ErrorAnswer>> = Object.freeze(
    Object.fromEntries(
      ANSWER_CODES.filter((code) => code !== 'INTERNAL' && hasFixedText(code)).map((code) => [
        code,
        fixedAnswer(code),
      ]),
    ),
  );
  return Object.freeze({
    contentType: format.contentType,
    ack: format.ack,
    fixed,
    internal: fixedAnswer('INTERNAL'),
    errorFor: (error: BridgeError) =>
      fixed[error.code] ?? {
        status: error.status,
        body: format.errorBody(error.faultCode, error.code, error.message),
      },
  });
}
