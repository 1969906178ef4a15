import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** The factor-type list and the policy clients read, asked of the MFA policy service itself. */
describe('MfaPolicyService: factorTypes and policy', () => {
  let app: TestApp;
  const settings = () => app.database.connection.db!.collection<{ _id: string }>('settings');
  const listed = async () =>
    (await app.services.mfaPolicy.factorTypes()).map(({ type, allowed }) => ({ type, allowed }));

  before(async () => {
    app = await startTestApp({ RECOVERY_CODE_COUNT: '7' });
  });
  after(() => app.stop());

  it('without a stored policy: every registered type, in registration order, named by its plugin, each allowed', async () => {
    assert.deepEqual(await app.services.mfaPolicy.factorTypes(), [
      { type: 'totp', displayName: 'Authentication app', assurance: 'possession', allowed: true },
      { type: 'email', displayName: 'One-time e-mail password', assurance: 'possession', allowed: true },
      { type: 'webauthn', displayName: 'Passkey', assurance: 'phishing-resistant', allowed: true },
    ]);
    assert.deepEqual(await app.services.mfaPolicy.policy(), {
      allowedFactorTypes: ['totp', 'email', 'webauthn'],
      recoveryCodeCount: 7,
      trustedDeviceDays: 0,
      passkeySignIn: true,
      enrollmentGraceDays: 0,
    });
  });

  it('a stored type no plugin registers any more is neither listed nor allowed; the order stays the registry’s', async () => {
    // As a deployment that dropped a plugin would have it: setAllowedFactorTypes refuses unknown types, so write it directly.
    await settings().updateOne(
      { _id: 'mfa' },
      { $set: { allowedFactorTypes: ['retired-token', 'email'] } },
      { upsert: true },
    );
    assert.deepEqual(await listed(), [
      { type: 'totp', allowed: false },
      { type: 'email', allowed: true },
      { type: 'webauthn', allowed: false },
    ]);
    assert.deepEqual(await app.services.mfaPolicy.policy(), {
      allowedFactorTypes: ['email'],
      recoveryCodeCount: 7,
      trustedDeviceDays: 0,
      passkeySignIn: true,
      enrollmentGraceDays: 0,
    });
  });
});
