/**
 * Why a dedupe session failed, as one of a few stable codes (a metric label, a /readyz reason): never the
 * error's text, which carries broker addresses and ids without bound.
 */
import { clientErrorCodes, errorCodes } from '../kafka/platformatic-producer';

export const ABORT_REASONS = ['kafka-unavailable', 'rebalance', 'fenced', 'kafka-error', 'internal'] as const;
export type AbortReason = (typeof ABORT_REASONS)[number];

/** The group moved on: the member's generation is old, its offsets cannot commit. */
const REBALANCE = new Set(['ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'UNKNOWN_MEMBER_ID']);
/** Another producer took the transactional id (a second process with the same instance id). */
const FENCED = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH']);
/** The client could not reach a broker, or got no answer in time. */
const UNREACHABLE = new Set(['PLT_KFK_NETWORK', 'PLT_KFK_TIMEOUT']);

export function abortReason(error: unknown): AbortReason {
  const kafka = errorCodes(error);
  if (kafka.some((code) => FENCED.has(code))) return 'fenced';
  if (kafka.some((code) => REBALANCE.has(code))) return 'rebalance';
  if (kafka.length > 0) return 'kafka-error';
  if (clientErrorCodes(error).some((code) => UNREACHABLE.has(code))) return 'kafka-unavailable';
  return 'internal';
}
