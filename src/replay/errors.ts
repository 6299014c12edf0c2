import { CodedError, type ErrorCodeIn } from '../errors';

export type ReplayErrorCode = Extract<ErrorCodeIn<'cli'>, `REPLAY_${string}`>;

/** What stops a replay, with its catalogue code (src/errors.ts); the command prints it and exits 1. */
export class ReplayError extends CodedError<ReplayErrorCode> {}
