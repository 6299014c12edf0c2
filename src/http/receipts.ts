/**
 * Receipts: every 2xx to a callback says where it went, so that the caller (and whoever reads the access log) can
 * prove it. `X-Event-Id` is the event's id (a re-sent callback gets the same one); `X-Receipt` says where the
 * record is held, as a token and parameters in the style of HTTP's structured fields:
 *
 *   kafka; topic=thingspace.async-responses; partition=3; offset=1042
 *   spool; topic=thingspace.async-responses; segment=00000000000000000000.seg; position=65536
 *
 * A spooled record gets its Kafka offset only when the replay writes it; the spool position finds it meanwhile.
 */
import type { Receipt } from '../kafka/delivery';

export const EVENT_ID_HEADER = 'X-Event-Id';
export const RECEIPT_HEADER = 'X-Receipt';

export function receiptHeader(receipt: Receipt): string {
  return receipt.held === 'kafka'
    ? `kafka; topic=${receipt.topic}; partition=${receipt.partition}; offset=${receipt.offset}`
    : `spool; topic=${receipt.topic}; segment=${receipt.segment}; position=${receipt.position}`;
}
