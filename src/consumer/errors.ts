import { CodedError, type ErrorCodeIn } from '../errors';

export type ConsumerErrorCode = ErrorCodeIn<'consumer'>;

/**
 * Why a record could not be decoded, with its catalogue code (src/errors.ts, scope `consumer`). `retriable`
 * says whether the same record can decode later (the registry was unreachable); otherwise the record, or the
 * consumer's configuration, is at fault. Messages name the registry by its URL without credentials.
 */
export class ConsumerError extends CodedError<ConsumerErrorCode> {}
