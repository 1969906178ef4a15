import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Types } from 'mongoose';
import {
  AcceptMfaDocument as ACCEPT_MFA,
  CreateApiKeyDocument as CREATE_API_KEY,
  DisableMfaDocument as DISABLE_MFA,
  EnableMfaDocument as ENABLE_MFA,
  LoginDocument as LOGIN,
  MeDocument as ME,
  SessionsDocument as SESSIONS,
  SetMfaPolicyStatusDocument as SET_MFA_POLICY_STATUS,
} from '../generated/graphql.js';
import { TEST_PASSWORD, logIn, signUpAndLogIn } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import { TestClock, enrollTotp, signInWithTotp, totpCode, totpSecretOf } from '../support/mfa.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

/** Someone who knows the password signed in before MFA was turned on: that session must not outlive it. */
describe('a first ACTIVE factor ends the sessions made by the password alone', () => {
  const clock = new TestClock();
  let app: TestApp;
  let admin: MfaAdmin;
  before(async () => {
    app = await startTestApp(ADMIN_ENV, { clock: clock.now });
    admin = await adminWithMfa(app, clock);
  });
  after(() => app.stop());

  const works = async (token: string) => errorCode(await app.graphql(ME, { token })) === undefined;
  const revocations = (userId: string) =>
    app.database.connection
      .db!.collection('auditEvents')
      .find({ userId: new Types.ObjectId(userId), type: 'session.revoked' })
      .toArray();

  it("accepting the first factor ends the owner's other sessions and keeps the accepting one and the API keys", async () => {
    const alice = await signUpAndLogIn(app, 'alice');
    const attacker = await logIn(app, 'alice'); // knows the password
    const laptop = await logIn(app, 'alice');
    const key = (await app.graphql(CREATE_API_KEY, { token: alice.token, variables: { input: { name: 'backup' } } }))
      .data!.createApiKey.secret;

    await enrollTotp(app, alice.token, clock);
    assert.deepEqual(await Promise.all([alice.token, attacker, laptop, key].map(works)), [true, false, false, true]);
    const listed = (await app.graphql(SESSIONS, { token: alice.token })).data!.sessions;
    assert.deepEqual(
      listed.map((session) => session.current),
      [true],
      'only the accepting session is left',
    );
    assert.ok(listed[0].mfaVerifiedAt, 'it proved the factor');

    const [event] = await revocations(alice.id);
    assert.equal(event.actorId, undefined, 'the owner did it');
    assert.deepEqual(event.details, { count: 2, reason: 'first_factor' });
  });

  it('a password sign-in racing the acceptance gets no session that outlives it', async () => {
    const { token } = await signUpAndLogIn(app, 'bert');
    const enabled = (await app.graphql(ENABLE_MFA, { token, variables: { input: {} } })).data!.enableMfa;
    const code = totpCode(totpSecretOf(enabled.details), clock);
    const login = () => app.graphql(LOGIN, { variables: { input: { username: 'bert', password: TEST_PASSWORD } } });
    // Sign-ins before, alongside and after the acceptance (the password throttle allows 10 in flight).
    const [accepted, ...logins] = await Promise.all([
      app.graphql(ACCEPT_MFA, { token, variables: { input: { token: enabled.token, code } } }),
      ...Array.from({ length: 8 }, login),
    ]);
    assert.equal(accepted.data?.acceptMfa.status, 'ACTIVE', JSON.stringify(accepted.errors));
    clock.nextStep();
    const passwordSessions = logins
      .map((response) => response.data?.login.accessToken)
      .filter((issued): issued is string => issued !== undefined && issued !== null);
    for (const session of passwordSessions)
      assert.equal(await works(session), false, 'a session made by the password alone');
    assert.equal(await works(token), true);
    const again = (await login()).data!.login;
    assert.deepEqual(
      [again.mfaRequired, again.accessToken],
      [true, null],
      'from now on the password alone gets no session',
    );
  });

  it("an admin enrolling a user's first factor ends all of the user's sessions, also one that passed a factor since removed, and is audited", async () => {
    const { id, token: first } = await signUpAndLogIn(app, 'cora');
    const old = await enrollTotp(app, first, clock);
    const removed = await app.graphql(DISABLE_MFA, {
      token: first,
      variables: { input: { password: TEST_PASSWORD, code: totpCode(old.secret, clock) } },
    });
    assert.equal(removed.data?.disableMfa.mfaPolicyStatus, 'DISABLED', JSON.stringify(removed.errors));
    clock.nextStep();
    const passwordOnly = await logIn(app, 'cora');
    assert.deepEqual(
      await Promise.all([first, passwordOnly].map(works)),
      [true, true],
      'one session passed the removed factor, one the password',
    );

    await admin.stepUp();
    const enabled = (await app.graphql(ENABLE_MFA, { token: admin.token, variables: { input: { userId: id } } })).data!
      .enableMfa;
    const accepted = await app.graphql(ACCEPT_MFA, {
      token: admin.token,
      variables: { input: { token: enabled.token, code: totpCode(totpSecretOf(enabled.details), clock) } },
    });
    assert.equal(accepted.data?.acceptMfa.status, 'ACTIVE', JSON.stringify(accepted.errors));
    clock.nextStep();

    assert.deepEqual(await Promise.all([first, passwordOnly, admin.token].map(works)), [false, false, true]);
    const [event] = await revocations(id);
    assert.equal(String(event.actorId), admin.id, 'the admin is the actor');
    assert.deepEqual(event.details, { count: 2, reason: 'first_factor' });
  });

  it('turning MFA back on (ENABLED) ends the sessions the password alone made while it was off', async () => {
    const dina = await signUpAndLogIn(app, 'dina');
    const totp = await enrollTotp(app, dina.token, clock);
    await admin.stepUp();
    const setStatus = (status: 'ENABLED' | 'DISABLED') =>
      app.graphql(SET_MFA_POLICY_STATUS, { token: admin.token, variables: { input: { userId: dina.id, status } } });
    assert.equal((await setStatus('DISABLED')).data?.setMfaPolicyStatus.mfaPolicyStatus, 'DISABLED');
    const passwordOnly = await logIn(app, 'dina');
    assert.equal(await works(passwordOnly), true, 'MFA is off: the password suffices');
    assert.equal((await setStatus('ENABLED')).data?.setMfaPolicyStatus.mfaPolicyStatus, 'ENABLED');
    assert.equal(await works(passwordOnly), false);
    assert.equal(await works(dina.token), true, 'the session that passed the factor stays');
    assert.equal(await works(await signInWithTotp(app, 'dina', totp, clock)), true);
  });
});
