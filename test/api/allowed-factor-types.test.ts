import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AuditEventsDocument as AUDIT_EVENTS,
  CreateApiKeyDocument as CREATE_API_KEY,
  DisableMfaDocument as DISABLE_MFA,
  EnableEmailMfaDocument as ENABLE_EMAIL,
  EnableMfaDocument as ENABLE_MFA,
  FactorTypesDocument as FACTOR_TYPES,
  MfaPolicyDocument as MFA_POLICY,
  SetAllowedFactorTypesDocument as SET_ALLOWED,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { signUpAndLogIn } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import { enrollEmail, sendAndReadCode } from '../support/email.js';
import { TestClock, enrollTotp, mfaToken, signInWithTotp } from '../support/mfa.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

const RESEND_AFTER_MS = 31_000; // the e-mail factor's 30 s cooldown, and a second

// As in Catalogic vStor, admins choose the allowed methods. README: existing factors of a type
// that is then disallowed keep working (nobody is locked out, and nobody can
// enroll a replacement with only a password); admins remove them with disableMfa.
describe('setAllowedFactorTypes: what a disallowed type may still do', () => {
  const clock = new TestClock();
  let sink: SmtpSink;
  let app: TestApp;
  let admin: MfaAdmin;
  /** Has an ACTIVE e-mail factor from before the type was disallowed. */
  let pia: { id: string; token: string; emailFactorId: string };
  /** Has an authenticator app only. */
  let quin: { id: string; token: string };

  const setAllowed = (token: string, types: string[]) =>
    app.graphql(SET_ALLOWED, { token, variables: { input: { types } } });
  const factorTypes = async (token: string) =>
    (await app.graphql(FACTOR_TYPES, { token })).data?.factorTypes.map(({ type, allowed }) => [type, allowed]);
  const policyChanges = async () => {
    const events = (
      await app.graphql(AUDIT_EVENTS, { token: admin.token, variables: { first: 100 } })
    ).data!.auditEvents.edges.map((edge) => edge.node);
    return events
      .filter((event) => event.type === 'mfa.allowed_factor_types_changed')
      .map(({ actorId, details }) => ({ actorId, details }));
  };
  const enableEmail = (token: string, recreate = false) =>
    app.graphql(ENABLE_EMAIL, { token, variables: { input: { factorType: 'email', recreate } } });

  before(async () => {
    sink = await startSmtpSink();
    // The two code factors: the lists below are this deployment's, not the default one.
    app = await startTestApp({ FACTOR_PLUGINS: 'totp,email', ...ADMIN_ENV, SMTP_URL: sink.url }, { clock: clock.now });
    admin = await adminWithMfa(app, clock);
    const piaAccount = await signUpAndLogIn(app, 'pia');
    pia = {
      ...piaAccount,
      emailFactorId: (await enrollEmail(app, sink, piaAccount.token, 'pia@example.com')).factorId,
    };
    quin = await signUpAndLogIn(app, 'quin');
    const quinTotp = await enrollTotp(app, quin.token, clock);
    quin.token = await signInWithTotp(app, 'quin', quinTotp, clock); // a fresh proof: only the type can refuse what follows
  });
  after(async () => {
    await app?.stop();
    await sink?.stop();
  });

  it('refuses a non-admin, an API key and an empty list, and records none of them', async () => {
    assert.equal(
      errorCode(await setAllowed(quin.token, ['totp'])),
      'FORBIDDEN',
      'a user with fresh MFA who is no admin',
    );
    await admin.stepUp();
    const created = await app.graphql(CREATE_API_KEY, {
      token: admin.token,
      variables: { input: { name: 'policy script' } },
    });
    const apiKey = created.data?.createApiKey.secret ?? assert.fail(JSON.stringify(created.errors));
    assert.equal(errorCode(await setAllowed(apiKey, ['totp'])), 'FORBIDDEN', "an admin's API key");
    assert.equal(errorCode(await setAllowed(admin.token, [])), 'BAD_USER_INPUT');
    assert.deepEqual(
      (await app.graphql(MFA_POLICY, { token: quin.token })).data?.mfaPolicy.allowedFactorTypes,
      ['totp', 'email'],
      'nothing changed',
    );
    assert.deepEqual(await policyChanges(), []);
  });

  it("disallows e-mail: factorTypes says so, enrolling it is FACTOR_TYPE_NOT_ALLOWED, and the admin's change is audited", async () => {
    await admin.stepUp();
    assert.deepEqual((await setAllowed(admin.token, ['totp'])).data?.setAllowedFactorTypes.allowedFactorTypes, [
      'totp',
    ]);
    assert.deepEqual(await factorTypes(quin.token), [
      ['totp', true],
      ['email', false],
    ]);
    assert.deepEqual((await app.graphql(MFA_POLICY, { token: quin.token })).data?.mfaPolicy.allowedFactorTypes, [
      'totp',
    ]);
    assert.equal(
      errorCode(await enableEmail(quin.token)),
      'FACTOR_TYPE_NOT_ALLOWED',
      'a second factor, with a fresh proof',
    );
    const newcomer = await signUpAndLogIn(app, 'rex');
    assert.equal(errorCode(await enableEmail(newcomer.token)), 'FACTOR_TYPE_NOT_ALLOWED', 'a first factor');
    const totp = await app.graphql(ENABLE_MFA, { token: newcomer.token, variables: { input: { factorType: 'totp' } } });
    assert.equal(totp.data?.enableMfa.details?.__typename, 'TotpEnrollment', 'the allowed type still enrolls');
    assert.deepEqual(await policyChanges(), [{ actorId: admin.id, details: { allowedFactorTypes: ['totp'] } }]);
  });

  it('keeps an e-mail factor enrolled before working for sign-in, but refuses to recreate it', async () => {
    clock.advance(RESEND_AFTER_MS);
    const token = await mfaToken(app, 'pia');
    const code = await sendAndReadCode(app, sink, { mfaToken: token, factorId: pia.emailFactorId }, 'pia@example.com');
    const verified = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: token, factorId: pia.emailFactorId, code } },
    });
    pia.token = verified.data?.verifyMfa.accessToken ?? assert.fail(JSON.stringify(verified.errors));
    assert.equal(
      errorCode(await enableEmail(pia.token, true)),
      'FACTOR_TYPE_NOT_ALLOWED',
      'recreate, right after a sign-in with it',
    );
  });

  it('lets an admin remove such a factor with disableMfa({ userId, factorId })', async () => {
    const sol = await signUpAndLogIn(app, 'sol');
    await admin.stepUp();
    assert.deepEqual(
      (await setAllowed(admin.token, ['totp', 'email'])).data?.setAllowedFactorTypes.allowedFactorTypes,
      ['totp', 'email'],
    );
    const { factorId } = await enrollEmail(app, sink, sol.token, 'sol@example.com');
    assert.deepEqual((await setAllowed(admin.token, ['totp'])).data?.setAllowedFactorTypes.allowedFactorTypes, [
      'totp',
    ]);
    const removed = await app.graphql(DISABLE_MFA, {
      token: admin.token,
      variables: { input: { userId: sol.id, factorId } },
    });
    assert.deepEqual(
      [removed.data?.disableMfa.factors, removed.data?.disableMfa.mfaPolicyStatus],
      [[], 'DISABLED'],
      JSON.stringify(removed.errors),
    );
  });

  it('allowing e-mail again restores enrollment and recreate', async () => {
    await admin.stepUp();
    assert.deepEqual(
      (await setAllowed(admin.token, ['email', 'totp'])).data?.setAllowedFactorTypes.allowedFactorTypes,
      ['totp', 'email'],
      'in registration order',
    );
    assert.deepEqual(await factorTypes(quin.token), [
      ['totp', true],
      ['email', true],
    ]);
    const recreated = await enableEmail(pia.token, true);
    assert.deepEqual(
      [recreated.data?.enableMfa.factor.status, recreated.data?.enableMfa.details],
      ['PENDING', { __typename: 'EmailEnrollment', maskedEmail: 'p***a@example.com' }],
      JSON.stringify(recreated.errors),
    );
    const added = await enableEmail(quin.token);
    assert.equal(added.data?.enableMfa.factor.status, 'PENDING', JSON.stringify(added.errors));
    const changes = await policyChanges(); // newest first
    assert.deepEqual(
      changes.map(({ details }) => details),
      [['email', 'totp'], ['totp'], ['totp', 'email'], ['totp']].map((types) => ({ allowedFactorTypes: types })),
    );
    assert.deepEqual(new Set(changes.map(({ actorId }) => actorId)), new Set([admin.id]));
  });
});
