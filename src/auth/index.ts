export { createAuthenticator } from './authenticator';
export type { Authenticator, AuthResult, PathAccount } from './authenticator';
export { AUTH_FAILURE_REASONS, AuthError } from './errors';
export type { AuthFailureReason } from './errors';
