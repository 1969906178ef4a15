import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Types } from 'mongoose';
import {
  AcceptMfaDocument as ACCEPT_MFA,
  AdminUserMfaDocument as ADMIN_USER_MFA,
  ApiKeysDocument as API_KEYS,
  AuditEventsDocument as AUDIT_EVENTS,
  DisableMfaDocument as DISABLE_MFA,
  EnableMfaDocument as ENABLE_MFA,
  FactorTypesDocument as FACTOR_TYPES,
  LoginDocument as LOGIN,
  MeDocument as ME,
  MfaPolicyDocument as MFA_POLICY,
  SetAllowedFactorTypesDocument as SET_ALLOWED_FACTOR_TYPES,
  SetMfaPolicyStatusDocument as SET_MFA_POLICY_STATUS,
  StepUpDocument as STEP_UP,
  type MfaPolicyStatus,
} from '../generated/graphql.js';
import { hashToken } from '../../src/crypto/opaque-token.js';
import { TEST_PASSWORD, logIn, signUpAndLogIn } from '../support/accounts.js';
import { TestClock, enrollTotp, signInWithTotp, totpCode, type EnrolledTotp, totpSecretOf } from '../support/mfa.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

const ADMIN_PASSWORD = 'admin password 1';

/** As in Veeam Service Provider Console: admins switch mfaPolicyStatus per user, enroll or remove factors for others, and must use MFA themselves to do so. */
describe('Veeam Service Provider Console flow: the admin toggle and the policy over HTTP', () => {
  const clock = new TestClock();
  let app: TestApp;
  let admin: string;
  let rootId: string;
  let adminTotp: EnrolledTotp;
  let bob: { id: string; token: string };
  let bobTotp: EnrolledTotp;
  before(async () => {
    // The two code factors: the lists below are this deployment's, not the default one.
    app = await startTestApp(
      { FACTOR_PLUGINS: 'totp,email', ADMIN_USERNAME: 'root', ADMIN_PASSWORD },
      { clock: clock.now },
    );
    admin = await logIn(app, 'root', ADMIN_PASSWORD);
    rootId = (await app.graphql(ME, { token: admin })).data!.me!.id;
    bob = await signUpAndLogIn(app, 'bob');
  });
  after(() => app.stop());

  const setStatus = (token: string, userId: string, status: MfaPolicyStatus) =>
    app.graphql(SET_MFA_POLICY_STATUS, { token, variables: { input: { userId, status } } });
  const login = async (username: string) =>
    (await app.graphql(LOGIN, { variables: { input: { username, password: TEST_PASSWORD } } })).data!.login;
  /** Every admin-only MFA change, aimed at `userId`. */
  const adminChanges = (token: string, userId: string) => [
    () => setStatus(token, userId, 'ENABLED'),
    () => app.graphql(DISABLE_MFA, { token, variables: { input: { userId } } }),
    () => app.graphql(ENABLE_MFA, { token, variables: { input: { factorType: 'totp', userId } } }),
  ];
  async function stepUpAdmin(): Promise<void> {
    const stepped = await app.graphql(STEP_UP, {
      token: admin,
      variables: { input: { code: totpCode(adminTotp.secret, clock) } },
    });
    assert.equal(stepped.data?.stepUp, true, JSON.stringify(stepped.errors));
    clock.nextStep();
  }

  it('refuses MFA changes for others from an admin without MFA, and from a non-admin', async () => {
    for (const change of adminChanges(admin, bob.id)) assert.equal(errorCode(await change()), 'FORBIDDEN');
    assert.equal(
      errorCode(
        await app.graphql(SET_ALLOWED_FACTOR_TYPES, { token: admin, variables: { input: { types: ['totp'] } } }),
      ),
      'FORBIDDEN',
    );
    for (const change of adminChanges(bob.token, rootId)) assert.equal(errorCode(await change()), 'FORBIDDEN');
    // The admin without a factor cannot read users either (its session may only enroll), so the database says it.
    const stored = await app.database.connection.db!.collection('users').findOne({ _id: new Types.ObjectId(bob.id) });
    assert.equal(stored!.mfaPolicyStatus, 'DISABLED', 'nothing changed');
  });

  it('ENABLED for a user without a factor: enrollment at the next sign-in, then the code every time', async () => {
    adminTotp = await enrollTotp(app, admin, clock); // accepting it is a fresh proof: no stepUp needed
    assert.equal((await setStatus(admin, bob.id, 'ENABLED')).data?.setMfaPolicyStatus.mfaPolicyStatus, 'ENABLED');

    const first = await login('bob');
    assert.deepEqual([first.enrollmentRequired, first.mfaRequired, first.mfaToken], [true, false, null]);
    const enrolling = first.accessToken!;
    assert.match(enrolling, /^mfa_at_/);
    assert.equal((await app.graphql(ME, { token: enrolling })).data?.me?.username, 'bob');
    assert.equal((await app.graphql(FACTOR_TYPES, { token: enrolling })).data?.factorTypes[0].type, 'totp');
    assert.equal(
      errorCode(await app.graphql(API_KEYS, { token: enrolling })),
      'FORBIDDEN',
      'an enrollment-scoped session may only enroll',
    );

    bobTotp = await enrollTotp(app, enrolling, clock);
    assert.deepEqual(
      (await app.graphql(API_KEYS, { token: enrolling })).data?.apiKeys,
      [],
      'accepting makes the same session a full one',
    );
    const next = await login('bob');
    assert.deepEqual([next.mfaRequired, next.enrollmentRequired, next.accessToken], [true, false, null]);
    assert.deepEqual(
      next.factors?.map((factor) => factor.id),
      [bobTotp.factorId],
    );
  });

  it('DISABLED: the password alone signs in and the factors stay, dormant; ENABLED again asks for the same factor', async () => {
    assert.equal((await setStatus(admin, bob.id, 'DISABLED')).data?.setMfaPolicyStatus.mfaPolicyStatus, 'DISABLED');
    const passwordOnly = await login('bob');
    assert.deepEqual([passwordOnly.mfaRequired, passwordOnly.enrollmentRequired], [false, false]);
    assert.deepEqual(
      (await app.graphql(API_KEYS, { token: passwordOnly.accessToken! })).data?.apiKeys,
      [],
      'a full session',
    );
    const seen = (await app.graphql(ADMIN_USER_MFA, { token: admin, variables: { id: bob.id } })).data!.user!;
    assert.deepEqual(
      seen.factors.map((factor) => [factor.id, factor.status]),
      [[bobTotp.factorId, 'ACTIVE']],
    );
    assert.equal(seen.recoveryCodesRemaining, 10);

    assert.equal((await setStatus(admin, bob.id, 'ENABLED')).data?.setMfaPolicyStatus.mfaPolicyStatus, 'ENABLED');
    // Ended, not only held back: it would stand again were MFA turned off.
    assert.equal(errorCode(await app.graphql(ME, { token: passwordOnly.accessToken! })), 'UNAUTHENTICATED');
    const db = app.database.connection.db!;
    const session = await db.collection('sessions').findOne({ tokenHash: hashToken(passwordOnly.accessToken!) });
    assert.ok(session?.revokedAt instanceof Date, 'revoked');
    const ended = await db
      .collection('auditEvents')
      .find({ userId: new Types.ObjectId(bob.id), type: 'session.revoked' })
      .toArray();
    assert.deepEqual(
      ended.map((event) => [String(event.actorId), event.details as unknown]),
      [
        [rootId, { count: 1, reason: 'mfa_required' }], // the sign-up session, when MFA was first turned on
        [rootId, { count: 1, reason: 'mfa_required' }],
      ],
    );
    const again = await login('bob');
    assert.equal(again.mfaRequired, true);
    assert.deepEqual(
      again.factors?.map((factor) => factor.id),
      [bobTotp.factorId],
    );
    bob.token = await signInWithTotp(app, 'bob', bobTotp, clock);
  });

  it('needs an admin proof at most 5 minutes old; stepUp renews it; bad ids are NOT_FOUND or BAD_USER_INPUT', async () => {
    clock.advance(6 * 60_000);
    for (const change of adminChanges(admin, bob.id)) assert.equal(errorCode(await change()), 'STEP_UP_REQUIRED');
    assert.equal(
      errorCode(
        await app.graphql(SET_ALLOWED_FACTOR_TYPES, { token: admin, variables: { input: { types: ['totp'] } } }),
      ),
      'STEP_UP_REQUIRED',
    );
    await stepUpAdmin();
    assert.equal((await setStatus(admin, bob.id, 'ENABLED')).data?.setMfaPolicyStatus.mfaPolicyStatus, 'ENABLED');

    bob.token = await signInWithTotp(app, 'bob', bobTotp, clock);
    for (const change of adminChanges(bob.token, rootId))
      assert.equal(errorCode(await change()), 'FORBIDDEN', 'a non-admin, even with fresh MFA');
    for (const change of adminChanges(admin, new Types.ObjectId().toHexString()))
      assert.equal(errorCode(await change()), 'NOT_FOUND');
    for (const change of adminChanges(admin, 'not-an-id')) assert.equal(errorCode(await change()), 'BAD_USER_INPUT');
  });

  it('admin disableMfa removes the factors without password or code, sets DISABLED, ends the sessions, and is audited', async () => {
    const carol = await signUpAndLogIn(app, 'carol');
    const carolTotp = await enrollTotp(app, carol.token, clock);
    const carolSession = await signInWithTotp(app, 'carol', carolTotp, clock);
    await stepUpAdmin();

    const disabled = await app.graphql(DISABLE_MFA, { token: admin, variables: { input: { userId: carol.id } } });
    assert.equal(disabled.errors, undefined, JSON.stringify(disabled.errors));
    assert.deepEqual(
      [
        disabled.data!.disableMfa.factors,
        disabled.data!.disableMfa.mfaPolicyStatus,
        disabled.data!.disableMfa.recoveryCodesRemaining,
      ],
      [[], 'DISABLED', 0],
    );
    for (const token of [carol.token, carolSession]) {
      const revoked = await app.graphql(ME, { token });
      assert.deepEqual([revoked.status, errorCode(revoked)], [401, 'UNAUTHENTICATED']);
    }
    const events = (
      await app.graphql(AUDIT_EVENTS, { token: admin, variables: { userId: carol.id, first: 50 } })
    ).data!.auditEvents.edges.map((edge) => edge.node);
    const removed = events.find((event) => event.type === 'mfa.factor_removed');
    assert.equal(removed?.actorId, rootId, 'the admin is recorded as the actor');
    assert.equal((removed?.details as { factorId?: string }).factorId, carolTotp.factorId);
    assert.match((await login('carol')).accessToken!, /^mfa_at_/, 'the password suffices again');
  });

  it("admin enableMfa for another user (Veeam Backup for Microsoft Azure's admin path): the admin accepts it and the user has an ACTIVE factor", async () => {
    const dave = await signUpAndLogIn(app, 'dave');
    await stepUpAdmin();
    const enabled = (
      await app.graphql(ENABLE_MFA, { token: admin, variables: { input: { factorType: 'totp', userId: dave.id } } })
    ).data!.enableMfa;
    assert.equal(enabled.userId, dave.id);
    assert.ok(enabled.details?.__typename === 'TotpEnrollment');
    const secret = totpSecretOf(enabled.details);
    const accepted = await app.graphql(ACCEPT_MFA, {
      token: admin,
      variables: { input: { token: enabled.token, code: totpCode(secret, clock) } },
    });
    assert.equal(accepted.data?.acceptMfa.status, 'ACTIVE');
    clock.nextStep();

    const seen = (await app.graphql(ADMIN_USER_MFA, { token: admin, variables: { id: dave.id } })).data!.user!;
    assert.deepEqual(
      [seen.mfaEnabled, seen.mfaPolicyStatus, seen.factors.map((factor) => [factor.id, factor.status])],
      [true, 'ENABLED', [[enabled.factor.id, 'ACTIVE']]],
    );
    const adminFactors = (await app.graphql(ADMIN_USER_MFA, { token: admin, variables: { id: rootId } })).data!.user!
      .factors;
    assert.deepEqual(
      adminFactors.map((factor) => factor.id),
      [adminTotp.factorId],
      "the admin's own factors are untouched",
    );
    const events = (
      await app.graphql(AUDIT_EVENTS, { token: admin, variables: { userId: dave.id, first: 50 } })
    ).data!.auditEvents.edges.map((edge) => edge.node);
    assert.equal(events.find((event) => event.type === 'mfa.factor_activated')?.actorId, rootId);
    const daveSession = await signInWithTotp(
      app,
      'dave',
      { factorId: enabled.factor.id, secret, scratchCodes: [] },
      clock,
    );
    assert.match(daveSession, /^mfa_at_/);
  });

  it("an admin's acceptMfa for another user needs the same fresh proof as its enableMfa", async () => {
    const erin = await signUpAndLogIn(app, 'erin');
    await stepUpAdmin();
    const enabled = (
      await app.graphql(ENABLE_MFA, { token: admin, variables: { input: { factorType: 'totp', userId: erin.id } } })
    ).data!.enableMfa;
    clock.advance(6 * 60_000); // the enrollment token lives 10 minutes, the admin's proof 5
    const input = { token: enabled.token, code: totpCode(totpSecretOf(enabled.details), clock) };
    assert.equal(errorCode(await app.graphql(ACCEPT_MFA, { token: admin, variables: { input } })), 'STEP_UP_REQUIRED');
    await stepUpAdmin();
    const accepted = await app.graphql(ACCEPT_MFA, {
      token: admin,
      variables: { input: { ...input, code: totpCode(totpSecretOf(enabled.details), clock) } },
    });
    assert.equal(accepted.data?.acceptMfa.status, 'ACTIVE', JSON.stringify(accepted.errors));
    clock.nextStep();
  });

  it('deleting the identity disables MFA: removing the last factor sets DISABLED', async () => {
    const removed = await app.graphql(DISABLE_MFA, {
      token: bob.token,
      variables: {
        input: { factorId: bobTotp.factorId, password: TEST_PASSWORD, code: totpCode(bobTotp.secret, clock) },
      },
    });
    assert.equal(removed.errors, undefined, JSON.stringify(removed.errors));
    assert.deepEqual([removed.data!.disableMfa.factors, removed.data!.disableMfa.mfaPolicyStatus], [[], 'DISABLED']);
    const next = await login('bob');
    assert.deepEqual([next.mfaRequired, next.enrollmentRequired], [false, false]);
    assert.match(next.accessToken!, /^mfa_at_/);
  });

  it('lists the factor types and the policy; setAllowedFactorTypes refuses an unknown type', async () => {
    const listed = (await app.graphql(FACTOR_TYPES, { token: bob.token })).data?.factorTypes.map(
      ({ type, allowed }) => ({ type, allowed }),
    );
    assert.deepEqual(listed, [
      { type: 'totp', allowed: true },
      { type: 'email', allowed: true },
    ]);
    assert.deepEqual((await app.graphql(MFA_POLICY, { token: bob.token })).data?.mfaPolicy, {
      allowedFactorTypes: ['totp', 'email'],
      recoveryCodeCount: 10,
    });
    await stepUpAdmin();
    const unknown = await app.graphql(SET_ALLOWED_FACTOR_TYPES, {
      token: admin,
      variables: { input: { types: ['totp', 'carrier-pigeon'] } },
    });
    assert.equal(errorCode(unknown), 'BAD_USER_INPUT');
    assert.deepEqual(
      (await app.graphql(MFA_POLICY, { token: bob.token })).data?.mfaPolicy.allowedFactorTypes,
      ['totp', 'email'],
      'the refused change changed nothing',
    );
    await stepUpAdmin();
    const narrowed = await app.graphql(SET_ALLOWED_FACTOR_TYPES, {
      token: admin,
      variables: { input: { types: ['totp'] } },
    });
    assert.deepEqual(narrowed.data?.setAllowedFactorTypes.allowedFactorTypes, ['totp']);
    const after = (await app.graphql(FACTOR_TYPES, { token: bob.token })).data?.factorTypes.map(
      ({ type, allowed }) => ({ type, allowed }),
    );
    assert.deepEqual(after, [
      { type: 'totp', allowed: true },
      { type: 'email', allowed: false },
    ]);
  });
});
