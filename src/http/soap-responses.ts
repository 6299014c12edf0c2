/**
 * The bodies the bridge answers ThingSpace with: a SOAP 1.1 envelope for the acknowledgement and SOAP Faults for
 * failures. No acknowledgement body is documented for SOAP listeners (THINGSPACE.md §3: any 2xx acknowledges), so
 * the 200 carries an empty `CallbackResponse` in the v2 namespace: valid SOAP that any client can ignore.
 *
 * Status codes: SOAP 1.1 sends faults with HTTP 500, but the platform retries every non-2xx answer, so the
 * caller's mistakes get 4xx (see src/errors.ts) and only "try again later" gets 5xx.
 */
import {
  ANSWER_CODES,
  faultSpec,
  type AnswerCode,
  type BridgeError,
  type BridgeErrorCode,
  type FaultCode,
} from '../errors';
import { writeEnvelope, writeFault } from '../soap/envelope';

/** Built once: every acknowledgement is the same bytes. */
export const ACK_BODY: Buffer = Buffer.from(
  writeEnvelope('<CallbackResponse xmlns="http://nphase.com/unifiedwebservice/v2"/>'),
);

/** A SOAP Fault answer: the status and the body, ready to send. Headers are the error exit's (src/http/app.ts). */
export interface FaultResponse {
  readonly status: number;
  readonly body: Buffer;
}

/**
 * Which text a fault carries after its code (`faultstring` is `CODE: text`), decided per catalogue row:
 *
 * - A Client fault (4xx) whose row lets its message be shown (`expose`) carries the error's own message: it tells
 *   the sender what is wrong with its message (which limit, where, which service), and BridgeError messages never
 *   hold credentials. Built per answer; only refusals pay for it.
 * - Every other row, that is every Server fault (5xx) and any hidden message, carries the row's description. The
 *   caller can do nothing with our detail but retry, the detail (a broker, a path, a timeout) goes to the log,
 *   and the body is built once, below, so a 503 under load costs no string building and no Buffer.
 */
export function hasFixedText(code: AnswerCode): boolean {
  const spec = faultSpec(code);
  return spec.status >= 500 || !spec.expose;
}

function fixedFault(code: AnswerCode): FaultResponse {
  const { status, faultCode, description } = faultSpec(code);
  return Object.freeze({ status, body: faultBody(faultCode, code, description) });
}

/** The fault of every BridgeError code whose text does not vary per error, built at load. */
export const FIXED_FAULTS: Readonly<Partial<Record<BridgeErrorCode, FaultResponse>>> = Object.freeze(
  Object.fromEntries(
    ANSWER_CODES.filter((code) => code !== 'INTERNAL' && hasFixedText(code)).map((code) => [
      code,
      fixedFault(code),
    ]),
  ),
);

/** What any error we did not anticipate becomes: no detail leaves the process. */
export const INTERNAL_FAULT: FaultResponse = fixedFault('INTERNAL');

/** The fault for a BridgeError: the one built at load for its code, or one carrying its message. */
export function faultFor(error: BridgeError): FaultResponse {
  return (
    FIXED_FAULTS[error.code] ?? {
      status: error.status,
      body: faultBody(error.faultCode, error.code, error.message),
    }
  );
}

function faultBody(faultCode: FaultCode, code: string, text: string): Buffer {
  return Buffer.from(writeFault(faultCode, `${code}: ${text}`));
}
