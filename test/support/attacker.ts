import { Types } from 'mongoose';
import { signUpAndLogIn } from './accounts.js';
import { TOTP_STEP_MS, enrollTotp, mfaToken, type EnrolledTotp, type TestClock } from './mfa.js';
import type { UserRecord } from '../../src/accounts/user.model.js';
import type { FactorRecord } from '../../src/mfa/factor.model.js';
import type { GraphQLResponse, TestApp } from './test-app.js';

/** A user with an ACTIVE authenticator-app factor and a full session whose proof is fresh (acceptMfa counts as one). */
export interface MfaUser {
  id: string;
  username: string;
  token: string;
  totp: EnrolledTotp;
}

export async function userWithTotp(app: TestApp, clock: TestClock, username: string): Promise<MfaUser> {
  const { id, token } = await signUpAndLogIn(app, username);
  return { id, username, token, totp: await enrollTotp(app, token, clock) };
}

/**
 * Moves the clock one second into a fresh TOTP step, so a test has ~29 s
 * before real time rolls the step over under it (codes at ±1 and ±2 steps
 * then mean exactly what the test says).
 */
export function alignToFreshStep(clock: TestClock): void {
  clock.advance(TOTP_STEP_MS - (clock.now().getTime() % TOTP_STEP_MS) + 1000);
}

/** `count` mfaTokens from as many password sign-ins, a few at a time (the password throttle allows 10 in flight per name and IP). */
export async function mfaTokens(app: TestApp, username: string, count: number): Promise<string[]> {
  const tokens: string[] = [];
  while (tokens.length < count) {
    tokens.push(
      ...(await Promise.all(Array.from({ length: Math.min(5, count - tokens.length) }, () => mfaToken(app, username)))),
    );
  }
  return tokens;
}

/** The stored user document, straight from the database. */
export async function storedUser(app: TestApp, id: string): Promise<UserRecord> {
  const user = await app.database.connection
    .db!.collection<UserRecord>('users')
    .findOne({ _id: new Types.ObjectId(id) });
  if (!user) throw new Error(`no user ${id}`);
  return user;
}

/** Second-factor attempts counted against the user's lockout right now. */
export async function failuresOf(app: TestApp, id: string): Promise<number> {
  return (await storedUser(app, id)).secondFactorFailures;
}

/** The user's stored factor documents (ACTIVE and PENDING). */
export function storedFactors(app: TestApp, id: string): Promise<FactorRecord[]> {
  return app.database.connection
    .db!.collection<FactorRecord>('factors')
    .find({ userId: new Types.ObjectId(id) })
    .toArray();
}

/** How many audit events of `type` the user has. */
export function auditCount(app: TestApp, id: string, type: string): Promise<number> {
  return app.database.connection.db!.collection('auditEvents').countDocuments({ userId: new Types.ObjectId(id), type });
}

/** The `extensions.code` of every error in a set of responses, tallied. */
export function tally(responses: Array<GraphQLResponse<unknown>>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const response of responses) {
    const key = response.errors ? (response.errors[0].extensions?.code ?? 'NO_CODE') : 'OK';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** `extensions.retryAfterSeconds` of a TOO_MANY_ATTEMPTS answer. */
export function retryAfter(response: GraphQLResponse<unknown>): unknown {
  return response.errors?.[0]?.extensions?.retryAfterSeconds;
}
