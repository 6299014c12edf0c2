/**
 * The bodies the bridge answers ThingSpace with: a SOAP 1.1 envelope for the acknowledgement and SOAP Faults for
 * failures. No acknowledgement body is documented for SOAP listeners (THINGSPACE.md §3: any 2xx acknowledges), so
 * the 200 carries an empty `CallbackResponse` in the v2 namespace: valid SOAP that any client can ignore.
 *
 * Status codes: SOAP 1.1 sends faults with HTTP 500, but the platform retries every non-2xx answer, so the
 * caller's mistakes get 4xx (see src/errors.ts) and only "try again later" gets 5xx.
 */
import type { BridgeError } from '../errors';
import { writeEnvelope, writeFault } from '../soap/envelope';

/** Built once: every acknowledgement is the same bytes. */
export const ACK_BODY: Buffer = Buffer.from(
  writeEnvelope('<CallbackResponse xmlns="http://nphase.com/unifiedwebservice/v2"/>'),
);

/** A SOAP Fault answer: the status and the body, ready to send. Headers are the error exit's (src/http/app.ts). */
export interface FaultResponse {
  status: number;
  body: Buffer;
}

/** What any error we did not anticipate becomes: no detail leaves the process. */
export const INTERNAL_FAULT: FaultResponse = Object.freeze({
  status: 500,
  body: faultBody('Server', 'INTERNAL', 'Internal error'),
});

/**
 * The fault for a BridgeError. `faultstring` carries the stable code and, where `expose` allows, the message
 * (BridgeError messages never hold credentials); a hidden message becomes a generic one.
 */
export function faultFor(error: BridgeError): FaultResponse {
  const message = error.expose ? error.message : 'The bridge cannot take this callback now';
  return { status: error.status, body: faultBody(error.faultCode, error.code, message) };
}

function faultBody(faultCode: 'Client' | 'Server', code: string, message: string): Buffer {
  return Buffer.from(writeFault(faultCode, `${code}: ${message}`));
}
