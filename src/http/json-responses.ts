/**
 * The bodies the bridge answers a JSON (REST) caller with: `{"status":"ok"}` for the acknowledgement (any 2xx
 * acknowledges, THINGSPACE.md §6; no body is documented, so ours is small and fixed) and `{"code","message"}`
 * for failures: the catalogue's code and the text answers.ts decides, with the same statuses and headers as the
 * SOAP Faults. Nothing else: the platform reads only the status.
 */
import { answersIn, type Answers } from './answers';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export const JSON_ANSWERS: Answers = answersIn({
  contentType: JSON_CONTENT_TYPE,
  ack: Buffer.from('{"status":"ok"}'),
  // The output itself, so JSON.stringify is the writer; it escapes whatever a message holds.
  errorBody: (_faultCode, code, text) => Buffer.from(JSON.stringify({ code, message: text })),
});
