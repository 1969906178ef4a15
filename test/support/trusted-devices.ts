import assert from 'node:assert/strict';
import { LoginDocument, RememberDeviceDocument, SetMfaPolicyDocument } from '../generated/graphql.js';
import { TEST_PASSWORD } from './accounts.js';
import type { MfaAdmin } from './admin.js';
import type { MfaUser } from './attacker.js';
import { mfaToken, totpCode, type TestClock } from './mfa.js';
import type { TestApp } from './test-app.js';

/** The admin sets the sign-in policy (with a fresh proof); fails the test when refused. */
export async function setPolicy(
  app: TestApp,
  admin: MfaAdmin,
  input: { trustedDeviceDays?: number; passkeySignIn?: boolean; enrollmentGraceDays?: number },
): Promise<void> {
  await admin.stepUp();
  const set = await app.graphql(SetMfaPolicyDocument, { token: admin.token, variables: { input } });
  assert.equal(set.errors, undefined, JSON.stringify(set.errors));
}

/** Password and TOTP with rememberDevice: the session and the device token (null when none was issued). */
export async function rememberedSignIn(
  app: TestApp,
  user: Pick<MfaUser, 'username' | 'totp'>,
  clock: TestClock,
  password = TEST_PASSWORD,
): Promise<{ accessToken: string; deviceToken: string | null | undefined }> {
  const verified = await app.graphql(RememberDeviceDocument, {
    variables: {
      input: {
        mfaToken: await mfaToken(app, user.username, password),
        factorId: user.totp.factorId,
        code: totpCode(user.totp.secret, clock),
        rememberDevice: true,
      },
    },
  });
  assert.equal(verified.errors, undefined, JSON.stringify(verified.errors));
  clock.nextStep();
  return { accessToken: verified.data!.verifyMfa.accessToken!, deviceToken: verified.data!.verifyMfa.deviceToken };
}

/** login with a device token, as a remembered browser does. */
export function loginWithDevice(app: TestApp, username: string, deviceToken: string, password = TEST_PASSWORD) {
  return app.graphql(LoginDocument, { variables: { input: { username, password, deviceToken } } });
}
