import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Types } from 'mongoose';
import { hashToken } from '../../src/crypto/opaque-token.js';
import {
  CreateApiKeyDocument as CREATE_API_KEY,
  LoginWithGraceDocument as LOGIN,
  MeDocument as ME,
  SessionsDocument as SESSIONS,
  SetMfaPolicyDocument as SET_MFA_POLICY,
  SetMfaPolicyStatusDocument as SET_STATUS,
  SetUserRoleDocument as SET_USER_ROLE,
  SignInPolicyDocument as SIGN_IN_POLICY,
  SkipEnrollmentDocument as SKIP_ENROLLMENT,
} from '../generated/graphql.js';
import { TEST_PASSWORD, signUpAndLogIn } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import { TestClock, enrollTotp, mfaToken } from '../support/mfa.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';
import { setPolicy } from '../support/trusted-devices.js';

const DAY_MS = 24 * 60 * 60_000;
const HOUR_MS = 60 * 60_000;

/** Part 4 of issue 13: enrollment grace (Zitadel's mfaInitSkipLifetime, as a deadline). */
describe('enrollment grace: skipping enrollment until a deadline', () => {
  const clock = new TestClock();
  let app: TestApp;
  let admin: MfaAdmin;
  const login = (username: string, password = TEST_PASSWORD) =>
    app.graphql(LOGIN, { variables: { input: { username, password } } });
  const skip = (token: string) => app.graphql(SKIP_ENROLLMENT, { token });
  const works = async (token: string) => errorCode(await app.graphql(ME, { token })) === undefined;
  const sessionOf = (token: string) =>
    app.database.connection
      .db!.collection<{ absoluteExpiresAt: Date; scope: string; revokedAt?: Date }>('sessions')
      .findOne({ tokenHash: hashToken(token) });
  /** A user whose MFA an admin turned on while they had no factor; returns when that happened (on the MFA clock). */
  const requiredWithoutFactor = async (username: string) => {
    const { id } = await signUpAndLogIn(app, username);
    await admin.stepUp();
    const before = clock.now().getTime();
    const set = await app.graphql(SET_STATUS, {
      token: admin.token,
      variables: { input: { userId: id, status: 'ENABLED' } },
    });
    assert.equal(set.data?.setMfaPolicyStatus.mfaPolicyStatus, 'ENABLED', JSON.stringify(set.errors));
    return { id, username, since: [before, clock.now().getTime()] as const };
  };
  /** The enrollment-scoped sign-in: its token and deadline (null outside the grace). */
  const enrollmentSignIn = async (username: string) => {
    const answer = await login(username);
    assert.deepEqual(
      [answer.data?.login.enrollmentRequired, answer.data?.login.mfaRequired],
      [true, false],
      JSON.stringify(answer),
    );
    const deadline = answer.data!.login.enrollmentDeadline;
    return { token: answer.data!.login.accessToken!, deadline: deadline ? new Date(deadline) : null };
  };

  before(async () => {
    app = await startTestApp(ADMIN_ENV, { clock: clock.now });
    admin = await adminWithMfa(app, clock);
  });
  after(() => app.stop());

  it('grace 0 (the default) is the behaviour before it: no deadline, skipEnrollment refused, the session only enrolls', async () => {
    await requiredWithoutFactor('ana');
    assert.equal((await app.graphql(SIGN_IN_POLICY, { token: admin.token })).data?.mfaPolicy.enrollmentGraceDays, 0);
    const { token, deadline } = await enrollmentSignIn('ana');
    assert.equal(deadline, null);
    assert.equal(errorCode(await skip(token)), 'FORBIDDEN');
    assert.equal(
      errorCode(await app.graphql(CREATE_API_KEY, { token, variables: { input: { name: 'x' } } })),
      'FORBIDDEN',
      'still an enrollment-scoped session',
    );
    assert.ok(await works(token), 'and it stands, for enrolling');
  });

  it('setMfaPolicy takes enrollmentGraceDays from 0 to 90, for admins with a fresh proof', async () => {
    const set = (input: Record<string, unknown>) =>
      app.graphql(SET_MFA_POLICY, { token: admin.token, variables: { input } });
    await admin.stepUp();
    for (const days of [-1, 91]) assert.equal(errorCode(await set({ enrollmentGraceDays: days })), 'BAD_USER_INPUT');
    const changed = await set({ enrollmentGraceDays: 7 });
    assert.equal(changed.data?.setMfaPolicy.enrollmentGraceDays, 7, JSON.stringify(changed.errors));
    assert.equal(changed.data?.setMfaPolicy.trustedDeviceDays, 0, 'the other settings stay');
  });

  it('within the grace: enrollmentRequired with the deadline, and skipEnrollment gives a full session', async () => {
    const boe = await requiredWithoutFactor('boe');
    clock.advance(DAY_MS);
    const { token, deadline } = await enrollmentSignIn('boe');
    assert.ok(deadline, 'a deadline');
    assert.ok(
      deadline.getTime() >= boe.since[0] + 7 * DAY_MS && deadline.getTime() <= boe.since[1] + 7 * DAY_MS,
      'seven days from when MFA was turned on, not from this sign-in',
    );

    const skipped = await skip(token);
    assert.equal(skipped.errors, undefined, JSON.stringify(skipped.errors));
    const payload = skipped.data!.skipEnrollment;
    assert.deepEqual(
      [payload.mfaRequired, payload.enrollmentRequired, payload.user?.username, payload.enrollmentDeadline],
      [false, false, 'boe', deadline.toISOString()],
    );
    const full = payload.accessToken!;
    assert.match(full, /^mfa_at_/);
    assert.notEqual(full, token);
    assert.equal((await app.graphql(ME, { token: full })).data?.me?.mfaPolicyStatus, 'ENABLED');
    const created = await app.graphql(CREATE_API_KEY, { token: full, variables: { input: { name: 'cron' } } });
    assert.equal(created.errors, undefined, 'a normal session: what a user with no factor may do, it may');
    const [listed] = (await app.graphql(SESSIONS, { token: full })).data!.sessions.filter((session) => session.current);
    assert.deepEqual([listed.method, listed.mfaVerifiedAt], ['password', null]);
    assert.equal(await works(token), false, 'the enrollment-scoped session was traded in');
    assert.equal((await skip(token)).status, 401, 'and cannot be traded twice');

    const events = await app.database.connection
      .db!.collection('auditEvents')
      .find({ userId: new Types.ObjectId(boe.id), type: 'mfa.enrollment_skipped' })
      .toArray();
    assert.deepEqual(
      events.map((event) => event.details as unknown),
      [{ enrollmentDeadline: deadline.toISOString() }],
    );

    // Enrolling from the grace session works as from any session, and then the factor is asked at every sign-in.
    await enrollTotp(app, full, clock);
    await mfaToken(app, 'boe');
  });

  it('a session from skipEnrollment lasts no longer than the grace', async () => {
    await requiredWithoutFactor('cai');
    clock.advance(7 * DAY_MS - 2 * HOUR_MS);
    const { token } = await enrollmentSignIn('cai');
    const full = (await skip(token)).data?.skipEnrollment.accessToken;
    assert.ok(full);
    const stored = await sessionOf(full);
    const left = stored!.absoluteExpiresAt.getTime() - Date.now();
    assert.ok(left <= 2 * HOUR_MS && left > HOUR_MS, `ends with the grace, not 12 h later (${left} ms left)`);
  });

  it('after the deadline: no deadline in the answer, skipEnrollment refused, enrollment forced as before', async () => {
    await requiredWithoutFactor('dex');
    clock.advance(7 * DAY_MS + 60_000);
    const { token, deadline } = await enrollmentSignIn('dex');
    assert.equal(deadline, null);
    assert.equal(errorCode(await skip(token)), 'FORBIDDEN');
    assert.equal(
      errorCode(await app.graphql(CREATE_API_KEY, { token, variables: { input: { name: 'x' } } })),
      'FORBIDDEN',
    );
  });

  it('the policy is read at each sign-in: lowering it to 0 ends every grace under way', async () => {
    await requiredWithoutFactor('eda');
    const { token, deadline } = await enrollmentSignIn('eda');
    assert.ok(deadline);
    await setPolicy(app, admin, { enrollmentGraceDays: 0 });
    assert.equal(errorCode(await skip(token)), 'FORBIDDEN', 'the deadline it was shown no longer holds');
    assert.equal((await enrollmentSignIn('eda')).deadline, null);
    await setPolicy(app, admin, { enrollmentGraceDays: 7 });
  });

  it('a shorter grace ends the sessions skipEnrollment gave, audited; a longer one ends none', async () => {
    const graceSession = async (username: string) => {
      await requiredWithoutFactor(username);
      const full = (await skip((await enrollmentSignIn(username)).token)).data?.skipEnrollment.accessToken;
      assert.ok(full);
      return full;
    };
    const sessions = app.database.connection.db!.collection('sessions');
    const liveGrace = () => sessions.countDocuments({ secondFactorWaiver: 'enrollment_grace', revokedAt: null });
    const narrowings = () =>
      app.database.connection
        .db!.collection<{ actorId?: Types.ObjectId; details: Record<string, unknown> }>('auditEvents')
        .find({ type: 'session.revoked', 'details.reason': 'policy_narrowed' })
        .toArray();
    const granted = [await graceSession('kai'), await graceSession('lou')];
    const before = (await narrowings()).length;

    await setPolicy(app, admin, { enrollmentGraceDays: 14 });
    assert.deepEqual(await Promise.all(granted.map(works)), [true, true], 'a longer grace keeps them');
    assert.equal((await narrowings()).length, before);

    const live = await liveGrace();
    assert.ok(live >= 2);
    await setPolicy(app, admin, { enrollmentGraceDays: 3 });
    try {
      // Their deadlines were set under the longer grace; the shorter one holds for them too.
      assert.deepEqual(await Promise.all(granted.map(works)), [false, false]);
      assert.equal(await liveGrace(), 0);
      assert.ok(await works(admin.token), 'sessions with a second factor stay');
      const events = await narrowings();
      assert.equal(events.length, before + 1);
      const narrowed = events[events.length - 1];
      assert.equal(narrowed.actorId?.toHexString(), admin.id);
      assert.deepEqual(narrowed.details, { count: live, reason: 'policy_narrowed', waiver: 'enrollment_grace' });
      const again = (await skip((await enrollmentSignIn('kai')).token)).data?.skipEnrollment.accessToken;
      assert.ok(again && (await works(again)), 'within the new grace a sign-in skips again');
    } finally {
      await setPolicy(app, admin, { enrollmentGraceDays: 7 });
    }
  });

  it('the grace starts when MFA is turned on: setting ENABLED again does not lengthen it; DISABLED then ENABLED restarts it', async () => {
    const fin = await requiredWithoutFactor('fin');
    const first = (await enrollmentSignIn('fin')).deadline!;
    clock.advance(DAY_MS);
    await admin.stepUp();
    await app.graphql(SET_STATUS, { token: admin.token, variables: { input: { userId: fin.id, status: 'ENABLED' } } });
    assert.deepEqual((await enrollmentSignIn('fin')).deadline, first, 'ENABLED again while on: the same deadline');
    await app.graphql(SET_STATUS, { token: admin.token, variables: { input: { userId: fin.id, status: 'DISABLED' } } });
    await app.graphql(SET_STATUS, { token: admin.token, variables: { input: { userId: fin.id, status: 'ENABLED' } } });
    const restarted = (await enrollmentSignIn('fin')).deadline!;
    assert.ok(restarted.getTime() >= first.getTime() + DAY_MS, 'a new requirement, a new grace');
  });

  it('an account turned on before the stamp existed starts its grace at its first such sign-in', async () => {
    const gil = await requiredWithoutFactor('gil');
    await app.database.connection
      .db!.collection('users')
      .updateOne({ _id: new Types.ObjectId(gil.id) }, { $unset: { mfaRequiredAt: 1 } });
    clock.advance(3 * DAY_MS);
    const signedInAt = clock.now().getTime();
    const { deadline } = await enrollmentSignIn('gil');
    assert.ok(deadline!.getTime() >= signedInAt + 7 * DAY_MS - 1000);
    assert.deepEqual((await enrollmentSignIn('gil')).deadline, deadline, 'stamped once');
  });

  it('never for admins: an admin without a factor must enroll, and a grace session stops at a promotion', async () => {
    // A user made admin has MFA on and no factor: enrollment, with no grace.
    const { id: hanId } = await signUpAndLogIn(app, 'han');
    await admin.stepUp();
    await app.graphql(SET_USER_ROLE, { token: admin.token, variables: { input: { userId: hanId, role: 'ADMIN' } } });
    const han = await enrollmentSignIn('han');
    assert.equal(han.deadline, null);
    assert.equal(errorCode(await skip(han.token)), 'FORBIDDEN');

    const ivo = await requiredWithoutFactor('ivo');
    const { token } = await enrollmentSignIn('ivo');
    const full = (await skip(token)).data!.skipEnrollment.accessToken!;
    assert.ok(await works(full));
    await admin.stepUp();
    const promoted = await app.graphql(SET_USER_ROLE, {
      token: admin.token,
      variables: { input: { userId: ivo.id, role: 'ADMIN' } },
    });
    assert.equal(promoted.data?.setUserRole.role, 'ADMIN', JSON.stringify(promoted.errors));
    assert.equal(await works(full), false, 'the grace session of a new admin ends');
    assert.equal((await enrollmentSignIn('ivo')).deadline, null);
  });

  it('20 parallel skipEnrollment with one enrollment session open exactly one full session', async () => {
    const jay = await requiredWithoutFactor('jay');
    const { token } = await enrollmentSignIn('jay');
    const answers = await Promise.all(Array.from({ length: 20 }, () => skip(token)));
    const opened = answers.filter((answer) => answer.data?.skipEnrollment.accessToken);
    assert.equal(opened.length, 1, JSON.stringify(answers.map((answer) => answer.errors?.[0]?.extensions?.code)));
    for (const answer of answers.filter((answer) => !answer.data?.skipEnrollment)) {
      assert.ok(answer.status === 401 || errorCode(answer) === 'UNAUTHENTICATED', JSON.stringify(answer));
    }
    const graceSessions = await app.database.connection
      .db!.collection('sessions')
      .countDocuments({ userId: new Types.ObjectId(jay.id), scope: 'FULL', revokedAt: { $exists: false } });
    assert.equal(graceSessions, 1, 'one full session stored, not one per request');
  });
});
