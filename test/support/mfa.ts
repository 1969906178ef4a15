import assert from 'node:assert/strict';
import { generateTotpCode } from '../../plugins/totp/totp-code.js';
import { AcceptMfaDocument, EnableMfaDocument, LoginDocument, VerifyMfaDocument } from '../generated/graphql.js';
import { TEST_PASSWORD } from './accounts.js';
import type { TestApp } from './test-app.js';

export const TOTP_STEP_MS = 30_000;

/** The app's clock: real time plus an offset the test moves, to reach the next TOTP step or an expiry. */
export class TestClock {
  private offsetMs = 0;
  readonly now = (): Date => new Date(Date.now() + this.offsetMs);

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /** Moves to the next TOTP time step, so a fresh code exists. */
  nextStep(): void {
    this.advance(TOTP_STEP_MS);
  }
}

/** The code an authenticator app holding `secret` shows at the clock's time (± steps). */
export function totpCode(secret: string, clock: TestClock, steps = 0): string {
  return generateTotpCode({ secret, now: clock.now().getTime() + steps * TOTP_STEP_MS });
}

/** A well-formed six-digit code other than `code` (the codes of a delivered factor are one at a time, so any other is wrong). */
export function otherCode(code: string): string {
  return String((Number(code) + 500_000) % 1_000_000).padStart(6, '0');
}

/** A well-formed code the factor holding `secret` refuses now: none of the steps it accepts (T-1, T, T+1). */
export function wrongTotpCode(secret: string, clock: TestClock): string {
  const window = new Set([-1, 0, 1].map((steps) => totpCode(secret, clock, steps)));
  let code = totpCode(secret, clock);
  do code = otherCode(code);
  while (window.has(code));
  return code;
}

/** The TOTP secret of enableMfa's details; fails the test when they are another factor's. */
export function totpSecretOf(details: { __typename: string; secretKey?: string } | null | undefined): string {
  assert.equal(details?.__typename, 'TotpEnrollment');
  return details.secretKey!;
}

export interface EnrolledTotp {
  factorId: string;
  secret: string;
  scratchCodes: string[];
}

/** enableMfa → acceptMfa for the authenticator app, as a client does; moves the clock past the step it used. */
export async function enrollTotp(
  app: TestApp,
  token: string,
  clock: TestClock,
  input: { recreate?: boolean; description?: string } = {},
): Promise<EnrolledTotp> {
  const enabled = await app.graphql(EnableMfaDocument, {
    token,
    variables: { input: { factorType: 'totp', ...input } },
  });
  assert.equal(enabled.errors, undefined, JSON.stringify(enabled.errors));
  const secret = totpSecretOf(enabled.data!.enableMfa.details);
  const accepted = await app.graphql(AcceptMfaDocument, {
    token,
    variables: { input: { token: enabled.data!.enableMfa.token, code: totpCode(secret, clock) } },
  });
  assert.equal(accepted.errors, undefined, JSON.stringify(accepted.errors));
  clock.nextStep();
  return { factorId: accepted.data!.acceptMfa.id, secret, scratchCodes: enabled.data!.enableMfa.scratchCodes ?? [] };
}

/** Password sign-in for a user with MFA on: the mfaToken. */
export async function mfaToken(app: TestApp, username: string, password = TEST_PASSWORD): Promise<string> {
  const login = await app.graphql(LoginDocument, { variables: { input: { username, password } } });
  assert.equal(login.data?.login.mfaRequired, true, JSON.stringify(login));
  return login.data.login.mfaToken!;
}

/** A full sign-in with password and TOTP; moves the clock past the step it used. */
export async function signInWithTotp(
  app: TestApp,
  username: string,
  totp: EnrolledTotp,
  clock: TestClock,
): Promise<string> {
  const verified = await app.graphql(VerifyMfaDocument, {
    variables: {
      input: { mfaToken: await mfaToken(app, username), factorId: totp.factorId, code: totpCode(totp.secret, clock) },
    },
  });
  assert.equal(verified.errors, undefined, JSON.stringify(verified.errors));
  clock.nextStep();
  return verified.data!.verifyMfa.accessToken!;
}
