import { BridgeError } from '../errors';

/** Why a callback was refused: a metrics label, never shown to the caller. */
export const AUTH_FAILURE_REASONS = [
  'unknown-user',
  'bad-password',
  'service-not-allowed',
  'empty-credentials',
] as const;
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

/**
 * The credentials in the message don't admit it. Every reason gets the same message, so a caller learns neither
 * which half was wrong nor whether the username exists; the message never holds either.
 */
export class AuthError extends BridgeError {
  readonly reason: AuthFailureReason;

  constructor(reason: AuthFailureReason) {
    super('AUTH_FAILED', 'authentication failed');
    this.reason = reason;
  }
}
