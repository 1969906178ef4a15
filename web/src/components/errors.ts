import { ApiError } from '../graphql/client';

/** What a person should read for an API error: by its code, never the raw message when a clearer one exists. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Try again.';
  switch (error.code) {
    case 'INVALID_CREDENTIALS':
      return 'The username or password is wrong.';
    case 'INVALID_CODE': {
      const left = error.attemptsRemaining;
      if (left === undefined) return 'That code is not right.';
      if (left === 0) return 'That code is not right, and no attempts are left for now.';
      return `That code is not right. ${left} ${left === 1 ? 'attempt' : 'attempts'} left.`;
    }
    case 'TOO_MANY_ATTEMPTS':
      return 'Too many attempts.';
    case 'TOKEN_EXPIRED':
      return 'This step took too long and expired. Start again.';
    case 'UNAUTHENTICATED':
      return 'You are not signed in, or your session ended. Sign in again.';
    case 'STEP_UP_REQUIRED':
      return 'Confirm it is you with a second factor first.';
    case 'STEP_UP_CANCELLED':
      return 'Nothing was changed: the second factor was not confirmed.';
    case 'ALREADY_ENABLED':
      return 'You already use this method.';
    case 'FACTOR_TYPE_NOT_ALLOWED':
      return 'This method is not allowed on this service.';
    case 'NOT_FOUND':
      return 'That no longer exists.';
    case 'SERVICE_UNAVAILABLE':
      return 'The service is unavailable for a moment. Try again shortly.';
    case 'PASSWORD_RESET_REQUIRED':
      return 'You must choose a new password before signing in. Use the reset link in your e-mail.';
    // The API's own words: written for people, they never quote a submitted value, and say what may not be done.
    case 'FORBIDDEN':
    case 'BAD_USER_INPUT':
    case 'NETWORK':
    case 'PASSKEY':
      return error.message;
    default:
      return 'Something went wrong. Try again.';
  }
}
