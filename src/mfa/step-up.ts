import { stepUpRequired } from '../errors.js';
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
