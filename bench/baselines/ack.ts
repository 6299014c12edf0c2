/** The 200 body every benchmark target answers with: the bridge's own acknowledgement, so answers cost the same. */
export { ACK_BODY as ACK } from '../../src/http/soap-responses';
