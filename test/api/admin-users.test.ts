import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Types } from 'mongoose';
import {
  AuditEventsDocument as AUDIT_EVENTS,
  ChangeEmailDocument as CHANGE_EMAIL,
  CreateApiKeyDocument as CREATE_API_KEY,
  DeactivateUserDocument as DEACTIVATE,
  DeleteUserDocument as DELETE,
  EnableMfaDocument as ENABLE_MFA,
  FindUsersDocument as FIND_USERS,
  SendEmailVerificationDocument as SEND_VERIFICATION,
  VerifyEmailDocument as VERIFY_EMAIL,
  LoginDocument as LOGIN,
  MeDocument as ME,
  ReactivateUserDocument as REACTIVATE,
  SetMfaPolicyStatusDocument as SET_MFA_POLICY_STATUS,
  SetUserRoleDocument as SET_ROLE,
  SignUpDocument as SIGN_UP,
  UnlockUserDocument as UNLOCK,
  UserByIdOrNameDocument as USER_BY_ID_OR_NAME,
  UserByNameDocument as USER_BY_NAME,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { ACCOUNT_FAILURES_BEFORE_LOCK, PASSWORD_ATTEMPTS_PER_WINDOW } from '../../src/accounts/login-throttle.js';
import { MAX_CONSECUTIVE_FAILURES } from '../../src/mfa/second-factor-attempts.js';
import { TEST_PASSWORD, logIn, signUpAndLogIn } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import { storedFactors, storedUser, tally, userWithTotp } from '../support/attacker.js';
import { graphqlFrom } from '../support/client-address.js';
import { VERIFICATION_SUBJECT, accountTokenIn, nextMail, queueDrained, verifyAddress } from '../support/email.js';
import { TestClock, mfaToken, signInWithTotp, totpCode, wrongTotpCode } from '../support/mfa.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

const ISSUER = 'mfa-graphql'; // MFA_ISSUER's default

describe('admin user management: finding users, unlocking, deactivating, deleting and roles', () => {
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
  const works = async (token: string) => errorCode(await app.graphql(ME, { token }));
  /** An admin change, with a fresh proof first. */
  const asRoot = async <T, V>(operation: TypedDocumentNode<T, V>, variables: V) => {
    await root.stepUp();
    return app.graphql(operation, { token: root.token, variables });
  };
  const events = (userId: string, type: string) =>
    db()
      .collection('auditEvents')
      .find({ userId: new Types.ObjectId(userId), type })
      .toArray();

  it('finds one user by id or by name as sign-in matches names, and refuses anything but exactly one of them', async () => {
    const { id } = await signUpAndLogIn(app, 'Ursula');
    const byName = await app.graphql(USER_BY_NAME, { token: root.token, variables: { username: 'ｕｒｓｕｌａ' } });
    assert.deepEqual(
      byName.data?.user,
      { id, username: 'Ursula', role: 'USER', active: true, lockedUntil: null },
      JSON.stringify(byName.errors),
    );
    const byId = await app.graphql(USER_BY_ID_OR_NAME, { token: root.token, variables: { id } });
    assert.equal(byId.data?.user?.id, id);
    const nobody = await app.graphql(USER_BY_NAME, { token: root.token, variables: { username: 'nobody-here' } });
    assert.deepEqual([nobody.data?.user, nobody.errors], [null, undefined]);
    for (const [name, variables] of [
      ['both', { id, username: 'ursula' }],
      ['neither', {}],
      ['a malformed id', { id: 'not-an-id' }],
      ['an id with an operator', { id: '{"$ne":null}' }],
      ['a name longer than any username', { username: 'u'.repeat(65) }],
    ] as const) {
      const answer = await app.graphql(USER_BY_ID_OR_NAME, { token: root.token, variables });
      assert.equal(errorCode(answer), 'BAD_USER_INPUT', name);
      assert.equal(answer.data?.user ?? null, null, name);
    }
  });

  it('filters users by text (literal, case- and width-insensitive, username or address), role, status and lockout, with pagination', async () => {
    for (const name of ['dot.ted', 'dotxted', 'Mallory']) await signUpAndLogIn(app, name);
    const names = async (variables: Record<string, unknown>) => {
      const answer = await app.graphql(FIND_USERS, { token: root.token, variables: { first: 100, ...variables } });
      assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
      return answer.data!.users.edges.map((edge) => edge.node.username).sort();
    };
    assert.deepEqual(await names({ text: 'dot.ted' }), ['dot.ted'], 'a dot is a dot, not any character');
    assert.deepEqual(await names({ text: '.*' }), [], 'no pattern of the caller’s');
    assert.deepEqual(await names({ text: '(' }), [], 'a lone parenthesis is text, not a broken pattern');
    assert.deepEqual(await names({ text: 'ＭＡＬＬ' }), ['Mallory'], 'width and case as sign-in compares names');
    assert.deepEqual(await names({ text: 'ORY@EXAMPLE' }), ['Mallory'], 'the address, case-insensitively');
    assert.deepEqual(await names({ role: 'ADMIN' }), ['root']);
    assert.ok((await names({ role: 'USER', status: 'ACTIVE' })).includes('Mallory'));
    assert.deepEqual(await names({ status: 'DEACTIVATED' }), []);
    assert.deepEqual(await names({ locked: true }), []);
    for (const text of ['', 'x'.repeat(65)])
      assert.equal(
        errorCode(await app.graphql(FIND_USERS, { token: root.token, variables: { text } })),
        'BAD_USER_INPUT',
      );
    const first = await app.graphql(FIND_USERS, { token: root.token, variables: { text: 'dot', first: 1 } });
    assert.equal(first.data!.users.pageInfo.hasNextPage, true);
    const second = await app.graphql(FIND_USERS, {
      token: root.token,
      variables: { text: 'dot', first: 1, after: first.data!.users.pageInfo.endCursor },
    });
    assert.deepEqual(
      [...first.data!.users.edges, ...second.data!.users.edges].map((edge) => edge.node.username),
      ['dot.ted', 'dotxted'],
    );
    assert.equal(second.data!.users.pageInfo.hasNextPage, false);
  });

  it('unlockUser clears the second-factor lockout and the password failures counted against the name, and tells the user', async () => {
    const lou = await userWithTotp(app, clock, 'lou');
    await verifyAddress(app, sink, lou.token, 'lou@example.com'); // notices go only to a verified address
    const token = await mfaToken(app, 'lou');
    for (let i = 0; i < MAX_CONSECUTIVE_FAILURES; i++)
      await app.graphql(VERIFY_MFA, {
        variables: { input: { mfaToken: token, code: wrongTotpCode(lou.totp.secret, clock) } },
      });
    const locked = await app.graphql(FIND_USERS, { token: root.token, variables: { locked: true } });
    assert.deepEqual(
      locked.data!.users.edges.map((edge) => edge.node.username),
      ['lou'],
    );
    const lockedUntil = locked.data!.users.edges[0].node.lockedUntil as string;
    assert.ok(new Date(lockedUntil) > clock.now(), lockedUntil);

    // 100 wrong passwords from networks lou never used lock the name there; 10 a network, as the throttle allows.
    const guesses = [];
    for (let host = 1; guesses.length < ACCOUNT_FAILURES_BEFORE_LOCK; host++)
      guesses.push(
        ...(await Promise.all(
          Array.from({ length: PASSWORD_ATTEMPTS_PER_WINDOW }, (_, i) =>
            graphqlFrom(app, `127.0.3.${host}`, LOGIN, {
              variables: { input: { username: 'lou', password: `no ${i}` } },
            }),
          ),
        )),
      );
    assert.deepEqual(tally(guesses), { INVALID_CREDENTIALS: ACCOUNT_FAILURES_BEFORE_LOCK });
    const elsewhere = (ip: string) =>
      graphqlFrom(app, ip, LOGIN, { variables: { input: { username: 'lou', password: TEST_PASSWORD } } });
    assert.equal(errorCode(await elsewhere('127.0.4.1')), 'TOO_MANY_ATTEMPTS');

    const mailsBefore = sink.mails.length;
    const unlocked = await asRoot(UNLOCK, { input: { userId: lou.id } });
    assert.deepEqual(unlocked.data?.unlockUser, { id: lou.id, lockedUntil: null }, JSON.stringify(unlocked.errors));
    const stored = await storedUser(app, lou.id);
    assert.deepEqual(
      [stored.secondFactorFailures, stored.secondFactorLockouts, stored.secondFactorLockedUntil],
      [0, 0, undefined],
    );
    assert.equal((await elsewhere('127.0.4.2')).data?.login.mfaRequired, true, 'the password counts again');
    const verified = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: await mfaToken(app, 'lou'), code: totpCode(lou.totp.secret, clock) } },
    });
    assert.match(String(verified.data?.verifyMfa.accessToken), /^mfa_at_/, JSON.stringify(verified.errors));
    clock.nextStep();

    const notice = await nextMail(sink, 'lou@example.com', /was unlocked/, mailsBefore);
    assert.equal(notice.parsed.subject, `Your ${ISSUER} account was unlocked`);
    const [event] = await events(lou.id, 'account.unlocked');
    assert.deepEqual([String(event.actorId), event.details], [root.id, { secondFactorLockoutCleared: true }]);
  });

  it('deactivateUser: sessions, API keys, mfaTokens, enrollments stop at once; sign-in fails as a wrong password; no session revives', async () => {
    const dora = await signUpAndLogIn(app, 'dora');
    await verifyAddress(app, sink, dora.token, 'dora@example.com');
    const key = (await app.graphql(CREATE_API_KEY, { token: dora.token, variables: { input: { name: 'cron' } } })).data!
      .createApiKey.secret;
    const started = await app.graphql(ENABLE_MFA, { token: dora.token, variables: { input: { factorType: 'totp' } } });
    assert.equal(started.errors, undefined);
    const tess = await userWithTotp(app, clock, 'tess');
    await verifyAddress(app, sink, tess.token, 'tess@example.com'); // for the recovery-code notice below
    const pendingSignIn = await mfaToken(app, 'tess');
    // An enrollment-scoped session: MFA required, no factor yet.
    const enid = await signUpAndLogIn(app, 'enid');
    assert.equal(
      (await asRoot(SET_MFA_POLICY_STATUS, { input: { userId: enid.id, status: 'ENABLED' } })).errors,
      undefined,
    );
    const enrolling = (
      await app.graphql(LOGIN, { variables: { input: { username: 'enid', password: TEST_PASSWORD } } })
    ).data!.login;
    assert.equal(enrolling.enrollmentRequired, true);

    const mailsBefore = sink.mails.length;
    for (const who of [dora, tess, enid]) {
      const answer = await asRoot(DEACTIVATE, { input: { userId: who.id } });
      assert.deepEqual(answer.data?.deactivateUser, { id: who.id, active: false }, JSON.stringify(answer.errors));
    }
    for (const [name, credential] of [
      ['session', dora.token],
      ['API key', key],
      ['enrollment-scoped session', enrolling.accessToken!],
      ['session with MFA', tess.token],
    ]) {
      const answer = await app.graphql(ME, { token: credential });
      assert.deepEqual([answer.status, errorCode(answer)], [401, 'UNAUTHENTICATED'], name);
    }
    const late = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: pendingSignIn, code: totpCode(tess.totp.secret, clock) } },
    });
    assert.equal(errorCode(late), 'TOKEN_EXPIRED', 'the pending sign-in died with the account');
    // A sign-in already past its password when the deactivation landed issues its mfaToken or session afterwards:
    // what the deactivation ended is set back here, and the account's state alone must still refuse them.
    const tessId = new Types.ObjectId(tess.id);
    await db()
      .collection('signInChallenges')
      .updateMany({ userId: tessId }, { $unset: { consumedAt: 1 } });
    await db()
      .collection('sessions')
      .updateMany({ userId: tessId }, { $unset: { revokedAt: 1 } });
    const raced = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: pendingSignIn, code: totpCode(tess.totp.secret, clock, 1) } },
    });
    assert.equal(errorCode(raced), 'TOKEN_EXPIRED', 'an mfaToken of a deactivated account opens no session');
    const mailsBeforeRacedCode = sink.mails.length;
    const racedRecoveryCode = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: pendingSignIn, recoveryCode: tess.totp.scratchCodes[0] } },
    });
    assert.equal(errorCode(racedRecoveryCode), 'TOKEN_EXPIRED', 'refused before the proof: the code is not spent');
    assert.equal(await works(tess.token), 'UNAUTHENTICATED', 'nor does a session that was not ended');
    // Nor does reactivation bring them back: what was issued before it ends with it.
    const tessBack = await asRoot(REACTIVATE, { input: { userId: tess.id } });
    assert.deepEqual(tessBack.data?.reactivateUser, { id: tess.id, active: true }, JSON.stringify(tessBack.errors));
    assert.equal(await works(tess.token), 'UNAUTHENTICATED', 'the raced session stays ended after reactivation');
    clock.nextStep();
    const afterReactivation = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: pendingSignIn, code: totpCode(tess.totp.secret, clock, 1) } },
    });
    assert.equal(errorCode(afterReactivation), 'TOKEN_EXPIRED', 'the raced mfaToken stays spent after reactivation');
    clock.nextStep();
    clock.nextStep();
    assert.equal(await works(await signInWithTotp(app, 'tess', tess.totp, clock)), undefined, 'she signs in again');
    const withRecoveryCode = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: await mfaToken(app, 'tess'), recoveryCode: tess.totp.scratchCodes[0] } },
    });
    assert.equal(withRecoveryCode.errors, undefined, 'the recovery code tried on the raced mfaToken was not spent');
    await queueDrained(app);
    assert.equal(
      sink.mails
        .slice(mailsBeforeRacedCode)
        .filter(
          (mail) => mail.envelopeTo.includes('tess@example.com') && /recovery code/.test(mail.parsed.subject ?? ''),
        ).length,
      1,
      'one notice: for the use that signed her in, none for the refused one',
    );
    assert.deepEqual(
      (await storedFactors(app, dora.id)).map((factor) => String(factor.status)),
      [],
      'the pending enrollment is gone',
    );

    const wrong = await app.graphql(LOGIN, {
      variables: { input: { username: 'dora', password: 'not her password' } },
    });
    const right = await app.graphql(LOGIN, { variables: { input: { username: 'dora', password: TEST_PASSWORD } } });
    assert.equal(errorCode(right), 'INVALID_CREDENTIALS');
    assert.deepEqual(right.errors, wrong.errors, 'a deactivated account answers exactly as a wrong password');
    assert.equal(right.data ?? null, null);

    const deactivatedNotice = await nextMail(sink, 'dora@example.com', /deactivated/, mailsBefore);
    assert.equal(deactivatedNotice.parsed.subject, `Your ${ISSUER} account was deactivated`);
    const [deactivated] = await events(dora.id, 'account.deactivated');
    assert.equal(String(deactivated.actorId), root.id);
    const [ended] = await events(dora.id, 'session.revoked');
    assert.deepEqual(ended.details, { count: 1, reason: 'deactivated' });
    const filtered = await app.graphql(FIND_USERS, { token: root.token, variables: { status: 'DEACTIVATED' } });
    assert.deepEqual(
      filtered.data!.users.edges.map((edge) => edge.node.username).sort(),
      ['dora', 'enid'],
      'tess is active again',
    );

    const again = await asRoot(DEACTIVATE, { input: { userId: dora.id } });
    assert.equal(again.data?.deactivateUser.active, false, 'deactivating again changes nothing');
    assert.equal((await events(dora.id, 'account.deactivated')).length, 1);

    const mailsBeforeReactivation = sink.mails.length;
    const reactivated = await asRoot(REACTIVATE, { input: { userId: dora.id } });
    assert.deepEqual(reactivated.data?.reactivateUser, { id: dora.id, active: true });
    assert.equal(await works(dora.token), 'UNAUTHENTICATED', 'ended sessions stay ended');
    assert.equal(await works(key), undefined, 'the API key works again');
    assert.equal(await works(await logIn(app, 'dora')), undefined, 'she signs in again');
    const reactivatedNotice = await nextMail(sink, 'dora@example.com', /reactivated/, mailsBeforeReactivation);
    assert.equal(reactivatedNotice.parsed.subject, `Your ${ISSUER} account was reactivated`);
    assert.equal((await events(dora.id, 'account.reactivated')).length, 1);
  });

  it('deactivateUser: a verification token mailed before verifies nothing, and a pending change of address is dropped', async () => {
    const { id, token } = await signUpAndLogIn(app, 'ottilie');
    await verifyAddress(app, sink, token, 'ottilie@example.com');
    const pending = await signUpAndLogIn(app, 'petra'); // address never verified
    let seen = sink.mails.length;
    assert.equal((await app.graphql(SEND_VERIFICATION, { token: pending.token })).data?.sendEmailVerification, true);
    const unverified = accountTokenIn(await nextMail(sink, 'petra@example.com', VERIFICATION_SUBJECT, seen));
    seen = sink.mails.length;
    await app.graphql(CHANGE_EMAIL, { token, variables: { input: { email: 'ottilie@example.org' } } });
    const change = accountTokenIn(await nextMail(sink, 'ottilie@example.org', VERIFICATION_SUBJECT, seen));
    for (const userId of [id, pending.id])
      assert.equal((await asRoot(DEACTIVATE, { input: { userId } })).errors, undefined);
    const verify = (t: string) => app.graphql(VERIFY_EMAIL, { variables: { input: { token: t } } });
    assert.equal(errorCode(await verify(unverified)), 'TOKEN_EXPIRED', 'the current, unverified address');
    assert.equal(errorCode(await verify(change)), 'TOKEN_EXPIRED', 'the pending address');
    const [ottilie, petra] = [await storedUser(app, id), await storedUser(app, pending.id)];
    assert.deepEqual([ottilie.email, ottilie.pendingEmail], ['ottilie@example.com', undefined]);
    assert.equal(petra.emailVerified, undefined);
  });

  it('deleteUser removes the account and everything it holds, frees the name, and keeps its audit events under a pseudonym', async () => {
    const della = await userWithTotp(app, clock, 'della');
    await verifyAddress(app, sink, della.token, 'della@example.com');
    const key = (await app.graphql(CREATE_API_KEY, { token: della.token, variables: { input: { name: 'sync' } } }))
      .data!.createApiKey.secret;
    await app.graphql(LOGIN, { variables: { input: { username: 'Della', password: 'a wrong password' } } });
    await mfaToken(app, 'della'); // a pending sign-in
    // Guesses at her name from one network, one more than the throttle allows: a sign_in.throttled event, whose
    // `bucket` (the key gathering its repeats) holds the SHA-256 of the name.
    const guesses = [];
    for (let i = 0; i <= PASSWORD_ATTEMPTS_PER_WINDOW; i++)
      guesses.push(
        await graphqlFrom(app, '127.0.4.1', LOGIN, {
          variables: { input: { username: 'della', password: `no ${i}` } },
        }),
      );
    assert.equal(errorCode(guesses.at(-1)!), 'TOO_MANY_ATTEMPTS');
    const nameDigest = createHash('sha256').update('della').digest('hex');
    const digestInBucket = { bucket: { $regex: nameDigest } };
    assert.equal(await db().collection('auditEvents').countDocuments(digestInBucket), 1, 'the throttled sign-in');
    const mailsBefore = sink.mails.length;

    const deleted = await asRoot(DELETE, { input: { userId: della.id } });
    assert.deepEqual([deleted.data?.deleteUser, deleted.errors], [true, undefined]);

    const owned = { userId: new Types.ObjectId(della.id) };
    for (const collection of ['sessions', 'apiKeys', 'factors', 'signInChallenges'])
      assert.equal(await db().collection(collection).countDocuments(owned), 0, collection);
    assert.equal(await db().collection('users').countDocuments({ _id: owned.userId }), 0);
    assert.deepEqual(
      [(await app.graphql(ME, { token: della.token })).status, (await app.graphql(ME, { token: key })).status],
      [401, 401],
    );
    assert.equal(
      (await app.graphql(USER_BY_ID_OR_NAME, { token: root.token, variables: { id: della.id } })).data?.user,
      null,
    );

    const pseudonym = `deleted-user-${della.id}`;
    const trail = await db().collection('auditEvents').find(owned).toArray();
    assert.ok(trail.length >= 5, 'the events stay, under the account’s id');
    assert.ok(!JSON.stringify(trail).includes('della'), 'the name is in none of them');
    const [failed] = trail.filter((event) => event.type === 'sign_in.failed');
    assert.equal((failed.details as { username?: string }).username, pseudonym);
    assert.equal(
      await db().collection('auditEvents').countDocuments(digestInBucket),
      0,
      'nor the digest of the name, which anyone could find again by trying names',
    );
    assert.equal(
      await db().collection('auditEvents').countDocuments({ type: 'sign_in.throttled', 'details.username': pseudonym }),
      1,
      'the throttled sign-in stays, under the pseudonym',
    );
    const [gone] = trail.filter((event) => event.type === 'account.deleted');
    assert.deepEqual([String(gone.actorId), gone.details], [root.id, { username: pseudonym }]);
    const listed = await app.graphql(AUDIT_EVENTS, { token: root.token, variables: { userId: della.id } });
    assert.ok(listed.data!.auditEvents.edges.length >= 5, 'and an admin still reads them');

    const notice = await nextMail(sink, 'della@example.com', /deleted/, mailsBefore);
    assert.equal(notice.parsed.subject, `Your ${ISSUER} account was deleted`);

    const again = await app.graphql(SIGN_UP, {
      variables: { input: { username: 'della', password: TEST_PASSWORD, email: 'new-della@example.com' } },
    });
    assert.notEqual(again.data?.signUp.id, undefined, JSON.stringify(again.errors));
    assert.notEqual(again.data?.signUp.id, della.id, 'the name is free again, for a new account');
    assert.equal(errorCode(await asRoot(DELETE, { input: { userId: della.id } })), 'NOT_FOUND');
  });

  it('setUserRole: a new admin must use MFA at once, and both changes are audited and told', async () => {
    const pat = await signUpAndLogIn(app, 'pat');
    await verifyAddress(app, sink, pat.token, 'pat@example.com');
    const mailsBefore = sink.mails.length;
    const promoted = await asRoot(SET_ROLE, { input: { userId: pat.id, role: 'ADMIN' } });
    assert.deepEqual(promoted.data?.setUserRole, { id: pat.id, role: 'ADMIN', mfaPolicyStatus: 'ENABLED' });
    assert.equal(await works(pat.token), 'UNAUTHENTICATED', 'the password-only session stops');
    const login = await app.graphql(LOGIN, { variables: { input: { username: 'pat', password: TEST_PASSWORD } } });
    assert.equal(login.data?.login.enrollmentRequired, true, 'the next sign-in enrolls a factor');
    const notice = await nextMail(sink, 'pat@example.com', /role/, mailsBefore);
    assert.equal(notice.parsed.subject, `Your role on ${ISSUER} changed`);
    assert.match(notice.parsed.text ?? '', /to ADMIN/);

    // Two demotions at once: both answer the demoted user, only the one that demoted audits and tells it.
    await root.stepUp();
    const demotions = await Promise.all(
      [1, 2].map(() =>
        app.graphql(SET_ROLE, { token: root.token, variables: { input: { userId: pat.id, role: 'USER' } } }),
      ),
    );
    for (const demoted of demotions)
      assert.deepEqual(demoted.data?.setUserRole, { id: pat.id, role: 'USER', mfaPolicyStatus: 'ENABLED' });
    await queueDrained(app);
    assert.deepEqual(
      sink.mails
        .slice(mailsBefore)
        .filter((mail) => mail.envelopeTo.includes('pat@example.com') && /role/.test(mail.parsed.subject ?? ''))
        .map((mail) => /to (ADMIN|USER)/.exec(mail.parsed.text ?? '')?.[1]),
      ['ADMIN', 'USER'],
      'one notice per change',
    );
    const changes = (await events(pat.id, 'account.role_changed')).map((event) => [
      String(event.actorId),
      event.details as unknown,
    ]);
    assert.deepEqual(changes, [
      [root.id, { from: 'USER', to: 'ADMIN' }],
      [root.id, { from: 'ADMIN', to: 'USER' }],
    ]);
    const same = await asRoot(SET_ROLE, { input: { userId: pat.id, role: 'USER' } });
    assert.equal(same.data?.setUserRole.role, 'USER');
    assert.equal((await events(pat.id, 'account.role_changed')).length, 2, 'no change, no event');
    assert.deepEqual(
      (await events(pat.id, 'session.revoked')).map((event) => [String(event.actorId), event.details as unknown]),
      [[root.id, { count: 1, reason: 'mfa_required' }]],
    );
    await asRoot(SET_MFA_POLICY_STATUS, { input: { userId: pat.id, status: 'DISABLED' } });
    assert.equal(await works(pat.token), 'UNAUTHENTICATED', 'ended at the promotion: MFA off does not bring it back');

    const dee = await signUpAndLogIn(app, 'dee');
    await asRoot(DEACTIVATE, { input: { userId: dee.id } });
    assert.equal(
      errorCode(await asRoot(SET_ROLE, { input: { userId: dee.id, role: 'ADMIN' } })),
      'BAD_USER_INPUT',
      'a deactivated account cannot become an admin',
    );
    assert.equal((await storedUser(app, dee.id)).role, 'USER');
    const enrolled = await asRoot(ENABLE_MFA, { input: { factorType: 'totp', userId: dee.id } });
    assert.equal(errorCode(enrolled), 'BAD_USER_INPUT', 'nor gets a factor');
    assert.deepEqual(await storedFactors(app, dee.id), [], 'no pending factor');

    await queueDrained(app);
  });
});
