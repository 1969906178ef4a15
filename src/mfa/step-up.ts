import { AppError, ErrorCode, stepUpRequired } from '../errors.js';
import type { SessionRecord } from '../sessions/session.model.js';

/**
 * How old a second-factor proof may be for sensitive changes, so a stolen session alone cannot make them
 * (OWASP Authentication Cheat Sheet: re-authenticate before sensitive features).
 */
export const STEP_UP_MAX_AGE_MS = 5 * 60_000;

/** Throws STEP_UP_REQUIRED unless this session passed a second factor in the last five minutes. */
export function assertRecentSecondFactor(session: SessionRecord, now: Date): void {
  if (!session.mfaVerifiedAt || now.getTime() - session.mfaVerifiedAt.getTime() > STEP_UP_MAX_AGE_MS)
    throw stepUpRequired();
}

/**
 * Throws STEP_UP_REQUIRED unless the password behind this session was proven in the last five minutes (when it, or
 * the enrollment session skipEnrollment traded for it, was opened): for a change a user with no factor to step up
 * with makes, which a stolen session must not make. Sessions keep their times on the wall clock, so this reads it too.
 */
export function assertRecentSignIn(session: SessionRecord): void {
  if (Date.now() - (session.signedInAt ?? session.createdAt).getTime() > STEP_UP_MAX_AGE_MS)
    throw new AppError(
      ErrorCode.STEP_UP_REQUIRED,
      'Sign in again first: a passkey signs in without your password, so adding one needs a sign-in from the last 5 minutes.',
    );
}
