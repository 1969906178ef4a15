import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ServiceInfoDocument, SetMfaPolicyDocument } from '../generated/graphql.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import { TestClock } from '../support/mfa.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// serviceInfo: what a sign-in page may offer before anyone signs in. Anonymous, the same for every caller, and
// true to what the mutations it advertises then do.

describe('serviceInfo', () => {
  describe('on a service with sign-up open and the default policy', () => {
    const clock = new TestClock();
    let app: TestApp;
    let admin: MfaAdmin;
    before(async () => {
      app = await startTestApp({ ...ADMIN_ENV, MFA_ISSUER: 'Example Corp' }, { clock: clock.now });
      admin = await adminWithMfa(app, clock);
    });
    after(() => app.stop());

    it('answers anyone, with no credential, the issuer, sign-up and passkey sign-in', async () => {
      const info = await app.graphql(ServiceInfoDocument);
      assert.deepEqual(info.errors, undefined);
      assert.deepEqual(info.data?.serviceInfo, { issuer: 'Example Corp', signUp: true, passkeySignIn: true });
    });

    it('follows the policy: passkey sign-in turned off, or passkeys not allowed, is not offered', async () => {
      await admin.stepUp();
      const off = await app.graphql(SetMfaPolicyDocument, {
        token: admin.token,
        variables: { input: { passkeySignIn: false } },
      });
      assert.deepEqual(off.errors, undefined);
      assert.equal((await app.graphql(ServiceInfoDocument)).data?.serviceInfo.passkeySignIn, false);

      await app.graphql(SetMfaPolicyDocument, { token: admin.token, variables: { input: { passkeySignIn: true } } });
      assert.equal((await app.graphql(ServiceInfoDocument)).data?.serviceInfo.passkeySignIn, true);

      const noPasskeys = await app.graphql(SetMfaPolicyDocument, {
        token: admin.token,
        variables: { input: { allowedFactorTypes: ['totp', 'email'] } },
      });
      assert.deepEqual(noPasskeys.errors, undefined);
      assert.equal((await app.graphql(ServiceInfoDocument)).data?.serviceInfo.passkeySignIn, false);
    });
  });

  describe('on a service with sign-up closed', () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ ALLOW_SIGNUP: 'false' });
    });
    after(() => app.stop());

    it('says so, and the default issuer', async () => {
      const info = await app.graphql(ServiceInfoDocument);
      assert.equal(info.data?.serviceInfo.signUp, false);
      assert.equal(info.data?.serviceInfo.issuer, 'mfa-graphql');
    });
  });
});
