import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Types } from 'mongoose';
import {
  CreateApiKeyDocument as CREATE_API_KEY,
  DisableMfaDocument as DISABLE_MFA,
  EnableMfaDocument as ENABLE_MFA,
  LoginDocument as LOGIN,
  MyMfaDocument as MY_MFA,
  StepUpDocument as STEP_UP,
  UpdateFactorDocument as UPDATE_FACTOR,
  type DisableMfaInput,
} from '../generated/graphql.js';
import type { UserModel, UserRecord } from '../../src/accounts/user.model.js';
import { TEST_PASSWORD, signUpAndLogIn } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import {
  alignToFreshStep,
  auditCount,
  failuresOf,
  storedFactors,
  storedUser,
  tally,
  userWithTotp,
} from '../support/attacker.js';
import { enrollEmail, sendAndReadCode } from '../support/email.js';
import { TestClock, enrollTotp, mfaToken, totpCode, wrongTotpCode, type EnrolledTotp } from '../support/mfa.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { errorCode, startTestApp, type GraphQLResponse, type TestApp } from '../support/test-app.js';

const ANY_FACTOR = /any of your factors, or one of your recovery codes/;

/** A user with an authenticator app (A) and an e-mail factor (B), a full session, and the recovery codes. */
interface TwoFactorUser {
  id: string;
  token: string;
  address: string;
  totp: EnrolledTotp;
  emailFactorId: string;
}

describe('factor management: renaming a factor, and removing one with a proof from any factor', () => {
  const clock = new TestClock();
  let sink: SmtpSink;
  let app: TestApp;
  let admin: MfaAdmin;

  before(async () => {
    sink = await startSmtpSink();
    app = await startTestApp({ ...ADMIN_ENV, SMTP_URL: sink.url }, { clock: clock.now });
    admin = await adminWithMfa(app, clock);
  });
  after(async () => {
    await app?.stop();
    await sink?.stop();
  });

  async function twoFactorUser(username: string): Promise<TwoFactorUser> {
    const { id, token } = await signUpAndLogIn(app, username);
    const address = `${username}@example.com`;
    const totp = await enrollTotp(app, token, clock); // accepting it is the fresh proof adding the second factor needs
    const { factorId } = await enrollEmail(app, sink, token, address);
    return { id, token, address, totp, emailFactorId: factorId };
  }

  /** A fresh code mailed for the e-mail factor to the signed-in session (after the 30 s resend cooldown). */
  async function emailCode(user: TwoFactorUser): Promise<string> {
    clock.advance(31_000);
    return sendAndReadCode(app, sink, { factorId: user.emailFactorId }, user.address, user.token);
  }

  const disable = (token: string, input: DisableMfaInput) =>
    app.graphql(DISABLE_MFA, { token, variables: { input: { password: TEST_PASSWORD, ...input } } });
  const factorIdsOf = async (id: string) =>
    (await storedFactors(app, id)).map((factor) => factor._id.toHexString()).sort();
  const rename = (token: string | undefined, factorId: string, description: string) =>
    app.graphql(UPDATE_FACTOR, { token, variables: { input: { factorId, description } } });
  const descriptionOf = async (userId: string, factorId: string) =>
    (await storedFactors(app, userId)).find((factor) => factor._id.toHexString() === factorId)?.description;

  describe('updateFactor', () => {
    it('renames one of your own factors: the new label shows in me and at sign-in, audited without the text', async () => {
      const ula = await userWithTotp(app, clock, 'ula');
      const renamed = await rename(ula.token, ula.totp.factorId, 'work phone (Pixel 8) 📱');
      assert.equal(renamed.errors, undefined, JSON.stringify(renamed.errors));
      assert.deepEqual(
        [renamed.data!.updateFactor.id, renamed.data!.updateFactor.description, renamed.data!.updateFactor.status],
        [ula.totp.factorId, 'work phone (Pixel 8) 📱', 'ACTIVE'],
      );
      const me = (await app.graphql(MY_MFA, { token: ula.token })).data!.me!;
      assert.deepEqual(
        me.factors.map((factor) => factor.description),
        ['work phone (Pixel 8) 📱'],
      );
      const login = await app.graphql(LOGIN, { variables: { input: { username: 'ula', password: TEST_PASSWORD } } });
      assert.deepEqual(
        login.data!.login.factors?.map((factor) => factor.description),
        ['work phone (Pixel 8) 📱'],
      );

      const events = await app.database.connection
        .db!.collection('auditEvents')
        .find({ userId: new Types.ObjectId(ula.id), type: 'mfa.factor_renamed' })
        .toArray();
      assert.equal(events.length, 1);
      assert.deepEqual(events[0].details, { factorId: ula.totp.factorId, factorType: 'totp' });
      assert.equal(String(events[0].ip), '127.0.0.1');
    });

    it('needs no step-up: a label changes no security property', async () => {
      const vic = await userWithTotp(app, clock, 'vic');
      clock.advance(6 * 60_000); // the proof acceptMfa gave is now stale
      assert.equal(
        errorCode(await app.graphql(CREATE_API_KEY, { token: vic.token, variables: { input: { name: 'x' } } })),
        'STEP_UP_REQUIRED',
        'the session is indeed past the step-up age',
      );
      const renamed = await rename(vic.token, vic.totp.factorId, 'old phone');
      assert.equal(renamed.data?.updateFactor.description, 'old phone', JSON.stringify(renamed.errors));
    });

    it('only from your own full session: anonymous, mfaToken, enrollment-scoped, API key, another user and an admin are refused', async () => {
      const wes = await userWithTotp(app, clock, 'wes');
      await rename(wes.token, wes.totp.factorId, 'original');
      const apiKey = (await app.graphql(CREATE_API_KEY, { token: wes.token, variables: { input: { name: 'script' } } }))
        .data!.createApiKey.secret;
      const xia = await userWithTotp(app, clock, 'xia');
      await admin.stepUp();

      // An enrollment-scoped session, with its own PENDING factor.
      await signUpAndLogIn(app, 'yan');
      await app.database.connection
        .db!.collection('users')
        .updateOne({ usernameKey: 'yan' }, { $set: { mfaPolicyStatus: 'ENABLED' } });
      const yanLogin = (
        await app.graphql(LOGIN, { variables: { input: { username: 'yan', password: TEST_PASSWORD } } })
      ).data!.login;
      assert.equal(yanLogin.enrollmentRequired, true);
      const enrolling = yanLogin.accessToken!;
      const pending = (
        await app.graphql(ENABLE_MFA, {
          token: enrolling,
          variables: { input: { factorType: 'totp', description: 'as enrolled' } },
        })
      ).data!.enableMfa.factor;
      assert.equal(pending.status, 'PENDING');

      const missing = await rename(wes.token, new Types.ObjectId().toHexString(), 'hijacked');
      assert.equal(errorCode(missing), 'NOT_FOUND');
      const cases: Array<[string, GraphQLResponse<unknown>, string, number?]> = [
        ['anonymous', await rename(undefined, wes.totp.factorId, 'hijacked'), 'UNAUTHENTICATED'],
        ['mfaToken', await rename(await mfaToken(app, 'wes'), wes.totp.factorId, 'hijacked'), 'UNAUTHENTICATED', 401],
        ['API key', await rename(apiKey, wes.totp.factorId, 'hijacked'), 'FORBIDDEN'],
        ["another user's factor", await rename(xia.token, wes.totp.factorId, 'hijacked'), 'NOT_FOUND'],
        ["an admin, on a user's factor", await rename(admin.token, wes.totp.factorId, 'hijacked'), 'NOT_FOUND'],
        ['enrollment-scoped, its own PENDING factor', await rename(enrolling, pending.id, 'hijacked'), 'FORBIDDEN'],
      ];
      for (const [who, response, code, status] of cases) {
        assert.equal(errorCode(response), code, `${who}: ${JSON.stringify(response.errors)}`);
        if (status) assert.equal(response.status, status, who);
        if (code === 'NOT_FOUND')
          assert.equal(response.errors![0].message, missing.errors![0].message, `${who}: told apart from a missing id`);
      }
      assert.equal(await descriptionOf(wes.id, wes.totp.factorId), 'original');
      assert.equal(await descriptionOf(await userIdOf('yan'), pending.id), 'as enrolled');
      assert.equal(await auditCount(app, wes.id, 'mfa.factor_renamed'), 1, 'only the owner’s own rename');
    });

    it('refuses bad labels with BAD_USER_INPUT naming the field, and enableMfa refuses them alike', async () => {
      const zoe = await userWithTotp(app, clock, 'zoe');
      await rename(zoe.token, zoe.totp.factorId, 'kept');
      const bad = [
        '',
        '   ',
        'x'.repeat(101),
        'phone\u202Eenohp', // a right-to-left override that reverses what follows
        'line\nbreak',
        'tab\there',
        'zero\u200Bwidth',
        'bell\u0007',
      ];
      for (const description of bad) {
        const refused = await rename(zoe.token, zoe.totp.factorId, description);
        assert.equal(errorCode(refused), 'BAD_USER_INPUT', JSON.stringify(description));
        assert.deepEqual(
          (refused.errors![0].extensions!.fields as Array<{ field: string }>).map((failure) => failure.field),
          ['description'],
        );
        if (description.length > 1)
          assert.ok(!refused.errors![0].message.includes(description), 'the value is not echoed');
      }
      const overridden = await rename(zoe.token, zoe.totp.factorId, 'phone\u202Eenohp');
      assert.match(overridden.errors![0].message, /U\+202E/, 'says which character');
      assert.equal(errorCode(await rename(zoe.token, 'not-an-id', 'fine')), 'BAD_USER_INPUT');
      assert.equal(await descriptionOf(zoe.id, zoe.totp.factorId), 'kept');

      // Exactly 100 characters, emoji (with joiners and selectors) and accents are fine.
      for (const description of ['y'.repeat(100), '👩‍💻 laptop ❤️', 'téléphone d’Élodie'])
        assert.equal(
          (await rename(zoe.token, zoe.totp.factorId, description)).data?.updateFactor.description,
          description,
        );

      // enableMfa applies the same rule to the label given at enrollment.
      const { token } = await signUpAndLogIn(app, 'zed');
      const enabled = await app.graphql(ENABLE_MFA, {
        token,
        variables: { input: { factorType: 'totp', description: 'phone\u202Eenohp' } },
      });
      assert.equal(errorCode(enabled), 'BAD_USER_INPUT');
      assert.equal((await storedFactors(app, await userIdOf('zed'))).length, 0, 'no factor was started');
    });

    it('two renames racing: one label wins, whole, and the factor still signs in', async () => {
      const amy = await userWithTotp(app, clock, 'amy');
      const before = (await storedFactors(app, amy.id))[0];
      const labels = Array.from({ length: 8 }, (_, index) => `label number ${index} `.repeat(4).trim());
      const responses = await Promise.all(labels.map((label) => rename(amy.token, amy.totp.factorId, label)));
      assert.deepEqual(tally(responses), { OK: 8 });
      const after = (await storedFactors(app, amy.id))[0];
      assert.ok(labels.includes(after.description as string), `a whole label: ${String(after.description)}`);
      const { description: _before, ...untouchedBefore } = before;
      const { description: _after, ...untouchedAfter } = after;
      assert.deepEqual(untouchedAfter, untouchedBefore, 'nothing but the label changed');
      alignToFreshStep(clock);
      const stepped = await app.graphql(STEP_UP, {
        token: amy.token,
        variables: { input: { code: totpCode(amy.totp.secret, clock) } },
      });
      assert.equal(stepped.data?.stepUp, true, JSON.stringify(stepped.errors));
      clock.nextStep();
    });
  });

  async function userIdOf(username: string): Promise<string> {
    const user = await app.database.connection.db!.collection('users').findOne({ usernameKey: username });
    return user!._id.toHexString();
  }

  describe('disableMfa for one factor: a code from any ACTIVE factor, or a recovery code', () => {
    it("removes the authenticator app with the e-mail factor's code (the phone is lost); the code is spent", async () => {
      const bea = await twoFactorUser('bea');
      const code = await emailCode(bea);
      const removed = await disable(bea.token, { factorId: bea.totp.factorId, code });
      assert.equal(removed.errors, undefined, JSON.stringify(removed.errors));
      assert.deepEqual(
        removed.data!.disableMfa.factors.map((factor) => factor.id),
        [bea.emailFactorId],
      );
      assert.deepEqual(
        [removed.data!.disableMfa.mfaEnabled, removed.data!.disableMfa.mfaPolicyStatus],
        [true, 'ENABLED'],
      );

      const replayed = await disable(bea.token, { factorId: bea.emailFactorId, code });
      assert.equal(errorCode(replayed), 'INVALID_CODE', 'the e-mailed code worked once');
      assert.match(replayed.errors![0].message, /already used\. Ask for a new code/, 'a spent code says so');
      assert.deepEqual(await factorIdsOf(bea.id), [bea.emailFactorId]);

      // The last ACTIVE factor, with a recovery code: MFA goes off for a user.
      const last = await disable(bea.token, { factorId: bea.emailFactorId, recoveryCode: bea.totp.scratchCodes[0] });
      assert.equal(last.errors, undefined, JSON.stringify(last.errors));
      assert.deepEqual(
        [
          last.data!.disableMfa.factors,
          last.data!.disableMfa.mfaPolicyStatus,
          last.data!.disableMfa.recoveryCodesRemaining,
        ],
        [[], 'DISABLED', 0],
      );
    });

    it("removes the e-mail factor with the authenticator app's code, and a factor with its own code", async () => {
      const cal = await twoFactorUser('cal');
      const emailBefore = (await storedFactors(app, cal.id)).find((factor) => factor.type === 'email')!;
      alignToFreshStep(clock);
      const code = totpCode(cal.totp.secret, clock);
      const removed = await disable(cal.token, { factorId: cal.emailFactorId, code });
      assert.equal(removed.errors, undefined, JSON.stringify(removed.errors));
      assert.deepEqual(await factorIdsOf(cal.id), [cal.totp.factorId]);
      assert.ok(emailBefore, 'the e-mail factor was there');
      assert.equal(
        errorCode(await disable(cal.token, { factorId: cal.totp.factorId, code })),
        'INVALID_CODE',
        'the same TOTP step does not work twice',
      );
      clock.nextStep();

      const dan = await twoFactorUser('dan');
      const codeFailuresBefore = (await storedFactors(app, dan.id)).find(
        (factor) => factor.type === 'email',
      )!.codeFailures;
      alignToFreshStep(clock);
      const own = await disable(dan.token, { factorId: dan.totp.factorId, code: totpCode(dan.totp.secret, clock) });
      clock.nextStep();
      assert.equal(own.errors, undefined, JSON.stringify(own.errors));
      assert.deepEqual(await factorIdsOf(dan.id), [dan.emailFactorId]);
      const email = (await storedFactors(app, dan.id))[0];
      assert.equal(
        email.codeFailures,
        codeFailuresBefore,
        "a code an authenticator app took used none of the e-mail code's tries",
      );
      const verified = await app.database.connection.db!.collection('auditEvents').findOne({
        userId: new Types.ObjectId(dan.id),
        type: 'mfa.verification_succeeded',
        'details.purpose': 'disable-mfa',
      });
      const details = verified?.details as { factorId?: string; factorType?: string } | undefined;
      assert.deepEqual(
        [details?.factorId, details?.factorType],
        [dan.totp.factorId, 'totp'],
        'the audit names the factor whose code was given',
      );
    });

    it("a valid code of another user's factor is INVALID_CODE, says which codes count, and removes nothing", async () => {
      const eli = await twoFactorUser('eli');
      const fay = await userWithTotp(app, clock, 'fay');
      alignToFreshStep(clock);
      for (const factorId of [eli.totp.factorId, eli.emailFactorId, undefined]) {
        const refused = await disable(eli.token, { factorId, code: totpCode(fay.totp.secret, clock) });
        assert.equal(errorCode(refused), 'INVALID_CODE', JSON.stringify(refused.errors));
        assert.match(refused.errors![0].message, ANY_FACTOR);
      }
      const wrongRecovery = await disable(eli.token, {
        factorId: eli.totp.factorId,
        recoveryCode: fay.totp.scratchCodes[0],
      });
      assert.equal(errorCode(wrongRecovery), 'INVALID_CODE');
      assert.match(wrongRecovery.errors![0].message, ANY_FACTOR);
      assert.deepEqual(await factorIdsOf(eli.id), [eli.totp.factorId, eli.emailFactorId].sort());
      assert.equal(await failuresOf(app, eli.id), 4, 'one attempt per request, however many factors were tried');
      // Fay's code was never spent on Fay's factor by Eli's requests.
      const stepped = await app.graphql(STEP_UP, {
        token: fay.token,
        variables: { input: { code: totpCode(fay.totp.secret, clock) } },
      });
      assert.equal(stepped.data?.stepUp, true, JSON.stringify(stepped.errors));
      clock.nextStep();
    });

    it("another user's factor id is NOT_FOUND before the proof: the code is not spent", async () => {
      const gus = await twoFactorUser('gus');
      const hal = await userWithTotp(app, clock, 'hal');
      const code = await emailCode(gus);
      const refused = await disable(gus.token, { factorId: hal.totp.factorId, code });
      assert.equal(errorCode(refused), 'NOT_FOUND');
      assert.deepEqual(await factorIdsOf(hal.id), [hal.totp.factorId]);
      assert.equal(await failuresOf(app, gus.id), 0, 'no attempt counted');
      const removed = await disable(gus.token, { factorId: gus.totp.factorId, code });
      assert.equal(removed.errors, undefined, 'the code still works: ' + JSON.stringify(removed.errors));
    });

    it('two factors removed at once with one recovery code: exactly one goes', async () => {
      const ida = await twoFactorUser('ida');
      const recoveryCode = ida.totp.scratchCodes[5];
      const responses = await Promise.all(
        [ida.totp.factorId, ida.emailFactorId].map((factorId) => disable(ida.token, { factorId, recoveryCode })),
      );
      assert.deepEqual(tally(responses), { OK: 1, INVALID_CODE: 1 });
      assert.equal((await factorIdsOf(ida.id)).length, 1);
      const me = (await app.graphql(MY_MFA, { token: ida.token })).data!.me!;
      assert.deepEqual([me.mfaPolicyStatus, me.recoveryCodesRemaining], ['ENABLED', 9]);
      assert.equal(
        errorCode(await disable(ida.token, { recoveryCode })),
        'INVALID_CODE',
        'the recovery code is spent for good',
      );
    });

    it('wrong proofs count against the one lockout that sign-in and step-up share', async () => {
      const ivy = await twoFactorUser('ivy');
      const codeFailures = async () =>
        (await storedFactors(app, ivy.id)).find((factor) => factor.type === 'email')!.codeFailures as number;
      await emailCode(ivy); // a live e-mail code, whose tries wrong codes use up
      const emailTries = await codeFailures();
      alignToFreshStep(clock);
      for (let attempt = 1; attempt <= 5; attempt++) {
        const refused = await disable(ivy.token, {
          factorId: ivy.totp.factorId,
          code: wrongTotpCode(ivy.totp.secret, clock),
        });
        assert.equal(errorCode(refused), 'INVALID_CODE', `attempt ${attempt}`);
        // One attempt per request, however many factors the code was tried on; the fifth starts the lockout.
        assert.equal(await failuresOf(app, ivy.id), attempt < 5 ? attempt : 0, `attempt ${attempt}`);
      }
      assert.ok((await storedUser(app, ivy.id)).secondFactorLockedUntil! > clock.now(), 'locked');
      assert.equal(await codeFailures(), emailTries + 5, 'each wrong code was a try against the e-mailed code too');
      const locked = await app.graphql(STEP_UP, {
        token: ivy.token,
        variables: { input: { factorId: ivy.totp.factorId, code: totpCode(ivy.totp.secret, clock) } },
      });
      assert.equal(errorCode(locked), 'TOO_MANY_ATTEMPTS', 'step-up is locked by the wrong disableMfa proofs');
      assert.equal(
        errorCode(await disable(ivy.token, { factorId: ivy.totp.factorId, recoveryCode: ivy.totp.scratchCodes[0] })),
        'TOO_MANY_ATTEMPTS',
        'a right recovery code waits for the lockout to end too',
      );
      assert.equal((await factorIdsOf(ivy.id)).length, 2);
      assert.equal((await app.graphql(MY_MFA, { token: ivy.token })).data!.me!.recoveryCodesRemaining, 10, 'not spent');
    });

    it('the last factor removed while a promotion lands never leaves an admin with MFA DISABLED', async () => {
      const una = await userWithTotp(app, clock, 'una');
      const users = app.database.connection.db!.collection('users');
      // disableMfa read her as a USER; setUserRole's promotion lands before the removal turns MFA off.
      const asRead = await (app.database.connection.model('User') as unknown as UserModel)
        .findById(una.id)
        .lean<UserRecord>();
      await users.updateOne(
        { _id: new Types.ObjectId(una.id) },
        { $set: { role: 'ADMIN', mfaPolicyStatus: 'ENABLED' } },
      );
      const after = await app.services.factors.remove(asRead!, undefined, {});
      assert.deepEqual([after.role, after.mfaPolicyStatus], ['ADMIN', 'ENABLED']);
      assert.deepEqual(await storedFactors(app, una.id), []);
      assert.equal(after.recoveryCodes, undefined, 'the recovery codes go with the last factor all the same');
    });

    it("an admin's last factor removed with its own code leaves the admin's MFA ENABLED", async () => {
      alignToFreshStep(clock);
      const removed = await app.graphql(DISABLE_MFA, {
        token: admin.token,
        variables: {
          input: {
            password: ADMIN_ENV.ADMIN_PASSWORD,
            factorId: admin.totp.factorId,
            code: totpCode(admin.totp.secret, clock),
          },
        },
      });
      clock.nextStep();
      assert.equal(removed.errors, undefined, JSON.stringify(removed.errors));
      assert.deepEqual([removed.data!.disableMfa.factors, removed.data!.disableMfa.mfaPolicyStatus], [[], 'ENABLED']);
    });
  });
});
