import argon2 from 'argon2';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Types } from 'mongoose';
import {
  ChangePasswordDocument as CHANGE_PASSWORD,
  CreateApiKeyDocument as CREATE_API_KEY,
  LoginDocument as LOGIN,
  MeDocument as ME,
  RequireUserPasswordResetDocument as REQUIRE_RESET,
  SignUpDocument as SIGN_UP,
  StepUpDocument as STEP_UP,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { PASSWORD_ATTEMPTS_PER_WINDOW } from '../../src/accounts/login-throttle.js';
import { ARGON2_OPTIONS } from '../../src/accounts/password-hasher.js';
import { PASSWORD_MAX_INPUT_UNITS } from '../../src/accounts/password-rules.js';
import { Role } from '../../src/accounts/user.model.js';
import { ConfigError } from '../../src/config/config.js';
import { STEP_UP_MAX_AGE_MS } from '../../src/mfa/step-up.js';
import { SessionScope } from '../../src/sessions/session.model.js';
import { TEST_PASSWORD, logIn, signUpAndLogIn } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import { storedUser, tally, userWithTotp } from '../support/attacker.js';
import { nextMail, verifyAddress } from '../support/email.js';
import { TestClock, mfaToken, totpCode } from '../support/mfa.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { errorCode, startTestApp, type GraphQLResponse, type TestApp } from '../support/test-app.js';

const ISSUER = 'mfa-graphql'; // MFA_ISSUER's default
const NEW_PASSWORD = 'violet harbour lantern 7';
const OTHER_NEW_PASSWORD = 'amber meadow compass 9';

/** The rule a refusal named, and the field it named, from `extensions`. */
const refusal = (response: GraphQLResponse<unknown>) => {
  const extensions = response.errors?.[0]?.extensions;
  return { code: extensions?.code, field: extensions?.field, rule: extensions?.rule };
};

describe('passwords: the rules, changePassword, requireUserPasswordReset and legacy hashes', () => {
  const clock = new TestClock();
  let sink: SmtpSink;
  let app: TestApp;
  let root: MfaAdmin;

  before(async () => {
    sink = await startSmtpSink();
    app = await startTestApp({ ...ADMIN_ENV, SMTP_URL: sink.url }, { clock: clock.now });
    root = await adminWithMfa(app, clock);
  });
  after(async () => {
    await app?.stop();
    await sink?.stop();
  });

  const db = () => app.database.connection.db!;
  const works = async (token: string) => (await app.graphql(ME, { token })).data?.me != null;
  const change = (token: string | undefined, currentPassword: string, newPassword: string) =>
    app.graphql(CHANGE_PASSWORD, { token, variables: { input: { currentPassword, newPassword } } });
  const signIn = (username: string, password: string) =>
    app.graphql(LOGIN, { variables: { input: { username, password } } });
  const events = (userId: string, type: string) =>
    db()
      .collection('auditEvents')
      .find({ userId: new Types.ObjectId(userId), type })
      .toArray();

  it('signUp refuses a password by each rule, naming it in extensions.rule, never echoing it, and creates nothing', async () => {
    const cases: Array<[string, string]> = [
      ['fourteen chars', 'TOO_SHORT'],
      ['quiet lantern over the harbour '.repeat(9), 'TOO_LONG'],
      ['password1234567', 'COMMON'],
      ['PassWord!!!!!!!!', 'COMMON'],
      ['xk7qxk7qxk7qxk7q', 'REPETITIVE_OR_SEQUENTIAL'],
      ['abcdefghijklmnop', 'REPETITIVE_OR_SEQUENTIAL'],
      ['Rosalind1234567890', 'CONTEXT_SPECIFIC'],
      ['rosalind@example.com', 'CONTEXT_SPECIFIC'],
      ['mfa-graphql-mfa-graphql', 'CONTEXT_SPECIFIC'],
      ['\uD800 a lone surrogate here', 'NOT_UNICODE'],
    ];
    for (const [password, rule] of cases) {
      const answer = await app.graphql(SIGN_UP, {
        variables: { input: { username: 'rosalind', password, email: 'rosalind@example.com' } },
      });
      assert.deepEqual(refusal(answer), { code: 'BAD_USER_INPUT', field: 'password', rule }, password);
      assert.ok(!JSON.stringify(answer).includes(password.slice(0, 12)), `${rule}: the password is not echoed`);
    }
    assert.equal(await db().collection('users').countDocuments({ usernameKey: 'rosalind' }), 0);
    assert.ok(!app.logLines.some((line) => line.includes('password1234567')), 'nor logged');
  });

  it('counts characters as code points after NFKC, and signs in with any form of the same password', async () => {
    // 7 emoji and 7 more characters: 21 UTF-16 units, but 14 characters, one short of 15.
    const refused = await app.graphql(SIGN_UP, {
      variables: { input: { username: 'emoji-user', password: '🦊🌲🚲🎻🍋🛶🐙 orbits' } },
    });
    assert.equal(refusal(refused).rule, 'TOO_SHORT');
    // Full-width letters (an input method left in full-width mode) are the ASCII password once normalised.
    const fullWidth = 'ｑｕｉｅｔ ｌａｎｔｅｒｎ ｈａｒｂｏｕｒ';
    const created = await app.graphql(SIGN_UP, { variables: { input: { username: 'wide', password: fullWidth } } });
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    for (const form of [fullWidth, 'quiet lantern harbour'])
      assert.match(String((await signIn('wide', form)).data?.login.accessToken), /^mfa_at_/, form);
    assert.equal(errorCode(await signIn('wide', 'QUIET LANTERN HARBOUR')), 'INVALID_CREDENTIALS', 'case still counts');
  });

  it('an ADMIN_PASSWORD the rules refuse stops the start when the admin is to be created, naming the rule', async () => {
    await assert.rejects(
      startTestApp({ ADMIN_USERNAME: 'boss', ADMIN_PASSWORD: 'boss password' }),
      (error: Error) =>
        error instanceof ConfigError &&
        /ADMIN_PASSWORD breaks the password rules \(TOO_SHORT\)/.test(error.message) &&
        !error.message.includes('boss password'),
    );
  });

  it('changePassword: only an interactive full session; with a factor, only with a proof at most 5 minutes old', async () => {
    const plain = await signUpAndLogIn(app, 'pat');
    const { secret: apiKey } = (
      await app.graphql(CREATE_API_KEY, { token: plain.token, variables: { input: { name: 'script' } } })
    ).data!.createApiKey;
    const mfaUser = await userWithTotp(app, clock, 'meg');
    const partial = await mfaToken(app, 'meg');
    // An account whose MFA is on but which has no factor yet signs in to an enrollment-scoped session.
    const enrolling = await signUpAndLogIn(app, 'enid');
    await db()
      .collection('users')
      .updateOne({ _id: new Types.ObjectId(enrolling.id) }, { $set: { mfaPolicyStatus: 'ENABLED' } });
    const enrollmentLogin = await signIn('enid', TEST_PASSWORD);
    assert.equal(enrollmentLogin.data?.login.enrollmentRequired, true);
    const enrollmentToken = String(enrollmentLogin.data?.login.accessToken);

    const hashes = async () =>
      Promise.all([plain.id, mfaUser.id, enrolling.id].map(async (id) => (await storedUser(app, id)).passwordHash));
    const before = await hashes();
    const anonymous = await change(undefined, TEST_PASSWORD, NEW_PASSWORD);
    assert.equal(errorCode(anonymous), 'UNAUTHENTICATED');
    const withMfaToken = await change(partial, TEST_PASSWORD, NEW_PASSWORD);
    assert.deepEqual(
      [withMfaToken.status, errorCode(withMfaToken)],
      [401, 'UNAUTHENTICATED'],
      'an mfaToken is no bearer',
    );
    assert.equal(errorCode(await change(enrollmentToken, TEST_PASSWORD, NEW_PASSWORD)), 'FORBIDDEN');
    assert.equal(errorCode(await change(apiKey, TEST_PASSWORD, NEW_PASSWORD)), 'FORBIDDEN', 'an API key');
    clock.advance(STEP_UP_MAX_AGE_MS + 1000);
    assert.equal(
      errorCode(await change(mfaUser.token, TEST_PASSWORD, NEW_PASSWORD)),
      'STEP_UP_REQUIRED',
      'the enrollment proof is now older than 5 minutes',
    );
    assert.deepEqual(await hashes(), before, 'no refused call changed a password');
    assert.equal(
      (await events(mfaUser.id, 'sign_in.failed')).length,
      0,
      'a refused caller never got to the password check',
    );

    const stepped = await app.graphql(STEP_UP, {
      token: mfaUser.token,
      variables: { input: { code: totpCode(mfaUser.totp.secret, clock) } },
    });
    assert.equal(stepped.data?.stepUp, true, JSON.stringify(stepped.errors));
    clock.nextStep();
    const changed = await change(mfaUser.token, TEST_PASSWORD, NEW_PASSWORD);
    assert.equal(changed.data?.changePassword, true, JSON.stringify(changed.errors));
    assert.equal(
      (await change(plain.token, TEST_PASSWORD, NEW_PASSWORD)).data?.changePassword,
      true,
      'no factor: no step-up',
    );
    // A second factor is still asked at the next sign-in: a new password changes nothing about MFA.
    assert.equal((await signIn('meg', NEW_PASSWORD)).data?.login.mfaRequired, true);
  });

  it('changePassword refuses a new password by the rules (on newPassword) and the current one, before checking anything', async () => {
    const { id, token } = await signUpAndLogIn(app, 'norah');
    for (const [newPassword, rule] of [
      ['short one', 'TOO_SHORT'],
      ['password1234567', 'COMMON'],
      ['norah1234567890', 'CONTEXT_SPECIFIC'],
      [TEST_PASSWORD, 'SAME_AS_CURRENT'],
      // The same password in another Unicode form is the same password.
      [TEST_PASSWORD.replace('a', 'ａ'), 'SAME_AS_CURRENT'],
    ]) {
      const answer = await change(token, TEST_PASSWORD, newPassword);
      assert.deepEqual(refusal(answer), { code: 'BAD_USER_INPUT', field: 'newPassword', rule }, newPassword);
    }
    // Longer than any password the rules would normalise: refused by the input bound, as resetPassword does, before any work.
    const overlong = refusal(await change(token, TEST_PASSWORD, 'x'.repeat(PASSWORD_MAX_INPUT_UNITS + 1)));
    assert.deepEqual([overlong.code, overlong.rule], ['BAD_USER_INPUT', undefined]);
    assert.equal((await events(id, 'sign_in.failed')).length, 0, 'a refused new password costs no password attempt');
    assert.equal((await events(id, 'account.password_changed')).length, 0);
    assert.ok(await works(token));
  });

  it('a wrong current password is INVALID_CREDENTIALS and counts against the name like a failed sign-in', async () => {
    const { id, token } = await signUpAndLogIn(app, 'wendy');
    const before = (await storedUser(app, id)).passwordHash;
    const wrong = [];
    for (let i = 0; i < PASSWORD_ATTEMPTS_PER_WINDOW; i++)
      wrong.push(await change(token, `not the password ${i}`, NEW_PASSWORD));
    assert.deepEqual(tally(wrong), { INVALID_CREDENTIALS: PASSWORD_ATTEMPTS_PER_WINDOW });
    assert.equal((await events(id, 'sign_in.failed')).length, PASSWORD_ATTEMPTS_PER_WINDOW);
    // The throttle sign-in uses is full for this name here: the right password waits too, there and at login.
    assert.equal(errorCode(await change(token, TEST_PASSWORD, NEW_PASSWORD)), 'TOO_MANY_ATTEMPTS');
    assert.equal(errorCode(await signIn('wendy', TEST_PASSWORD)), 'TOO_MANY_ATTEMPTS');
    assert.equal((await storedUser(app, id)).passwordHash, before);
    assert.ok(await works(token), 'the session itself stays');
  });

  it('changePassword ends the other sessions and keeps this one, tells the owner, and audits; only the new password signs in', async () => {
    const { id, token } = await signUpAndLogIn(app, 'olga');
    await verifyAddress(app, sink, token, 'olga@example.com'); // notices go only to a verified address
    const others = [await logIn(app, 'olga'), await logIn(app, 'olga')];
    const mailsBefore = sink.mails.length;
    const changed = await change(token, TEST_PASSWORD, NEW_PASSWORD);
    assert.equal(changed.data?.changePassword, true, JSON.stringify(changed.errors));
    assert.equal(await works(token), true, 'this session stays');
    for (const other of others) assert.equal(await works(other), false, 'the others end');
    assert.equal(errorCode(await signIn('olga', TEST_PASSWORD)), 'INVALID_CREDENTIALS');
    assert.match(String((await signIn('olga', NEW_PASSWORD)).data?.login.accessToken), /^mfa_at_/);

    const notice = await nextMail(sink, 'olga@example.com', /password was changed/, mailsBefore);
    assert.equal(notice.parsed.subject, `Your ${ISSUER} password was changed`);
    assert.match(notice.parsed.text ?? '', /other sessions have ended/);
    assert.ok(!(notice.parsed.text ?? '').includes(NEW_PASSWORD), 'the notice holds no password');
    const [event] = await events(id, 'account.password_changed');
    assert.deepEqual(event.details, { via: 'change' });
    const [ended] = await events(id, 'session.revoked');
    assert.deepEqual(ended.details, { count: 2, reason: 'password_changed' });
    assert.ok(!app.logLines.some((line) => line.includes(NEW_PASSWORD)), 'no password in the logs');
  });

  it('a session stamped with the password it checked stands only while that password does; an unstamped one reads as 0', async () => {
    const { id, token } = await signUpAndLogIn(app, 'paula');
    const userId = new Types.ObjectId(id);
    const sessions = db().collection('sessions');
    // Stored before the stamp existed: no field on the user, none on the session.
    const old = await app.services.sessions.issue(userId, SessionScope.FULL, {
      method: 'password',
      credentialsVersion: 0,
    });
    const legacy = old.accessToken;
    await sessions.updateOne({ _id: old.session._id }, { $unset: { credentialsVersion: 1 } });
    assert.equal((await sessions.findOne({ _id: old.session._id }))?.credentialsVersion, undefined);
    assert.equal((await storedUser(app, id)).credentialsVersion, undefined);
    assert.equal(await works(legacy), true, 'a missing stamp is version 0, as is a missing field');

    assert.equal((await change(token, TEST_PASSWORD, NEW_PASSWORD)).data?.changePassword, true);
    assert.equal((await storedUser(app, id)).credentialsVersion, 1, 'bumped with the hash');
    assert.equal(await works(token), true, 'the changing session carries over');
    assert.equal(await works(legacy), false);
    // As a sign-in that checked the old password just before the change would issue it, after the change ended the rest.
    const raced = await app.services.sessions.issue(userId, SessionScope.FULL, {
      method: 'password',
      credentialsVersion: 0,
    });
    assert.equal(await works(raced.accessToken), false, 'issued for the old password: never stands');
    const listed = await sessions.countDocuments({ userId, revokedAt: { $exists: false } });
    assert.equal(listed, 2, 'the raced session and the changing one are unrevoked');
    const current = await app.services.sessions.issue(userId, SessionScope.FULL, {
      method: 'password',
      credentialsVersion: 1,
    });
    assert.equal(await works(current.accessToken), true);
  });

  it('two changes proving the same current password at once: exactly one lands, and only its password signs in', async () => {
    const { id, token } = await signUpAndLogIn(app, 'rita');
    const answers = await Promise.all([
      change(token, TEST_PASSWORD, NEW_PASSWORD),
      change(token, TEST_PASSWORD, OTHER_NEW_PASSWORD),
    ]);
    assert.deepEqual(tally(answers), { OK: 1, INVALID_CREDENTIALS: 1 }, JSON.stringify(answers));
    const [winner, loser] = answers[0].data?.changePassword
      ? [NEW_PASSWORD, OTHER_NEW_PASSWORD]
      : [OTHER_NEW_PASSWORD, NEW_PASSWORD];
    assert.match(String((await signIn('rita', winner)).data?.login.accessToken), /^mfa_at_/);
    assert.equal(errorCode(await signIn('rita', loser)), 'INVALID_CREDENTIALS');
    assert.equal((await events(id, 'account.password_changed')).length, 1);
  });

  it('changePassword racing a reset: the reset wins whichever lands first, and the changing session ends', async () => {
    for (let round = 0; round < 3; round++) {
      const username = `race${round}`;
      const { id, token } = await signUpAndLogIn(app, username);
      const user = await storedUser(app, id);
      const [changed] = await Promise.all([
        change(token, TEST_PASSWORD, NEW_PASSWORD),
        app.services.accounts.setPassword(user, OTHER_NEW_PASSWORD, { via: 'reset' }),
      ]);
      assert.ok(
        changed.data?.changePassword === true || errorCode(changed) === 'INVALID_CREDENTIALS',
        JSON.stringify(changed),
      );
      assert.match(String((await signIn(username, OTHER_NEW_PASSWORD)).data?.login.accessToken), /^mfa_at_/);
      assert.equal(errorCode(await signIn(username, NEW_PASSWORD)), 'INVALID_CREDENTIALS');
      assert.equal(await works(token), false, 'a reset ends every session, the changing one too');
    }
  });

  it('requireUserPasswordReset: an admin with a fresh proof, never on another admin or themself', async () => {
    const target = await signUpAndLogIn(app, 'tess');
    const ops = await app.services.accounts.createUser({ username: 'ops', password: 'ops admin password' }, Role.ADMIN);
    const rootKey = (
      await (async () => {
        await root.stepUp();
        return app.graphql(CREATE_API_KEY, { token: root.token, variables: { input: { name: 'admin script' } } });
      })()
    ).data!.createApiKey.secret;
    const requireReset = (token: string | undefined, userId: string) =>
      app.graphql(REQUIRE_RESET, { token, variables: { input: { userId } } });

    assert.equal(errorCode(await requireReset(undefined, target.id)), 'UNAUTHENTICATED');
    const other = await signUpAndLogIn(app, 'ursa');
    assert.equal(errorCode(await requireReset(other.token, target.id)), 'FORBIDDEN', 'a user');
    assert.equal(errorCode(await requireReset(rootKey, target.id)), 'FORBIDDEN', "an admin's API key");
    clock.advance(STEP_UP_MAX_AGE_MS + 1000);
    assert.equal(errorCode(await requireReset(root.token, target.id)), 'STEP_UP_REQUIRED', 'a stale proof');
    await root.stepUp();
    assert.equal(errorCode(await requireReset(root.token, String(ops._id))), 'FORBIDDEN', 'another admin');
    assert.equal(errorCode(await requireReset(root.token, root.id)), 'FORBIDDEN', 'themself');
    assert.equal(errorCode(await requireReset(root.token, new Types.ObjectId().toHexString())), 'NOT_FOUND');
    assert.equal(errorCode(await requireReset(root.token, 'not-an-id')), 'BAD_USER_INPUT');
    assert.equal((await storedUser(app, target.id)).passwordResetRequired, undefined, 'no refused call set it');
    assert.equal(await works(target.token), true);
    const done = await requireReset(root.token, target.id);
    assert.deepEqual(
      done.data?.requireUserPasswordReset,
      { id: target.id, username: 'tess' },
      JSON.stringify(done.errors),
    );
  });

  it('requireUserPasswordReset ends sessions and pending sign-ins, refuses the right password distinctly, keeps API keys; setPassword clears it', async () => {
    const target = await userWithTotp(app, clock, 'vera');
    await verifyAddress(app, sink, target.token, 'vera@example.com'); // notices go only to a verified address
    await app.graphql(STEP_UP, {
      token: target.token,
      variables: { input: { code: totpCode(target.totp.secret, clock) } },
    });
    clock.nextStep();
    const key = (await app.graphql(CREATE_API_KEY, { token: target.token, variables: { input: { name: 'backup' } } }))
      .data!.createApiKey.secret;
    const pending = await mfaToken(app, 'vera');
    const mailsBefore = sink.mails.length;

    await root.stepUp();
    const done = await app.graphql(REQUIRE_RESET, { token: root.token, variables: { input: { userId: target.id } } });
    assert.equal(done.errors, undefined, JSON.stringify(done.errors));
    assert.equal(await works(target.token), false, 'the session ended');
    const finished = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: pending, code: totpCode(target.totp.secret, clock) } },
    });
    assert.equal(errorCode(finished), 'TOKEN_EXPIRED', 'a sign-in past its password step cannot finish');
    assert.equal(await works(key), true, 'API keys keep working');

    const right = await signIn('vera', TEST_PASSWORD);
    assert.equal(errorCode(right), 'PASSWORD_RESET_REQUIRED');
    assert.equal(right.data?.login ?? null, null, 'no token of any kind');
    assert.equal(
      errorCode(await signIn('vera', 'not her password at all')),
      'INVALID_CREDENTIALS',
      'tells nothing without the password',
    );

    const notice = await nextMail(sink, 'vera@example.com', /Choose a new/, mailsBefore);
    assert.equal(notice.parsed.subject, `Choose a new ${ISSUER} password`);
    const [event] = await events(target.id, 'account.password_reset_required');
    assert.equal(String(event.actorId), root.id);
    const [ended] = await events(target.id, 'session.revoked');
    assert.deepEqual(
      [String(ended.actorId), (ended.details as { reason?: string }).reason],
      [root.id, 'password_reset_required'],
    );

    // The reset flow ends in AccountsService.setPassword, which clears the demand.
    const user = await storedUser(app, target.id);
    await app.services.accounts.setPassword(user, NEW_PASSWORD, { via: 'reset' });
    assert.equal((await storedUser(app, target.id)).passwordResetRequired, undefined);
    assert.equal(errorCode(await signIn('vera', TEST_PASSWORD)), 'INVALID_CREDENTIALS');
    assert.equal(
      (await signIn('vera', NEW_PASSWORD)).data?.login.mfaRequired,
      true,
      'the second factor is still asked',
    );
    await nextMail(sink, 'vera@example.com', /password was reset/, mailsBefore);
  });

  it('a password stored before NFKC (hashed as typed) still signs in, and is rehashed in the NFKC form', async () => {
    const { id } = await signUpAndLogIn(app, 'lea');
    // "ﬁ" (U+FB01, a ligature pasted from a document) is "fi" in NFKC: the old code hashed the ligature.
    const typed = 'the \uFB01ne print of the harbour';
    assert.notEqual(typed.normalize('NFKC'), typed);
    const legacy = await argon2.hash(typed, ARGON2_OPTIONS);
    await db()
      .collection('users')
      .updateOne({ _id: new Types.ObjectId(id) }, { $set: { passwordHash: legacy } });
    assert.equal(errorCode(await signIn('lea', 'the fine print of the harbor')), 'INVALID_CREDENTIALS');
    assert.equal((await storedUser(app, id)).passwordHash, legacy, 'a wrong password rehashes nothing');

    assert.match(String((await signIn('lea', typed)).data?.login.accessToken), /^mfa_at_/);
    const rehashed = (await storedUser(app, id)).passwordHash;
    assert.notEqual(rehashed, legacy);
    assert.equal(await argon2.verify(rehashed, typed.normalize('NFKC')), true, 'now the NFKC form is stored');
    assert.equal(await argon2.verify(rehashed, typed), false);
    for (const form of [typed, 'the fine print of the harbour'])
      assert.match(String((await signIn('lea', form)).data?.login.accessToken), /^mfa_at_/, form);
  });
  it('changePassword with a current password stored before NFKC: rehashed on the way, then changed', async () => {
    const { id, token } = await signUpAndLogIn(app, 'lex');
    const typed = 'ｆｕｌｌ ｗｉｄｔｈ ｆｒｏｍ ｂｅｆｏｒｅ';
    await db()
      .collection('users')
      .updateOne({ _id: new Types.ObjectId(id) }, { $set: { passwordHash: await argon2.hash(typed, ARGON2_OPTIONS) } });
    const changed = await change(token, typed, NEW_PASSWORD);
    assert.equal(changed.data?.changePassword, true, JSON.stringify(changed.errors));
    assert.match(String((await signIn('lex', NEW_PASSWORD)).data?.login.accessToken), /^mfa_at_/);
    assert.equal(errorCode(await signIn('lex', typed)), 'INVALID_CREDENTIALS');
  });
});

describe('a refused sign-up password', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ SIGNUP_RATE_PER_ADDRESS: '1' });
  });
  after(() => app?.stop());

  it('uses up none of the sign-ups an address may make', async () => {
    const signUp = (username: string, password: string) =>
      app.graphql(SIGN_UP, { variables: { input: { username, password } } });
    for (const password of ['short', 'password1234567', 'aaaaaaaaaaaaaaaaaaaa'])
      assert.equal(errorCode(await signUp('first-try', password)), 'BAD_USER_INPUT', password);
    const created = await signUp('first-try', NEW_PASSWORD);
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    assert.equal(
      errorCode(await signUp('second-try', NEW_PASSWORD)),
      'TOO_MANY_ATTEMPTS',
      'the budget of one is in force',
    );
  });
});
