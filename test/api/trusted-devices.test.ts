import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Types } from 'mongoose';
import { hashToken } from '../../src/crypto/opaque-token.js';
import {
  AuditEventsDocument as AUDIT_EVENTS,
  ChangePasswordDocument as CHANGE_PASSWORD,
  CreateApiKeyDocument as CREATE_API_KEY,
  DeactivateUserDocument as DEACTIVATE_USER,
  DisableMfaDocument as DISABLE_MFA,
  MeDocument as ME,
  MfaPolicyDocument as MFA_POLICY,
  ReactivateUserDocument as REACTIVATE_USER,
  RequireUserPasswordResetDocument as REQUIRE_RESET,
  RevokeOtherSessionsDocument as REVOKE_OTHER_SESSIONS,
  RevokeTrustedDeviceDocument as REVOKE_DEVICE,
  RevokeUserSessionsDocument as REVOKE_USER_SESSIONS,
  SessionsDocument as SESSIONS,
  SetAllowedFactorTypesDocument as SET_ALLOWED,
  SetMfaPolicyDocument as SET_MFA_POLICY,
  SetUserRoleDocument as SET_USER_ROLE,
  SignInPolicyDocument as SIGN_IN_POLICY,
  StepUpDocument as STEP_UP,
  TrustedDevicesDocument as TRUSTED_DEVICES,
} from '../generated/graphql.js';
import { TEST_PASSWORD, logIn } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import { userWithTotp, type MfaUser } from '../support/attacker.js';
import { TestClock, enrollTotp, totpCode } from '../support/mfa.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';
import { loginWithDevice, rememberedSignIn, setPolicy } from '../support/trusted-devices.js';

const DAY_MS = 24 * 60 * 60_000;

/** Part 3 of issue 13: "remember this device" — off by default, an admin's choice, and only ever the second factor. */
describe('trusted devices: remembering a device skips the second factor at login', () => {
  const clock = new TestClock();
  let app: TestApp;
  let admin: MfaAdmin;
  const me = (token: string) => app.graphql(ME, { token });
  const works = async (token: string) => errorCode(await me(token)) === undefined;
  const devices = async (token: string) => {
    const listed = await app.graphql(TRUSTED_DEVICES, { token });
    assert.equal(listed.errors, undefined, JSON.stringify(listed.errors));
    return listed.data!.trustedDevices;
  };
  const auditOf = (userId: string, type: string) =>
    app.database.connection
      .db!.collection<{ details?: Record<string, unknown>; actorId?: Types.ObjectId }>('auditEvents')
      .find({ userId: new Types.ObjectId(userId), type })
      .sort({ _id: 1 })
      .toArray();
  /** A user with TOTP, signed in with it, and one remembered device. */
  const rememberedUser = async (username: string) => {
    const user = await userWithTotp(app, clock, username);
    const { accessToken, deviceToken } = await rememberedSignIn(app, user, clock);
    assert.ok(deviceToken, 'a device token');
    return { ...user, token: accessToken, deviceToken };
  };
  const skipsSecondFactor = async (username: string, deviceToken: string) => {
    const login = await loginWithDevice(app, username, deviceToken);
    assert.equal(login.errors, undefined, JSON.stringify(login.errors));
    return login.data!.login.mfaRequired === false && typeof login.data!.login.accessToken === 'string';
  };

  before(async () => {
    app = await startTestApp(ADMIN_ENV, { clock: clock.now });
    admin = await adminWithMfa(app, clock);
  });
  after(() => app.stop());

  it('is off by default: trustedDeviceDays 0, passkeySignIn true, and rememberDevice gives no token', async () => {
    const ada = await userWithTotp(app, clock, 'ada');
    assert.deepEqual((await app.graphql(SIGN_IN_POLICY, { token: ada.token })).data?.mfaPolicy, {
      trustedDeviceDays: 0,
      passkeySignIn: true,
      enrollmentGraceDays: 0,
    });
    const { accessToken, deviceToken } = await rememberedSignIn(app, ada, clock);
    assert.equal(deviceToken, null);
    assert.ok(await works(accessToken), 'the sign-in itself goes ahead');
    assert.equal((await app.services.mfaPolicy.policy()).passkeySignIn, true);
  });

  it('setMfaPolicy: admins with a fresh proof only, days 0 to 90, at least one setting; audited', async () => {
    const bea = await userWithTotp(app, clock, 'bea');
    const set = (token: string, input: Record<string, unknown>) =>
      app.graphql(SET_MFA_POLICY, { token, variables: { input } });
    assert.equal(errorCode(await set(bea.token, { trustedDeviceDays: 30 })), 'FORBIDDEN', 'no admin');
    clock.advance(5 * 60_000 + 1000);
    assert.equal(errorCode(await set(admin.token, { trustedDeviceDays: 30 })), 'STEP_UP_REQUIRED', 'a stale proof');
    await admin.stepUp();
    for (const input of [{ trustedDeviceDays: 91 }, { trustedDeviceDays: -1 }, {}, { allowedFactorTypes: ['sms'] }])
      assert.equal(errorCode(await set(admin.token, input)), 'BAD_USER_INPUT', JSON.stringify(input));
    const changed = await set(admin.token, { trustedDeviceDays: 30, passkeySignIn: false });
    assert.deepEqual(changed.data?.setMfaPolicy, {
      allowedFactorTypes: ['totp', 'email', 'webauthn'],
      recoveryCodeCount: 10,
      trustedDeviceDays: 30,
      passkeySignIn: false,
      enrollmentGraceDays: 0,
    });
    assert.equal((await app.services.mfaPolicy.policy()).passkeySignIn, false);
    // setAllowedFactorTypes still works beside it, and leaves the new settings alone.
    const allowed = await app.graphql(SET_ALLOWED, { token: admin.token, variables: { input: { types: ['totp'] } } });
    assert.deepEqual(allowed.data?.setAllowedFactorTypes.allowedFactorTypes, ['totp']);
    await set(admin.token, { allowedFactorTypes: ['totp', 'email'], passkeySignIn: true });
    assert.deepEqual((await app.graphql(MFA_POLICY, { token: bea.token })).data?.mfaPolicy.allowedFactorTypes, [
      'totp',
      'email',
    ]);
    assert.equal((await app.graphql(SIGN_IN_POLICY, { token: bea.token })).data?.mfaPolicy.trustedDeviceDays, 30);
    const events = await app.graphql(AUDIT_EVENTS, { token: admin.token, variables: { first: 100 } });
    const changes = events
      .data!.auditEvents.edges.map((edge) => edge.node)
      .filter((event) => event.type === 'mfa.policy_changed')
      .map(({ actorId, details }) => ({ actorId, details }));
    assert.deepEqual(changes, [
      { actorId: admin.id, details: { allowedFactorTypes: ['totp', 'email'], passkeySignIn: true } },
      { actorId: admin.id, details: { trustedDeviceDays: 30, passkeySignIn: false } },
    ]);
  });

  it('remembers the device: a 256-bit token stored as its hash; login with it is a full session that passed no factor', async () => {
    const cyd = await rememberedUser('cyd');
    assert.match(cyd.deviceToken, /^mfa_dt_[A-Za-z0-9_-]{43}$/);
    const stored = await app.database.connection
      .db!.collection('trustedDevices')
      .findOne({ userId: new Types.ObjectId(cyd.id) });
    assert.equal(stored?.tokenHash, hashToken(cyd.deviceToken));
    assert.ok(!JSON.stringify(stored).includes(cyd.deviceToken), 'the token itself is not stored');

    const login = await loginWithDevice(app, 'cyd', cyd.deviceToken);
    assert.deepEqual(
      [login.data?.login.mfaRequired, login.data?.login.enrollmentRequired, login.data?.login.mfaToken],
      [false, false, null],
      JSON.stringify(login.errors),
    );
    const token = login.data!.login.accessToken!;
    assert.equal((await me(token)).data?.me?.username, 'cyd', 'the session stands while MFA is on');
    const session = (await app.graphql(SESSIONS, { token })).data!.sessions.find((listed) => listed.current)!;
    assert.deepEqual([session.method, session.mfaVerifiedAt], ['trusted_device', null]);

    const [device] = await devices(token);
    assert.ok(device.lastUsedAt, 'lastUsedAt is set by the login');
    assert.ok(device.expiresAt > device.createdAt);
    assert.equal(new Date(device.expiresAt).getTime() - new Date(device.createdAt).getTime(), 30 * DAY_MS);

    assert.deepEqual(
      (await auditOf(cyd.id, 'mfa.trusted_device_issued')).map((event) => event.details),
      [{ deviceId: device.id, days: 30 }],
    );
    assert.deepEqual(
      (await auditOf(cyd.id, 'mfa.trusted_device_used')).map((event) => event.details),
      [{ deviceId: device.id }],
    );
    const everything = JSON.stringify(await app.database.connection.db!.collection('auditEvents').find({}).toArray());
    assert.ok(!everything.includes(cyd.deviceToken) && !everything.includes(hashToken(cyd.deviceToken)));
    assert.ok(!app.logLines.some((line) => line.includes(cyd.deviceToken)), 'never in the log');
  });

  it('never stands in for step-up: a device session is asked for a fresh factor before sensitive changes', async () => {
    const dot = await rememberedUser('dot');
    const token = (await loginWithDevice(app, 'dot', dot.deviceToken)).data!.login.accessToken!;
    assert.equal(
      errorCode(await app.graphql(CREATE_API_KEY, { token, variables: { input: { name: 'script' } } })),
      'STEP_UP_REQUIRED',
    );
    assert.equal(
      errorCode(
        await app.graphql(CHANGE_PASSWORD, {
          token,
          variables: { input: { currentPassword: TEST_PASSWORD, newPassword: 'violet harbour lantern 7' } },
        }),
      ),
      'STEP_UP_REQUIRED',
    );
    const disabled = await app.graphql(DISABLE_MFA, { token, variables: { input: { password: TEST_PASSWORD } } });
    assert.equal(errorCode(disabled), 'BAD_USER_INPUT', 'disableMfa still needs a code');
    assert.equal((await me(token)).data?.me?.mfaEnabled, true);
  });

  it('lists your devices (never another user’s) and revokes one: NOT_FOUND after, and the sessions it opened end', async () => {
    const eve = await rememberedUser('eve');
    const fay = await rememberedUser('fay');
    const deviceSession = (await loginWithDevice(app, 'eve', eve.deviceToken)).data!.login.accessToken!;
    const [listed] = await devices(eve.token);
    assert.equal((await devices(eve.token)).length, 1);
    const [faysDevice] = await devices(fay.token);
    const revoke = (token: string, id: string) => app.graphql(REVOKE_DEVICE, { token, variables: { input: { id } } });
    assert.equal(errorCode(await revoke(eve.token, faysDevice.id)), 'NOT_FOUND', "another user's device");
    assert.ok(await skipsSecondFactor('fay', fay.deviceToken), "fay's device untouched");
    assert.equal(errorCode(await revoke(eve.token, 'not-an-id')), 'NOT_FOUND');
    assert.equal(errorCode(await revoke(eve.token, new Types.ObjectId().toHexString())), 'NOT_FOUND');

    assert.equal((await revoke(eve.token, listed.id)).data?.revokeTrustedDevice, true);
    assert.equal(errorCode(await revoke(eve.token, listed.id)), 'NOT_FOUND', 'already revoked');
    assert.deepEqual(await devices(eve.token), []);
    assert.equal(await works(deviceSession), false, 'the session the device opened ended');
    assert.ok(await works(eve.token), 'the session that passed a factor stays');
    assert.equal((await loginWithDevice(app, 'eve', eve.deviceToken)).data?.login.mfaRequired, true);
    assert.deepEqual(
      (await auditOf(eve.id, 'mfa.trusted_device_revoked')).map((event) => event.details),
      [{ count: 1, reason: 'revoked_by_owner', deviceId: listed.id, sessionsEnded: 1 }],
    );
  });

  it('revokeOtherSessions and an admin’s revokeUserSessions forget every device', async () => {
    const gus = await rememberedUser('gus');
    const second = (await rememberedSignIn(app, gus, clock)).deviceToken!;
    assert.equal((await devices(gus.token)).length, 2);
    assert.equal(errorCode(await app.graphql(REVOKE_OTHER_SESSIONS, { token: gus.token })), undefined);
    assert.deepEqual(await devices(gus.token), []);
    for (const token of [gus.deviceToken, second])
      assert.equal((await loginWithDevice(app, 'gus', token)).data?.login.mfaRequired, true);

    const hal = await rememberedUser('hal');
    await admin.stepUp();
    const revoked = await app.graphql(REVOKE_USER_SESSIONS, {
      token: admin.token,
      variables: { input: { userId: hal.id } },
    });
    assert.equal(revoked.errors, undefined, JSON.stringify(revoked.errors));
    assert.equal((await loginWithDevice(app, 'hal', hal.deviceToken)).data?.login.mfaRequired, true);
    assert.deepEqual(
      (await auditOf(hal.id, 'mfa.trusted_device_revoked')).map(({ details, actorId }) => [details, String(actorId)]),
      [[{ count: 1, reason: 'revoked_by_admin' }, admin.id]],
    );
  });

  it('dies with a password change, an admin’s reset demand, a deactivation, and factors removed by an admin', async () => {
    // changePassword (with the fresh proof it needs)
    const ivy = await rememberedUser('ivy');
    const stepped = await app.graphql(STEP_UP, {
      token: ivy.token,
      variables: { input: { code: totpCode(ivy.totp.secret, clock) } },
    });
    assert.equal(stepped.data?.stepUp, true, JSON.stringify(stepped.errors));
    clock.nextStep();
    const newPassword = 'violet harbour lantern 7';
    const changed = await app.graphql(CHANGE_PASSWORD, {
      token: ivy.token,
      variables: { input: { currentPassword: TEST_PASSWORD, newPassword } },
    });
    assert.equal(changed.data?.changePassword, true, JSON.stringify(changed.errors));
    assert.equal((await loginWithDevice(app, 'ivy', ivy.deviceToken, newPassword)).data?.login.mfaRequired, true);

    // requireUserPasswordReset: the password no longer signs in, and the device is gone for after the reset
    const joe = await rememberedUser('joe');
    await admin.stepUp();
    await app.graphql(REQUIRE_RESET, { token: admin.token, variables: { input: { userId: joe.id } } });
    assert.equal(errorCode(await loginWithDevice(app, 'joe', joe.deviceToken)), 'PASSWORD_RESET_REQUIRED');
    assert.equal(
      await app.database.connection.db!.collection('trustedDevices').countDocuments({
        userId: new Types.ObjectId(joe.id),
        revokedAt: { $exists: false },
      }),
      0,
    );

    // deactivation, then reactivation: the device does not come back
    const kit = await rememberedUser('kit');
    await admin.stepUp();
    await app.graphql(DEACTIVATE_USER, { token: admin.token, variables: { input: { userId: kit.id } } });
    assert.equal(errorCode(await loginWithDevice(app, 'kit', kit.deviceToken)), 'INVALID_CREDENTIALS');
    await app.graphql(REACTIVATE_USER, { token: admin.token, variables: { input: { userId: kit.id } } });
    assert.equal((await loginWithDevice(app, 'kit', kit.deviceToken)).data?.login.mfaRequired, true);

    // an admin removes the factors; the user enrolls again: the old device does not skip the new factor
    const lou = await rememberedUser('lou');
    await admin.stepUp();
    const removed = await app.graphql(DISABLE_MFA, { token: admin.token, variables: { input: { userId: lou.id } } });
    assert.equal(removed.errors, undefined, JSON.stringify(removed.errors));
    const again = await logIn(app, 'lou');
    await enrollTotp(app, again, clock);
    assert.equal((await loginWithDevice(app, 'lou', lou.deviceToken)).data?.login.mfaRequired, true);
    assert.deepEqual(
      (await auditOf(lou.id, 'mfa.trusted_device_revoked')).map((event) => event.details?.reason),
      ['factors_removed'],
    );
  });

  it('never for admins: no token at verifyMfa, and a user made admin loses theirs', async () => {
    const adminDevice = await rememberedSignIn(
      app,
      { username: 'root', totp: admin.totp },
      clock,
      ADMIN_ENV.ADMIN_PASSWORD,
    );
    assert.equal(adminDevice.deviceToken, null, 'an admin is never remembered');

    const max: MfaUser & { deviceToken: string } = await rememberedUser('max');
    await admin.stepUp();
    const promoted = await app.graphql(SET_USER_ROLE, {
      token: admin.token,
      variables: { input: { userId: max.id, role: 'ADMIN' } },
    });
    assert.equal(promoted.data?.setUserRole.role, 'ADMIN', JSON.stringify(promoted.errors));
    assert.equal((await loginWithDevice(app, 'max', max.deviceToken)).data?.login.mfaRequired, true);
    await app.graphql(SET_USER_ROLE, { token: admin.token, variables: { input: { userId: max.id, role: 'USER' } } });
    assert.equal(
      (await loginWithDevice(app, 'max', max.deviceToken)).data?.login.mfaRequired,
      true,
      'demoted again: still forgotten',
    );
  });

  it('expires after trustedDeviceDays, and a lower policy shortens devices already remembered', async () => {
    const ned = await rememberedUser('ned'); // remembered for 30 days
    const [remembered] = await devices(ned.token);
    clock.advance(DAY_MS);
    await setPolicy(app, admin, { trustedDeviceDays: 2 });
    assert.ok(await skipsSecondFactor('ned', ned.deviceToken), 'a day old, under the new 2 days');
    clock.advance(DAY_MS + 60_000);
    assert.equal((await loginWithDevice(app, 'ned', ned.deviceToken)).data?.login.mfaRequired, true, 'past 2 days');
    assert.deepEqual(await devices(ned.token), [], 'no longer listed');

    await setPolicy(app, admin, { trustedDeviceDays: 30 });
    assert.ok(
      await skipsSecondFactor('ned', ned.deviceToken),
      'raised again, it works up to its own 30 days (never past them)',
    );
    clock.advance(28 * DAY_MS);
    assert.equal((await loginWithDevice(app, 'ned', ned.deviceToken)).data?.login.mfaRequired, true, 'past 30 days');
    assert.equal(new Date(remembered.expiresAt).getTime() <= clock.now().getTime(), true);
  });
});
