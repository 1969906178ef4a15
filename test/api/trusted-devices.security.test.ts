import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Types } from 'mongoose';
import {
  ChangePasswordDocument as CHANGE_PASSWORD,
  DisableMfaDocument as DISABLE_MFA,
  LoginDocument as LOGIN,
  MeDocument as ME,
  RequestPasswordResetDocument as REQUEST_RESET,
  ResetPasswordDocument as RESET,
  RevokeOtherSessionsDocument as REVOKE_OTHER_SESSIONS,
  RevokeTrustedDeviceDocument as REVOKE_DEVICE,
  StepUpDocument as STEP_UP,
  TrustedDevicesDocument as TRUSTED_DEVICES,
} from '../generated/graphql.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import { userWithTotp, type MfaUser } from '../support/attacker.js';
import { graphqlFrom } from '../support/client-address.js';
import { accountTokenIn, nextMail, queueDrained, verifyAddress } from '../support/email.js';
import { TEST_PASSWORD } from '../support/accounts.js';
import { TestClock, mfaToken, totpCode } from '../support/mfa.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { errorCode, startTestApp, type GraphQLResponse, type TestApp } from '../support/test-app.js';
import { loginWithDevice, rememberedSignIn, setPolicy } from '../support/trusted-devices.js';

type LoginResponse = Awaited<ReturnType<typeof loginWithDevice>>;

/** Device tokens as an attacker would try them: someone else's, forged, malformed, raced against revocation. */
describe('trusted devices under attack', () => {
  const clock = new TestClock();
  let sink: SmtpSink;
  let app: TestApp;
  let admin: MfaAdmin;
  const devicesCollection = () =>
    app.database.connection.db!.collection<{ lastUsedAt?: Date; userId: Types.ObjectId }>('trustedDevices');
  const works = async (token: string) => errorCode(await app.graphql(ME, { token })) === undefined;
  const rememberedUser = async (username: string) => {
    const user = await userWithTotp(app, clock, username);
    const { accessToken, deviceToken } = await rememberedSignIn(app, user, clock);
    assert.ok(deviceToken);
    return { ...user, token: accessToken, deviceToken };
  };
  /** What a login answer shows, with the tokens left out: an ignored device token must change nothing of it. */
  const shape = (response: LoginResponse) => {
    const login = response.data?.login;
    return {
      errors: response.errors?.map((error) => error.extensions?.code),
      mfaRequired: login?.mfaRequired,
      accessToken: typeof login?.accessToken,
      mfaToken: typeof login?.mfaToken,
      factors: login?.factors?.map((factor) => factor.type),
      user: login?.user,
    };
  };
  const refusals = (userId: string) =>
    app.database.connection
      .db!.collection<{ details?: { reason?: string } }>('auditEvents')
      .find({ userId: new Types.ObjectId(userId), type: 'mfa.trusted_device_refused' })
      .toArray();

  /** A login with the user's device token: the session it opened without a second factor. */
  const deviceSession = async (user: { username: string; deviceToken: string }) => {
    const login = await loginWithDevice(app, user.username, user.deviceToken);
    assert.equal(login.data?.login.mfaRequired, false, JSON.stringify(login));
    const token = login.data.login.accessToken!;
    assert.ok(await works(token));
    return token;
  };
  const devicesRevoked = (userId: string) =>
    app.database.connection
      .db!.collection<{ details: { reason: string } }>('auditEvents')
      .find({ userId: new Types.ObjectId(userId), type: 'mfa.trusted_device_revoked' })
      .toArray();

  before(async () => {
    sink = await startSmtpSink();
    app = await startTestApp({ ...ADMIN_ENV, SMTP_URL: sink.url }, { clock: clock.now });
    admin = await adminWithMfa(app, clock);
    await setPolicy(app, admin, { trustedDeviceDays: 30 });
  });
  after(async () => {
    await app?.stop();
    await sink?.stop();
  });

  it("another user's device token does nothing on your login: the answer is the one without it", async () => {
    const amy = await rememberedUser('amy');
    const ben = await rememberedUser('ben');
    const before = await devicesCollection().findOne({ userId: new Types.ObjectId(amy.id) });
    const plain = await app.graphql(LOGIN, {
      variables: { input: { username: 'ben', password: 'a test password 1' } },
    });
    const withAmys = await loginWithDevice(app, 'ben', amy.deviceToken);
    assert.deepEqual(shape(withAmys), shape(plain));
    assert.deepEqual(shape(withAmys).mfaRequired, true);
    const after = await devicesCollection().findOne({ userId: new Types.ObjectId(amy.id) });
    assert.deepEqual(after?.lastUsedAt, before?.lastUsedAt, "amy's device was not touched");
    assert.deepEqual(
      (await refusals(ben.id)).map((event) => event.details),
      [{ reason: 'unknown' }],
    );
    assert.equal((await loginWithDevice(app, 'amy', amy.deviceToken)).data?.login.mfaRequired, false);
  });

  it('forged, malformed, other kinds of tokens and tampered ones fall back to the second factor; never an error', async () => {
    const cal = await rememberedUser('cal');
    const plain = shape(
      await app.graphql(LOGIN, { variables: { input: { username: 'cal', password: 'a test password 1' } } }),
    );
    const flipped = cal.deviceToken.slice(0, -1) + (cal.deviceToken.endsWith('A') ? 'B' : 'A');
    const tries = [
      '',
      'mfa_dt_',
      `mfa_dt_${randomBytes(32).toString('base64url')}`,
      flipped,
      cal.deviceToken.slice(0, -1),
      `${cal.deviceToken}A`,
      cal.deviceToken.toUpperCase(),
      cal.token, // the user's own access token
      await mfaToken(app, 'cal'),
      `mfa_dt_${'A'.repeat(43)}`,
      'x'.repeat(200),
      "mfa_dt_' || '1'=='1",
      '{"$gt": ""}',
    ];
    for (const deviceToken of tries)
      assert.deepEqual(shape(await loginWithDevice(app, 'cal', deviceToken)), plain, deviceToken);
    const tooLong = await loginWithDevice(app, 'cal', `mfa_dt_${'A'.repeat(300)}`);
    assert.equal(errorCode(tooLong), 'BAD_USER_INPUT', 'over 200 characters is malformed input');
    assert.ok(!JSON.stringify(tooLong).includes('A'.repeat(50)), 'and not echoed');
    // A device token is not a bearer token.
    const asBearer = await app.graphql(ME, { token: cal.deviceToken });
    assert.equal(asBearer.status, 401);
    assert.equal((await loginWithDevice(app, 'cal', cal.deviceToken)).data?.login.mfaRequired, false, 'still works');
  });

  it('never replaces the password: a wrong password with a good device token is INVALID_CREDENTIALS and uses nothing', async () => {
    const dee = await rememberedUser('dee');
    const stored = () => devicesCollection().findOne({ userId: new Types.ObjectId(dee.id) });
    const before = await stored();
    const refused = await loginWithDevice(app, 'dee', dee.deviceToken, 'not the password at all');
    assert.equal(errorCode(refused), 'INVALID_CREDENTIALS');
    assert.equal(refused.data, null);
    assert.deepEqual((await stored())?.lastUsedAt, before?.lastUsedAt);
    assert.equal(
      await app.database.connection
        .db!.collection('auditEvents')
        .countDocuments({ userId: new Types.ObjectId(dee.id), type: 'mfa.trusted_device_used' }),
      0,
    );
  });

  it('20 parallel logins racing revokeTrustedDevice: no session opened by the device outlives the revocation', async () => {
    for (let round = 0; round < 3; round++) {
      const user: MfaUser & { deviceToken: string } = await rememberedUser(`eli${round}`);
      const [device] = (await app.graphql(TRUSTED_DEVICES, { token: user.token })).data!.trustedDevices;
      const logins = Array.from({ length: 20 }, (_, i) =>
        graphqlFrom(app, `127.0.${10 + round}.${i + 1}`, LOGIN, {
          variables: {
            input: { username: user.username, password: 'a test password 1', deviceToken: user.deviceToken },
          },
        }),
      );
      const revoked = app.graphql(REVOKE_DEVICE, { token: user.token, variables: { input: { id: device.id } } });
      const [answers, revocation] = await Promise.all([Promise.all(logins), revoked]);
      assert.equal(revocation.data?.revokeTrustedDevice, true, JSON.stringify(revocation.errors));
      assertEveryAnswerIsSignInOrSecondFactor(answers);
      const sessions = answers
        .map((answer) => answer.data?.login.accessToken)
        .filter((token) => token !== null && token !== undefined);
      assert.deepEqual(
        await Promise.all(sessions.map(works)),
        sessions.map(() => false),
        `round ${round}`,
      );
      assert.equal((await loginWithDevice(app, user.username, user.deviceToken)).data?.login.mfaRequired, true);
    }
  });

  it('a revocation landing between the device check and the session: the login falls back, no session stands', async () => {
    // The window is a few milliseconds wide; the login is held inside it (after the device was found, before the
    // session is issued) while the revocations run over HTTP, so each interleaving is tried for certain.
    const devices = app.services.trustedDevices;
    const use = devices.use.bind(devices);
    const revocations: Array<[string, (user: MfaUser, deviceId: string) => Promise<GraphQLResponse<unknown>>]> = [
      [
        'revokeTrustedDevice',
        (user, id) => app.graphql(REVOKE_DEVICE, { token: user.token, variables: { input: { id } } }),
      ],
      ['revokeOtherSessions', (user) => app.graphql(REVOKE_OTHER_SESSIONS, { token: user.token })],
    ];
    try {
      for (const [index, [name, revoke]] of revocations.entries()) {
        const user = await rememberedUser(`gap${index}`);
        const [device] = (await app.graphql(TRUSTED_DEVICES, { token: user.token })).data!.trustedDevices;
        let found!: () => void;
        let release!: () => void;
        const deviceFound = new Promise<void>((resolve) => (found = resolve));
        const released = new Promise<void>((resolve) => (release = resolve));
        devices.use = async (...args) => {
          const result = await use(...args);
          found();
          await released;
          return result;
        };
        const login = loginWithDevice(app, user.username, user.deviceToken);
        await deviceFound;
        assert.equal(errorCode(await revoke(user, device.id)), undefined, name);
        release();
        const answer = await login;
        assert.equal(answer.data?.login.mfaRequired, true, `${name}: ${JSON.stringify(answer)}`);
        assert.equal(answer.data?.login.accessToken, null);
        devices.use = use;
      }
    } finally {
      devices.use = use;
    }
  });

  it('20 parallel logins racing revokeOtherSessions: none of their sessions stands afterwards', async () => {
    const fox = await rememberedUser('fox');
    const logins = Array.from({ length: 20 }, (_, i) =>
      graphqlFrom(app, `127.0.20.${i + 1}`, LOGIN, {
        variables: { input: { username: 'fox', password: 'a test password 1', deviceToken: fox.deviceToken } },
      }),
    );
    const [answers, revoked] = await Promise.all([
      Promise.all(logins),
      app.graphql(REVOKE_OTHER_SESSIONS, { token: fox.token }),
    ]);
    assert.equal(revoked.errors, undefined, JSON.stringify(revoked.errors));
    assertEveryAnswerIsSignInOrSecondFactor(answers);
    const sessions = answers
      .map((answer) => answer.data?.login.accessToken)
      .filter((token) => typeof token === 'string');
    assert.deepEqual(
      await Promise.all(sessions.map(works)),
      sessions.map(() => false),
    );
    assert.ok(await works(fox.token), 'the calling session stays');
  });

  it('trustedDeviceDays 0 stops every device at once, and turning it on again brings none back', async () => {
    const gia = await rememberedUser('gia');
    const hoa = await rememberedUser('hoa');
    await setPolicy(app, admin, { trustedDeviceDays: 0 });
    for (const user of [gia, hoa])
      assert.equal((await loginWithDevice(app, user.username, user.deviceToken)).data?.login.mfaRequired, true);
    assert.deepEqual((await app.graphql(TRUSTED_DEVICES, { token: gia.token })).data?.trustedDevices, []);
    await setPolicy(app, admin, { trustedDeviceDays: 30 });
    for (const user of [gia, hoa])
      assert.equal((await loginWithDevice(app, user.username, user.deviceToken)).data?.login.mfaRequired, true);
    assert.deepEqual(
      (await refusals(gia.id)).map((event) => event.details?.reason),
      ['policy_off', 'unknown'],
    );
    const fresh = (await rememberedSignIn(app, gia, clock)).deviceToken!;
    assert.equal(
      (await loginWithDevice(app, 'gia', fresh)).data?.login.mfaRequired,
      false,
      'new devices are remembered',
    );
  });

  it("trustedDeviceDays 0 also ends the sessions remembered devices opened, every user's; other sessions stay", async () => {
    const jon = await rememberedUser('jon');
    const kim = await rememberedUser('kim');
    const opened = [await deviceSession(jon), await deviceSession(kim)];
    await setPolicy(app, admin, { trustedDeviceDays: 0 });
    try {
      assert.deepEqual(await Promise.all(opened.map(works)), [false, false], 'what the devices let in ends with them');
      assert.deepEqual(
        await Promise.all([jon.token, kim.token].map(works)),
        [true, true],
        'sessions that proved a second factor stay',
      );
      const [event] = await app.database.connection
        .db!.collection<{ details: { reason: string; sessionsEnded: number } }>('auditEvents')
        .find({ type: 'mfa.trusted_device_revoked', 'details.reason': 'policy_off' })
        .sort({ _id: -1 })
        .limit(1)
        .toArray();
      assert.ok(event.details.sessionsEnded >= 2, JSON.stringify(event.details));
    } finally {
      await setPolicy(app, admin, { trustedDeviceDays: 30 });
    }
  });

  it("removing a user's factors ends the sessions their devices opened: the owner's disableMfa, and an admin's", async () => {
    const lea = await rememberedUser('lea');
    const leaDevice = await deviceSession(lea);
    const removed = await app.graphql(DISABLE_MFA, {
      token: lea.token,
      variables: { input: { password: TEST_PASSWORD, code: totpCode(lea.totp.secret, clock) } },
    });
    assert.equal(removed.data?.disableMfa.factors.length, 0, JSON.stringify(removed.errors));
    clock.nextStep();
    assert.equal(await works(leaDevice), false, 'the device vouched for the factors the user removed');
    assert.equal(await works(lea.token), true, 'the session that removed them stays');
    assert.deepEqual(
      (await devicesRevoked(lea.id)).map((event) => event.details),
      [{ count: 1, reason: 'factors_removed', sessionsEnded: 1 }],
    );

    const max = await rememberedUser('max');
    const maxDevice = await deviceSession(max);
    await admin.stepUp();
    const removedByAdmin = await app.graphql(DISABLE_MFA, {
      token: admin.token,
      variables: { input: { userId: max.id } },
    });
    assert.equal(removedByAdmin.errors, undefined, JSON.stringify(removedByAdmin.errors));
    assert.equal(await works(maxDevice), false);
    assert.equal((await devicesRevoked(max.id))[0]?.details.reason, 'factors_removed');
  });

  it('revokeOtherSessions from a session a remembered device opened keeps that session and ends every other', async () => {
    const ned = await rememberedUser('ned');
    const [mine, other] = [await deviceSession(ned), await deviceSession(ned)];
    const revoked = await app.graphql(REVOKE_OTHER_SESSIONS, { token: mine });
    // The other device session, the sign-in that remembered the device, and the sign-up's.
    assert.equal(revoked.data?.revokeOtherSessions, 3, JSON.stringify(revoked));
    assert.deepEqual(await Promise.all([mine, other, ned.token].map(works)), [true, false, false]);
    assert.equal(
      (await loginWithDevice(app, 'ned', ned.deviceToken)).data?.login.mfaRequired,
      true,
      'device forgotten',
    );
  });

  it('a password changed in a session a remembered device opened: that session goes on, every other ends', async () => {
    const ora = await rememberedUser('ora');
    const [mine, other] = [await deviceSession(ora), await deviceSession(ora)];
    const stepped = await app.graphql(STEP_UP, {
      token: mine,
      variables: { input: { code: totpCode(ora.totp.secret, clock) } },
    });
    assert.equal(stepped.data?.stepUp, true, JSON.stringify(stepped.errors));
    clock.nextStep();
    const newPassword = 'another passphrase 8';
    const changed = await app.graphql(CHANGE_PASSWORD, {
      token: mine,
      variables: { input: { currentPassword: TEST_PASSWORD, newPassword } },
    });
    assert.equal(changed.data?.changePassword, true, JSON.stringify(changed.errors));
    assert.deepEqual(await Promise.all([mine, other, ora.token].map(works)), [true, false, false]);
    assert.equal(
      (await loginWithDevice(app, 'ora', ora.deviceToken, newPassword)).data?.login.mfaRequired,
      true,
      'the device was forgotten with the old password',
    );
  });

  it('a password reset by mail forgets every device of the account', async () => {
    const ida = await rememberedUser('ida');
    await verifyAddress(app, sink, ida.token, 'ida@example.com');
    const seen = sink.mails.length;
    assert.equal(
      (await app.graphql(REQUEST_RESET, { variables: { input: { username: 'ida' } } })).data?.requestPasswordReset,
      true,
    );
    await app.services.passwordReset.settled();
    await queueDrained(app);
    const token = accountTokenIn(await nextMail(sink, 'ida@example.com', /password/i, seen));
    const newPassword = 'a brand new passphrase 7';
    const reset = await app.graphql(RESET, { variables: { input: { token, newPassword } } });
    assert.equal(reset.data?.resetPassword, true, JSON.stringify(reset.errors));
    assert.equal((await loginWithDevice(app, 'ida', ida.deviceToken, newPassword)).data?.login.mfaRequired, true);
  });
});

/**
 * Each raced login signed in with the device or asked for the second factor, or found the hashing queue full (the
 * password is checked first, and 20 at once may exceed the queue on a small machine): never another error, never a 500.
 */
function assertEveryAnswerIsSignInOrSecondFactor(answers: Array<GraphQLResponse<{ login: { mfaRequired: boolean } }>>) {
  for (const answer of answers) {
    assert.equal(answer.status, 200);
    if (answer.errors) assert.equal(errorCode(answer), 'SERVICE_UNAVAILABLE', JSON.stringify(answer.errors));
    else assert.equal(typeof answer.data?.login.mfaRequired, 'boolean');
  }
  assert.ok(answers.filter((answer) => !answer.errors).length >= 10, 'most logins were answered');
}
