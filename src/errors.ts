/**
 * The one error family of the API. Each code is what clients see in
 * `extensions.code`; anything thrown that is not an AppError is masked by
 * `formatError` as INTERNAL_SERVER_ERROR.
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  INVALID_CODE: 'INVALID_CODE',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  TOO_MANY_ATTEMPTS: 'TOO_MANY_ATTEMPTS',
  STEP_UP_REQUIRED: 'STEP_UP_REQUIRED',
  ALREADY_ENABLED: 'ALREADY_ENABLED',
  FACTOR_TYPE_NOT_ALLOWED: 'FACTOR_TYPE_NOT_ALLOWED',
  NOT_FOUND: 'NOT_FOUND',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** The password was right, but an admin demanded a new one (requireUserPasswordReset): only a reset signs in. */
  PASSWORD_RESET_REQUIRED: 'PASSWORD_RESET_REQUIRED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra `extensions` a client may act on; never secrets. */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const unauthenticated = (message = 'Sign in first.') => new AppError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message = 'You may not do this.') => new AppError(ErrorCode.FORBIDDEN, message);
export const notFound = (what: string) => new AppError(ErrorCode.NOT_FOUND, `${what} not found.`);
export const badInput = (field: string, message: string) => new AppError(ErrorCode.BAD_USER_INPUT, message, { field });
export const invalidCredentials = () => new AppError(ErrorCode.INVALID_CREDENTIALS, 'Invalid username or password.');
export const serviceUnavailable = (message: string) => new AppError(ErrorCode.SERVICE_UNAVAILABLE, message);
/**
 * A refused code. `attemptsRemaining`: the wrong codes still allowed before the
 * lockout (or, at acceptMfa, before the enrollment token dies), never more than
 * there are. `message` may say what to do next, e.g. wait for the next code.
 */
export const invalidCode = (attemptsRemaining: number, message = 'The code is wrong, expired or already used.') =>
  new AppError(ErrorCode.INVALID_CODE, message, { attemptsRemaining });
export const tokenExpired = (what: string) =>
  new AppError(ErrorCode.TOKEN_EXPIRED, `The ${what} has expired or was already used. Start again.`);
export const stepUpRequired = () =>
  new AppError(
    ErrorCode.STEP_UP_REQUIRED,
    'Confirm with a second factor first (stepUp): this needs a proof at most 5 minutes old.',
  );
export const tooManyAttempts = (retryAfterSeconds: number) =>
  new AppError(ErrorCode.TOO_MANY_ATTEMPTS, `Too many attempts. Try again in ${retryAfterSeconds} s.`, {
    retryAfterSeconds,
  });
