/**
 * The bodies the bridge answers a SOAP caller with: a SOAP 1.1 envelope for the acknowledgement and SOAP Faults
 * (`faultstring` is `CODE: text`, the text as answers.ts decides) for failures. No acknowledgement body is
 * documented for SOAP listeners (THINGSPACE.md §3: any 2xx acknowledges), so the 200 carries an empty
 * `CallbackResponse` in the v2 namespace: valid SOAP that any client can ignore.
 *
 * Status codes: SOAP 1.1 sends faults with HTTP 500, but the platform retries every non-2xx answer, so the
 * caller's mistakes get 4xx (see src/errors.ts) and only "try again later" gets 5xx.
 */
import { SOAP_CONTENT_TYPE, writeEnvelope, writeFault } from '../soap/envelope';
import { answersIn, type Answers } from './answers';

/** Built once: every acknowledgement is the same bytes. */
export const ACK_BODY: Buffer = Buffer.from(
  writeEnvelope('<CallbackResponse xmlns="http://nphase.com/unifiedwebservice/v2"/>'),
);

export const SOAP_ANSWERS: Answers = answersIn({
  contentType: SOAP_CONTENT_TYPE,
  ack: ACK_BODY,
  errorBody: (faultCode, code, text) => Buffer.from(writeFault(faultCode, `${code}: ${text}`)),
});
