import type { AttemptPurpose } from '../../src/plugin-kit.js';

/**
 * What one ceremony keeps with its attempt (the core stores it, hands it back once, and deletes it with the success
 * that uses it). The ceremony and the purpose are written in it so that a challenge works only for what it was
 * made for: a registration challenge never signs in, a step-up assertion never signs in, and so on.
 */
export type CeremonyState =
  | { ceremony: 'registration'; challenge: string }
  | { ceremony: 'authentication'; challenge: string; purpose: AttemptPurpose };

/** The registration ceremony in `state`, or undefined when it is none (missing, an authentication, malformed). */
export function registrationState(state: Record<string, unknown> | undefined): { challenge: string } | undefined {
  if (state?.ceremony !== 'registration' || !isChallenge(state.challenge)) return undefined;
  return { challenge: state.challenge };
}

/** The authentication ceremony in `state` begun for `purpose`, or undefined when it is not that. */
export function authenticationState(
  state: Record<string, unknown> | undefined,
  purpose: AttemptPurpose,
): { challenge: string } | undefined {
  if (state?.ceremony !== 'authentication' || !isChallenge(state.challenge)) return undefined;
  if (state.purpose !== purpose) return undefined;
  return { challenge: state.challenge };
}

/** Our challenges are 32 random bytes, base64url (@simplewebauthn's generateChallenge). */
const isChallenge = (value: unknown): value is string => typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value);
