import assert from 'node:assert/strict';
import { MeDocument, StepUpDocument } from '../generated/graphql.js';
import { logIn } from './accounts.js';
import { enrollTotp, totpCode, type EnrolledTotp, type TestClock } from './mfa.js';
import type { TestApp } from './test-app.js';

const ADMIN_USERNAME = 'root';
const ADMIN_PASSWORD = 'admin password 1';

/** Environment that makes the app create its admin at start (ADMIN_USERNAME / ADMIN_PASSWORD). */
export const ADMIN_ENV = { ADMIN_USERNAME, ADMIN_PASSWORD };

/** An admin who may change MFA policy: signed in, with an authenticator app. */
export interface MfaAdmin {
  id: string;
  token: string;
  totp: EnrolledTotp;
  /** A fresh second-factor proof for the admin's session (policy changes need one at most 5 minutes old). */
  stepUp(): Promise<void>;
}

/** Signs the bootstrap admin in and enrolls its authenticator app (accepting it is a fresh proof). */
export async function adminWithMfa(app: TestApp, clock: TestClock): Promise<MfaAdmin> {
  const token = await logIn(app, ADMIN_USERNAME, ADMIN_PASSWORD);
  const id = (await app.graphql(MeDocument, { token })).data!.me!.id;
  const totp = await enrollTotp(app, token, clock);
  return {
    id,
    token,
    totp,
    async stepUp() {
      const stepped = await app.graphql(StepUpDocument, {
        token,
        variables: { input: { code: totpCode(totp.secret, clock) } },
      });
      assert.equal(stepped.data?.stepUp, true, JSON.stringify(stepped.errors));
      clock.nextStep();
    },
  };
}
