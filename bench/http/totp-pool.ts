import { generateTotpCode } from '../../plugins/totp/totp-code.js';
import { TOTP_PERIOD_SECONDS } from '../../plugins/totp/totp.constants.js';
import { MAX_CONSECUTIVE_FAILURES } from '../../src/mfa/second-factor-attempts.js';

const STEP_MS = TOTP_PERIOD_SECONDS * 1000;

export interface TotpUser {
  username: string;
  factorId: string;
  secret: string;
  /** The newest step the server has accepted (or will, for a request in flight) for this factor. */
  lastUsedStep: number;
  /** An unspent mfaToken from issueMfaTokens. */
  mfaToken?: string;
  /** Wrong codes sent with the current mfaToken. */
  wrongCodes: number;
}

/** Wrong codes per user before the one that would lock it out (NIST 800-63B §5.2.2 limit, enforced by the server). */
export const WRONG_CODES_PER_USER = MAX_CONSECUTIVE_FAILURES - 1;

export const currentTotpStep = (): number => Math.floor(Date.now() / STEP_MS);
export const codeForStep = (secret: string, step: number): string => generateTotpCode({ secret, now: step * STEP_MS });

/** A six-digit code that matches none of the steps the server tries (T-1, T, T+1): certainly wrong, same shape. */
export function wrongCode(secret: string, step: number): string {
  const valid = new Set([step - 1, step, step + 1].map((s) => codeForStep(secret, s)));
  for (let n = Number(codeForStep(secret, step)) + 1; ; n++) {
    const candidate = String(n % 1_000_000).padStart(6, '0');
    if (!valid.has(candidate)) return candidate;
  }
}

/**
 * Hands out TOTP users so each (user, time step) is used once, as the server's
 * replay protection demands (RFC 6238 §5.2), and no user reaches the lockout.
 * When none qualifies it still returns one — the request then fails and the
 * miss is counted — so the run reports it instead of stalling.
 */
export class TotpPool {
  private cursor = 0;
  private misses = 0;

  constructor(readonly users: TotpUser[]) {}

  get exhausted(): number {
    return this.misses;
  }

  /** A user whose last used step is older than the current one, marked used at that step; with `spendMfaToken`, one holding a token, which it hands over. */
  takeForCode(options: { spendMfaToken: boolean }): { user: TotpUser; step: number; mfaToken?: string } {
    const step = currentTotpStep();
    const user = this.next(
      (candidate) => candidate.lastUsedStep < step && (!options.spendMfaToken || candidate.mfaToken !== undefined),
    );
    user.lastUsedStep = step;
    const mfaToken = options.spendMfaToken ? user.mfaToken : undefined;
    if (options.spendMfaToken) user.mfaToken = undefined;
    return { user, step, mfaToken };
  }

  /** A user with an mfaToken and wrong codes to spare before the lockout. */
  takeForWrongCode(): TotpUser {
    const user = this.next(
      (candidate) => candidate.mfaToken !== undefined && candidate.wrongCodes < WRONG_CODES_PER_USER,
    );
    user.wrongCodes++;
    return user;
  }

  /** Users holding an unspent mfaToken. */
  withMfaToken(): number {
    return this.users.filter((user) => user.mfaToken !== undefined).length;
  }

  /** Milliseconds until the step is past every user's last used one, so that all of them can take a code. */
  msUntilAllEligible(): number {
    const newest = Math.max(...this.users.map((user) => user.lastUsedStep));
    return Math.max(0, (newest + 1) * STEP_MS - Date.now() + 50);
  }

  private next(fits: (user: TotpUser) => boolean): TotpUser {
    for (let scanned = 0; scanned < this.users.length; scanned++) {
      const user = this.users[this.cursor];
      this.cursor = (this.cursor + 1) % this.users.length;
      if (fits(user)) return user;
    }
    this.misses++;
    return this.users[(this.cursor = (this.cursor + 1) % this.users.length)];
  }
}
