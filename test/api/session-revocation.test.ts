import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Types } from 'mongoose';
import { hashToken } from '../../src/crypto/opaque-token.js';
import {
  CreateApiKeyDocument as CREATE_API_KEY,
  LoginDocument as LOGIN,
  MeDocument as ME,
  RevokeOtherSessionsDocument as REVOKE_OTHER_SESSIONS,
  RevokeSessionDocument as REVOKE_SESSION,
  SessionsDocument as SESSIONS,
  StepUpDocument as STEP_UP,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { TEST_PASSWORD, logIn, signUpAndLogIn } from '../support/accounts.js';
import { alignToFreshStep, userWithTotp, type MfaUser } from '../support/attacker.js';
import { TestClock, mfaToken, signInWithTotp, totpCode } from '../support/mfa.js';
import { errorCode, startTestApp, type GraphQLResponse, type TestApp } from '../support/test-app.js';

const STEP_UP_MAX_AGE_MS = 5 * 60_000;

/** The owner's own sessions: list them, end one, or end all but this one (as in Keycloak's and Kratos' account consoles). */
describe('revokeSession and revokeOtherSessions', () => {
  const clock = new TestClock();
  let app: TestApp;
  const sessions = () => app.database.connection.db!.collection('sessions');
  const revocations = (userId: string) =>
    app.database.connection
      .db!.collection<{ details: Record<string, unknown>; actorId?: unknown }>('auditEvents')
      .find({ userId: new Types.ObjectId(userId), type: 'session.revoked' })
      .sort({ _id: 1 })
      .toArray();
  const idOf = async (token: string) => (await sessions().findOne({ tokenHash: hashToken(token) }))!._id.toHexString();
  const me = (token: string) => app.graphql(ME, { token });
  const works = async (token: string) => errorCode(await me(token)) === undefined;
  const revoke = (token: string | undefined, id: string) =>
    app.graphql(REVOKE_SESSION, { token, variables: { input: { id } } });
  const revokeOthers = (token: string | undefined) => app.graphql(REVOKE_OTHER_SESSIONS, { token });
  function assertSignedOut(response: GraphQLResponse<unknown>, what: string): void {
    assert.deepEqual([response.status, errorCode(response)], [401, 'UNAUTHENTICATED'], what);
  }

  before(async () => {
    app = await startTestApp({}, { clock: clock.now });
  });
  after(() => app.stop());

  it('revokeSession ends one of your sessions at once, and only that one; audited with the count', async () => {
    const sam = await signUpAndLogIn(app, 'sam');
    const [phone, laptop] = [await logIn(app, 'sam'), await logIn(app, 'sam')];
    const phoneId = await idOf(phone);
    assert.ok(await works(phone));

    const revoked = await revoke(sam.token, phoneId);
    assert.equal(revoked.data?.revokeSession, true, JSON.stringify(revoked.errors));
    assertSignedOut(await me(phone), 'the next request with the ended token');
    assert.deepEqual(await Promise.all([sam.token, laptop].map(works)), [true, true]);
    const listed = (await app.graphql(SESSIONS, { token: sam.token })).data!.sessions;
    assert.equal(listed.length, 2);
    assert.ok(!listed.some((session) => session.id === phoneId), 'an ended session is no longer listed');

    const [event, ...more] = await revocations(sam.id);
    assert.deepEqual(more, [], 'one event per call');
    assert.equal(event.actorId, undefined, 'the owner did it');
    assert.deepEqual(event.details, { count: 1, reason: 'revoked_by_owner', sessionId: phoneId, current: false });
  });

  it('revoking the calling session ends it, as a sign-out', async () => {
    const tia = await signUpAndLogIn(app, 'tia');
    const other = await logIn(app, 'tia');
    assert.equal((await revoke(tia.token, await idOf(tia.token))).data?.revokeSession, true);
    assertSignedOut(await me(tia.token), 'the calling session after revoking itself');
    assert.ok(await works(other));
    assert.equal((await revocations(tia.id))[0].details.current, true);
  });

  it("another user's session, a malformed, unknown, ended or expired id: the same NOT_FOUND, and nothing ends", async () => {
    const uma = await signUpAndLogIn(app, 'uma');
    const vic = await signUpAndLogIn(app, 'vic');
    const ended = await logIn(app, 'uma');
    const endedId = await idOf(ended);
    assert.equal((await revoke(uma.token, endedId)).data?.revokeSession, true);
    const expired = await logIn(app, 'uma');
    await sessions().updateOne({ tokenHash: hashToken(expired) }, { $set: { expiresAt: new Date(Date.now() - 1000) } });

    const answers = [
      ["vic's session", await idOf(vic.token)],
      ['malformed', 'not-an-id'],
      ['empty', ''],
      ['too long', `${endedId}00`],
      ['unknown', new Types.ObjectId().toHexString()],
      ['already ended', endedId],
      ['expired', await idOf(expired)],
    ].map(async ([what, id]) => [what, await revoke(uma.token, id)] as const);
    for (const [what, response] of await Promise.all(answers)) {
      assert.equal(response.data, null, what);
      assert.deepEqual(
        response.errors?.map(({ message, extensions }) => ({ message, extensions })),
        [{ message: 'You have no live session with that id.', extensions: { field: 'id', code: 'NOT_FOUND' } }],
        `${what}: the same answer, telling nothing about whose it is`,
      );
    }
    assert.ok(await works(vic.token), "vic's session is untouched");
    assert.ok(await works(uma.token));
    assert.equal((await revocations(uma.id)).length, 1, 'only the first, real revocation is audited');
    assert.equal((await revocations(vic.id)).length, 0);
  });

  it('a password-only session held back while MFA is on is not listed, but its owner ends it, and it never comes back', async () => {
    const kai = await signUpAndLogIn(app, 'kai');
    // Password sign-ins that raced MFA being turned on: the revocation that comes with it missed them.
    const [one, other] = [await logIn(app, 'kai'), await logIn(app, 'kai')];
    const users = app.database.connection.db!.collection('users');
    await users.updateOne({ usernameKey: 'kai' }, { $set: { mfaPolicyStatus: 'ENABLED' } });
    await sessions().updateOne({ tokenHash: hashToken(kai.token) }, { $set: { mfaVerifiedAt: new Date() } });
    assert.ok(await works(kai.token));
    for (const token of [one, other])
      assertSignedOut(await me(token), 'a password-only session does not stand once MFA is on');
    assert.deepEqual(
      (await app.graphql(SESSIONS, { token: kai.token })).data!.sessions.map((session) => session.current),
      [true],
      'not listed: it does not stand',
    );
    assert.equal(errorCode(await revoke(kai.token, await idOf(one))), undefined);
    assert.equal((await revokeOthers(kai.token)).data?.revokeOtherSessions, 1, 'the other one');
    await users.updateOne({ usernameKey: 'kai' }, { $set: { mfaPolicyStatus: 'DISABLED' } });
    for (const token of [one, other]) assertSignedOut(await me(token), 'ended, so MFA off does not bring it back');
    assert.ok(await works(kai.token));
  });

  it('revokeOtherSessions ends every other live session and keeps the calling one; the count, audited per call', async () => {
    const wes = await signUpAndLogIn(app, 'wes');
    const others = await Promise.all([1, 2, 3].map(() => logIn(app, 'wes')));
    const elsewhere = await signUpAndLogIn(app, 'xia');

    const revoked = await revokeOthers(wes.token);
    assert.equal(revoked.data?.revokeOtherSessions, 3, JSON.stringify(revoked.errors));
    for (const token of others) assertSignedOut(await me(token), 'an ended session');
    assert.ok(await works(wes.token), 'the calling session stays');
    assert.ok(await works(elsewhere.token), "another user's sessions are not the caller's");
    assert.deepEqual(
      (await app.graphql(SESSIONS, { token: wes.token })).data!.sessions.map((session) => session.current),
      [true],
    );

    assert.equal((await revokeOthers(wes.token)).data?.revokeOtherSessions, 0, 'nothing left to end');
    assert.deepEqual(
      (await revocations(wes.id)).map((event) => event.details),
      [
        { count: 3, reason: 'others_revoked_by_owner' },
        { count: 0, reason: 'others_revoked_by_owner' },
      ],
      'one event per call, even when none ended',
    );
  });

  it('counts only live sessions, and never one session twice under parallel calls', async () => {
    const yan = await signUpAndLogIn(app, 'yan');
    const expired = await logIn(app, 'yan');
    await sessions().updateOne({ tokenHash: hashToken(expired) }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    const ended = await logIn(app, 'yan');
    await revoke(yan.token, await idOf(ended));
    const others = await Promise.all([1, 2, 3, 4].map(() => logIn(app, 'yan')));

    const counts = (await Promise.all(Array.from({ length: 5 }, () => revokeOthers(yan.token)))).map(
      (response) => response.data?.revokeOtherSessions,
    );
    assert.equal(
      counts.reduce((sum, count) => sum! + count!, 0),
      4,
      `each of the 4 live others counted once: ${JSON.stringify(counts)}`,
    );
    for (const token of others) assertSignedOut(await me(token), 'ended');
    assert.ok(await works(yan.token));
  });

  it('a sign-in racing revokeOtherSessions keeps its new session; the answer counts exactly the sessions that ended', async () => {
    const zed = await signUpAndLogIn(app, 'zed');
    const before = await Promise.all([1, 2, 3].map(() => logIn(app, 'zed')));
    const [revoked, racing] = await Promise.all([
      revokeOthers(zed.token),
      Promise.all([1, 2, 3, 4].map(() => logIn(app, 'zed'))),
    ]);
    const count = revoked.data!.revokeOtherSessions;
    for (const token of before) assertSignedOut(await me(token), 'a session older than the call');
    const racers = await Promise.all(racing.map(works));
    assert.equal(count, 3 + racers.filter((alive) => !alive).length, `count ${count}, racers alive ${String(racers)}`);

    // A sign-in under way (password given, second factor not yet) when the others are ended finishes with a live session.
    const amy = await userWithTotp(app, clock, 'amy');
    const pending = await mfaToken(app, 'amy');
    assert.equal((await revokeOthers(amy.token)).data?.revokeOtherSessions, 0);
    alignToFreshStep(clock);
    const finished = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: pending, code: totpCode(amy.totp.secret, clock) } },
    });
    clock.nextStep();
    assert.ok(await works(finished.data!.verifyMfa.accessToken!), 'the sign-in that finished afterwards stands');
  });

  it('needs no step-up, even for a user with MFA whose proof is old: ending sessions only takes access away', async () => {
    const bo = await userWithTotp(app, clock, 'bob');
    const stolen = await signInWithTotp(app, 'bob', bo.totp, clock);
    const tablet = await signInWithTotp(app, 'bob', bo.totp, clock);
    clock.advance(STEP_UP_MAX_AGE_MS + 60_000);
    assert.equal((await revoke(bo.token, await idOf(tablet))).data?.revokeSession, true);
    assertSignedOut(await me(tablet), 'the revoked session');
    assert.equal((await revokeOthers(bo.token)).data?.revokeOtherSessions, 1);
    assertSignedOut(await me(stolen), 'the other session');
  });

  it('refused to API keys, enrollment-scoped sessions, mfaTokens and the anonymous; nothing ends', async () => {
    const cy = await signUpAndLogIn(app, 'cyd');
    const other = await logIn(app, 'cyd');
    const otherId = await idOf(other);
    const apiKey = (await app.graphql(CREATE_API_KEY, { token: cy.token, variables: { input: { name: 'script' } } }))
      .data!.createApiKey.secret;
    for (const [what, call] of [
      ['revokeSession', () => revoke(apiKey, otherId)],
      ['revokeOtherSessions', () => revokeOthers(apiKey)],
    ] as const) {
      const response = await call();
      assert.equal(errorCode(response), 'FORBIDDEN', `an API key: ${what}`);
    }

    const di = await signUpAndLogIn(app, 'dia');
    await app.database.connection
      .db!.collection('users')
      .updateOne({ usernameKey: 'dia' }, { $set: { mfaPolicyStatus: 'ENABLED' } });
    const login = (await app.graphql(LOGIN, { variables: { input: { username: 'dia', password: TEST_PASSWORD } } }))
      .data!.login;
    assert.equal(login.enrollmentRequired, true);
    const enrolling = login.accessToken!;
    assert.equal(errorCode(await revokeOthers(enrolling)), 'FORBIDDEN', 'an enrollment-scoped session');
    assert.equal(errorCode(await revoke(enrolling, await idOf(enrolling))), 'FORBIDDEN');

    const ed = await userWithTotp(app, clock, 'eddy');
    const partial = await mfaToken(app, 'eddy');
    assertSignedOut(await revokeOthers(partial), 'an mfaToken is no access token');
    assert.equal(errorCode(await revokeOthers(undefined)), 'UNAUTHENTICATED', 'anonymous');
    assert.equal(errorCode(await revoke(undefined, otherId)), 'UNAUTHENTICATED', 'anonymous');

    assert.ok(await works(other), "cy's other session is untouched");
    assert.ok(await works(ed.token));
    assert.equal((await revocations(cy.id)).length + (await revocations(di.id)).length, 0, 'nothing audited');
  });
});

/** What `sessions` says about each: how it was established, when, from where, and when a second factor was last passed. */
describe('Session fields', () => {
  const clock = new TestClock();
  let app: TestApp;
  let fay: MfaUser;
  const list = async (token: string) => (await app.graphql(SESSIONS, { token })).data!.sessions;
  const works = async (token: string) => errorCode(await app.graphql(ME, { token })) === undefined;

  before(async () => {
    app = await startTestApp({}, { clock: clock.now });
    fay = await userWithTotp(app, clock, 'fay');
  });
  after(() => app.stop());

  it('method says how the sign-in was proven: password, the factor type, or a recovery code', async () => {
    const viaRecovery = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: await mfaToken(app, 'fay'), recoveryCode: fay.totp.scratchCodes[0] } },
      headers: { 'user-agent': 'recovery-browser/1' },
    });
    const recoveryToken = viaRecovery.data!.verifyMfa.accessToken!;
    assert.ok(await works(recoveryToken), JSON.stringify(viaRecovery.errors));
    const totpToken = await signInWithTotp(app, 'fay', fay.totp, clock);
    const gus = await signUpAndLogIn(app, 'gus');

    const [totp, recovery, signUpSession] = await list(totpToken);
    assert.deepEqual(
      [totp.method, totp.current, recovery.method, recovery.current, recovery.userAgent],
      ['totp', true, 'recovery_code', false, 'recovery-browser/1'],
    );
    assert.equal(signUpSession.method, 'password', 'the sign-up sign-in, which then accepted the factor');
    assert.ok(recovery.mfaVerifiedAt && totp.mfaVerifiedAt, 'both passed a second factor');
    assert.match(recovery.ip!, /127\.0\.0\.1|::1/);

    const [plain] = await list(gus.token);
    assert.deepEqual([plain.method, plain.mfaVerifiedAt, plain.current], ['password', null, true]);
    assert.ok(new Date(plain.lastUsedAt) >= new Date(plain.createdAt));
  });

  it('mfaVerifiedAt moves to the time of a stepUp in that session, and only that one', async () => {
    const stepping = await signInWithTotp(app, 'fay', fay.totp, clock);
    const idle = await signInWithTotp(app, 'fay', fay.totp, clock);
    const byCurrent = async () => new Map((await list(stepping)).map((session) => [session.current, session]));
    const beforeStepUp = (await byCurrent()).get(true)!;
    clock.advance(60_000);
    alignToFreshStep(clock);
    const at = clock.now().getTime();
    const stepped = await app.graphql(STEP_UP, {
      token: stepping,
      variables: { input: { code: totpCode(fay.totp.secret, clock) } },
    });
    assert.equal(stepped.data?.stepUp, true, JSON.stringify(stepped.errors));
    const after = (await byCurrent()).get(true)!;
    const proof = new Date(after.mfaVerifiedAt!).getTime();
    assert.ok(proof >= at && proof < at + 5000, `mfaVerifiedAt ${after.mfaVerifiedAt} is the stepUp's time`);
    assert.ok(proof > new Date(beforeStepUp.mfaVerifiedAt!).getTime());
    const idleSession = (await list(idle)).find((session) => session.current)!;
    assert.ok(new Date(idleSession.mfaVerifiedAt!).getTime() < at, "another session's stepUp proves nothing here");
  });
});
