import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ChangeEmailDocument as CHANGE_EMAIL,
  ChangePasswordDocument as CHANGE_PASSWORD,
  LoginDocument as LOGIN,
  MeDocument as ME,
  MyMfaDocument as MY_MFA,
  RequestPasswordResetDocument as REQUEST_RESET,
  ResetPasswordDocument as RESET,
  SignUpDocument as SIGN_UP,
  VerifyEmailDocument as VERIFY_EMAIL,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { TEST_PASSWORD, logIn, signUpAndLogIn } from '../support/accounts.js';
import { tally } from '../support/attacker.js';
import { ADMIN_ENV, adminWithMfa } from '../support/admin.js';
import { graphqlFrom } from '../support/client-address.js';
import {
  CONSOLE_URL,
  accountTokenIn,
  consoleLinkTokenIn,
  nextMail,
  queueDrained,
  requestVerificationToken,
  verifyAddress,
} from '../support/email.js';
import { TestClock, enrollTotp, totpCode } from '../support/mfa.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

const RESET_SUBJECT = /Reset your mfa-graphql password/;
const NEW_PASSWORD = 'a brand new passphrase 7';
const HOUR_MS = 60 * 60_000;
/** Just over the age a live reset token must reach before a new request replaces it (2 min). */
const RESET_REISSUE_MS = 2 * 60_000 + 1000;
/** MAIL_CODES_PER_CLIENT_PER_HOUR for this file: room for every request the suite makes from 127.0.0.1 in one hour. */
const PER_CLIENT = 40;

describe('forgot your password: requestPasswordReset and resetPassword over HTTP, mail from a real SMTP server', () => {
  const clock = new TestClock();
  let sink: SmtpSink;
  let app: TestApp;

  before(async () => {
    sink = await startSmtpSink();
    app = await startTestApp(
      {
        ...ADMIN_ENV,
        SMTP_URL: sink.url,
        MAIL_CODES_PER_CLIENT_PER_HOUR: String(PER_CLIENT),
        PUBLIC_URL: CONSOLE_URL,
      },
      { clock: clock.now },
    );
  });
  after(async () => {
    await app?.stop();
    await sink?.stop();
  });

  /** Every request handled and every mail it queued delivered. */
  const settled = async () => {
    await app.services.passwordReset.settled();
    await queueDrained(app);
  };
  const requestReset = (input: { username?: string; email?: string }) =>
    app.graphql(REQUEST_RESET, { variables: { input } });
  const reset = (token: string, newPassword = NEW_PASSWORD) =>
    app.graphql(RESET, { variables: { input: { token, newPassword } } });
  /** requestPasswordReset, then the token from the mail it caused. */
  const resetToken = async (input: { username?: string; email?: string }, address: string) => {
    const seen = sink.mails.length;
    assert.equal((await requestReset(input)).data?.requestPasswordReset, true);
    return accountTokenIn(await nextMail(sink, address, RESET_SUBJECT, seen));
  };
  /** A signed-up user whose address is verified, signed in. */
  const verifiedUser = async (name: string) => {
    const user = await signUpAndLogIn(app, name);
    await verifyAddress(app, sink, user.token, `${name}@example.com`);
    return user;
  };

  it('answers true for unknown, unverified and verified accounts alike, and mails only the verified address', async () => {
    await verifiedUser('rita');
    await signUpAndLogIn(app, 'ulla'); // address never verified
    await app.graphql(SIGN_UP, { variables: { input: { username: 'noel', password: TEST_PASSWORD } } }); // no address
    const seen = sink.mails.length;
    const inputs = [
      { username: 'nobody-here' },
      { email: 'nobody@example.com' },
      { username: 'ulla' },
      { email: 'ulla@example.com' },
      { username: 'noel' },
      { username: 'rita' },
    ];
    for (const input of inputs) {
      const answered = await requestReset(input);
      assert.deepEqual(answered, { status: 200, data: { requestPasswordReset: true } }, JSON.stringify(input));
    }
    await settled();
    assert.deepEqual(
      sink.mails.slice(seen).map((mail) => [mail.envelopeTo, mail.parsed.subject]),
      [[['rita@example.com'], 'Reset your mfa-graphql password']],
    );
    const mail = sink.mails.at(-1)!;
    assert.match(mail.parsed.text ?? '', /account "rita"/);
    assert.match(mail.parsed.text ?? '', /expires in 30 minutes/);
    const stored = await app.database.connection
      .db!.collection('accountTokens')
      .find({ purpose: 'reset-password' })
      .toArray();
    assert.equal(stored.length, 1);
    assert.ok(!JSON.stringify(stored).includes(accountTokenIn(mail)), 'stored only as a hash');
  });

  it("links to the console's reset page with the token in the fragment, beside the token itself; the link's token resets", async () => {
    await verifiedUser('lina');
    const seen = sink.mails.length;
    assert.equal((await requestReset({ username: 'lina' })).data?.requestPasswordReset, true);
    const mail = await nextMail(sink, 'lina@example.com', RESET_SUBJECT, seen);
    const linked = consoleLinkTokenIn(mail, 'reset-password');
    assert.equal(linked, accountTokenIn(mail), 'the token shown to type is the one linked');
    assert.match(mail.parsed.text ?? '', new RegExp(`\\(resetPassword\\):\\n\\n {4}${linked}\\n`));
    const done = await reset(linked);
    assert.equal(done.data?.resetPassword, true, JSON.stringify(done.errors));
    assert.match(await logIn(app, 'lina', NEW_PASSWORD), /^mfa_at_/);
    await settled();
  });

  it('needs exactly one of username and email', async () => {
    assert.equal(errorCode(await requestReset({})), 'BAD_USER_INPUT');
    assert.equal(errorCode(await requestReset({ username: 'rita', email: 'rita@example.com' })), 'BAD_USER_INPUT');
  });

  it('finds the account by its verified address too, and sets the password: every session ends, the old password fails', async () => {
    const user = await verifiedUser('sara');
    const other = await logIn(app, 'sara');
    const token = await resetToken({ email: 'sara@example.com' }, 'sara@example.com');
    assert.match(token, /^mfa_pr_[A-Za-z0-9_-]{43}$/);
    const seen = sink.mails.length;
    const done = await reset(token);
    assert.equal(done.data?.resetPassword, true, JSON.stringify(done.errors));
    const notice = await nextMail(sink, 'sara@example.com', /^Your mfa-graphql password was reset$/, seen);
    assert.match(notice.parsed.text ?? '', /Every session signed in before has ended/);
    assert.ok(!(notice.parsed.text ?? '').includes(token), 'the notice holds no token');
    for (const session of [user.token, other])
      assert.equal((await app.graphql(ME, { token: session })).status, 401, 'every session ended');
    assert.equal(
      errorCode(await app.graphql(LOGIN, { variables: { input: { username: 'sara', password: TEST_PASSWORD } } })),
      'INVALID_CREDENTIALS',
    );
    assert.match(await logIn(app, 'sara', NEW_PASSWORD), /^mfa_at_/);
    assert.equal(errorCode(await reset(token, 'yet another passphrase 9')), 'TOKEN_EXPIRED', 'replayed');
  });

  it('never bypasses MFA: after a reset the next sign-in still asks for the factor, and the factors are unchanged', async () => {
    const user = await verifiedUser('mona');
    const totp = await enrollTotp(app, user.token, clock);
    const factorsBefore = (await app.graphql(MY_MFA, { token: user.token })).data!.me!.factors.map(({ id }) => id);
    const token = await resetToken({ username: 'mona' }, 'mona@example.com');
    assert.equal((await reset(token)).data?.resetPassword, true);
    const login = await app.graphql(LOGIN, { variables: { input: { username: 'mona', password: NEW_PASSWORD } } });
    assert.equal(login.data?.login.mfaRequired, true, JSON.stringify(login));
    assert.equal(login.data?.login.accessToken ?? null, null, 'no session on the new password alone');
    const mfaToken = login.data?.login.mfaToken ?? assert.fail('no mfaToken');
    const verified = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken, factorId: totp.factorId, code: totpCode(totp.secret, clock) } },
    });
    const session = verified.data?.verifyMfa.accessToken ?? assert.fail(JSON.stringify(verified.errors));
    clock.nextStep();
    const factorsAfter = (await app.graphql(MY_MFA, { token: session })).data!.me!;
    assert.deepEqual(
      factorsAfter.factors.map(({ id }) => id),
      factorsBefore,
      'the same factors',
    );
    assert.equal(factorsAfter.mfaPolicyStatus, 'ENABLED');
  });

  it("after an admin's requireUserPasswordReset, the reset flow is the way back in, second factor still asked", async () => {
    const admin = await adminWithMfa(app, clock);
    await admin.stepUp();
    const user = await verifiedUser('gwen');
    const totp = await enrollTotp(app, user.token, clock);
    const required = await app.graphql<{ requireUserPasswordReset: { id: string } }>(
      'mutation ($input: UserIdInput!) { requireUserPasswordReset(input: $input) { id } }',
      { token: admin.token, variables: { input: { userId: user.id } } },
    );
    assert.equal(required.data?.requireUserPasswordReset.id, user.id, JSON.stringify(required.errors));
    const refused = await app.graphql(LOGIN, { variables: { input: { username: 'gwen', password: TEST_PASSWORD } } });
    assert.equal(errorCode(refused), 'PASSWORD_RESET_REQUIRED');

    const token = await resetToken({ username: 'gwen' }, 'gwen@example.com');
    assert.equal((await reset(token)).data?.resetPassword, true);
    const login = await app.graphql(LOGIN, { variables: { input: { username: 'gwen', password: NEW_PASSWORD } } });
    assert.equal(login.data?.login.mfaRequired, true, JSON.stringify(login));
    const mfaToken = login.data?.login.mfaToken ?? assert.fail('no mfaToken');
    const verified = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken, factorId: totp.factorId, code: totpCode(totp.secret, clock) } },
    });
    assert.match(verified.data?.verifyMfa.accessToken ?? '', /^mfa_at_/, JSON.stringify(verified.errors));
    clock.nextStep();
  });

  it('refuses expired tokens (30 min), tokens of the other purpose, and a token killed by a newer request', async () => {
    await verifiedUser('tess');
    const old = await resetToken({ username: 'tess' }, 'tess@example.com');
    clock.advance(RESET_REISSUE_MS);
    const fresh = await resetToken({ username: 'tess' }, 'tess@example.com');
    assert.equal(errorCode(await reset(old)), 'TOKEN_EXPIRED', 'a new request kills the old token');
    clock.advance(30 * 60_000 + 1000);
    assert.equal(errorCode(await reset(fresh)), 'TOKEN_EXPIRED', 'expired');

    const user = await signUpAndLogIn(app, 'tina');
    const verification = await requestVerificationToken(app, sink, user.token, 'tina@example.com');
    assert.equal(errorCode(await reset(verification)), 'TOKEN_EXPIRED', 'a verification token resets nothing');
    assert.equal(
      (await app.graphql(VERIFY_EMAIL, { variables: { input: { token: verification } } })).data?.verifyEmail,
      true,
    );
    const resetting = await resetToken({ username: 'tina' }, 'tina@example.com');
    assert.equal(
      errorCode(await app.graphql(VERIFY_EMAIL, { variables: { input: { token: resetting } } })),
      'TOKEN_EXPIRED',
      'a reset token verifies nothing',
    );
    assert.equal((await reset(resetting)).data?.resetPassword, true, 'and is still good for its own purpose');
  });

  it('a reset token dies when the account moves to another verified address; the next one goes there', async () => {
    const user = await verifiedUser('xenia');
    const token = await resetToken({ username: 'xenia' }, 'xenia@example.com');
    const seen = sink.mails.length;
    const changed = await app.graphql(CHANGE_EMAIL, {
      token: user.token,
      variables: { input: { email: 'xenia.new@example.org' } },
    });
    assert.equal(changed.errors, undefined, JSON.stringify(changed.errors));
    const verification = accountTokenIn(await nextMail(sink, 'xenia.new@example.org', /Confirm your e-mail/, seen));
    const verified = await app.graphql(VERIFY_EMAIL, { variables: { input: { token: verification } } });
    assert.equal(verified.data?.verifyEmail, true, JSON.stringify(verified.errors));
    assert.equal(errorCode(await reset(token)), 'TOKEN_EXPIRED');
    const next = await resetToken({ email: 'xenia.new@example.org' }, 'xenia.new@example.org');
    assert.equal((await reset(next)).data?.resetPassword, true);
  });

  it('two resetPassword racing with one token: exactly one wins', async () => {
    await verifiedUser('uma');
    const token = await resetToken({ username: 'uma' }, 'uma@example.com');
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => reset(token, `racing passphrase number ${i}`)),
    );
    assert.deepEqual(tally(responses), { OK: 1, TOKEN_EXPIRED: 9 });
    const winner = responses.findIndex((response) => !response.errors);
    assert.match(await logIn(app, 'uma', `racing passphrase number ${winner}`), /^mfa_at_/);
  });

  it('changePassword racing resetPassword over HTTP: the reset wins whichever lands first, and the changing session ends', async () => {
    for (let round = 0; round < 3; round += 1) {
      const name = `racer${round}`;
      const user = await verifiedUser(name);
      const token = await resetToken({ username: name }, `${name}@example.com`);
      const changedTo = 'a changed passphrase 42';
      const [changed, resetDone] = await Promise.all([
        app.graphql(CHANGE_PASSWORD, {
          token: user.token,
          variables: { input: { currentPassword: TEST_PASSWORD, newPassword: changedTo } },
        }),
        reset(token),
      ]);
      assert.equal(resetDone.data?.resetPassword, true, JSON.stringify(resetDone.errors));
      assert.ok(
        changed.data?.changePassword === true || errorCode(changed) === 'INVALID_CREDENTIALS',
        JSON.stringify(changed),
      );
      assert.match(await logIn(app, name, NEW_PASSWORD), /^mfa_at_/);
      const stale = await app.graphql(LOGIN, { variables: { input: { username: name, password: changedTo } } });
      assert.equal(errorCode(stale), 'INVALID_CREDENTIALS');
      assert.equal((await app.graphql(ME, { token: user.token })).status, 401, 'the changing session ended too');
    }
  });

  it('a password the rules refuse is BAD_USER_INPUT and leaves the token usable', async () => {
    await verifiedUser('vera');
    const token = await resetToken({ username: 'vera' }, 'vera@example.com');
    assert.equal(errorCode(await reset(token, 'short')), 'BAD_USER_INPUT');
    assert.equal((await reset(token)).data?.resetPassword, true);
  });

  /** How many reset mails reached `address` since mail number `seen`. */
  const resetMailsTo = (address: string, seen: number) =>
    sink.mails
      .slice(seen)
      .filter((mail) => mail.envelopeTo.includes(address) && RESET_SUBJECT.test(mail.parsed.subject ?? '')).length;

  it('a request within 2 minutes of the last reset mail sends nothing and keeps its token; a burst mails once', async () => {
    clock.advance(HOUR_MS);
    await verifiedUser('vivi');
    const first = await resetToken({ username: 'vivi' }, 'vivi@example.com');
    let seen = sink.mails.length;
    // Strangers from five networks, at once: the owner's link stays the one that works.
    await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        graphqlFrom(app, `127.0.3.${i}`, REQUEST_RESET, { variables: { input: { username: 'vivi' } } }),
      ),
    );
    clock.advance(60_000);
    assert.equal((await requestReset({ email: 'vivi@example.com' })).data?.requestPasswordReset, true);
    await settled();
    assert.equal(resetMailsTo('vivi@example.com', seen), 0);
    assert.equal((await reset(first)).data?.resetPassword, true, 'the first token was not replaced');

    seen = sink.mails.length;
    await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        graphqlFrom(app, `127.0.3.${i}`, REQUEST_RESET, { variables: { input: { username: 'vivi' } } }),
      ),
    );
    await settled();
    assert.equal(resetMailsTo('vivi@example.com', seen), 1, 'five racing requests, one token');
    clock.advance(31 * 60_000); // that token expired; its count in the caps has not
    seen = sink.mails.length;
    await requestReset({ username: 'vivi' });
    await settled();
    assert.equal(resetMailsTo('vivi@example.com', seen), 1, 'the owner still gets one');
  });

  it("strangers flooding from other networks cannot use up the owner's resets: 3 an hour per network, 5 from unknown ones", async () => {
    clock.advance(HOUR_MS);
    await verifiedUser('wendy'); // signed in from 127.0.0.1, which is now a network of hers
    clock.advance(HOUR_MS);
    const seen = sink.mails.length;
    const from = async (network: string, times: number) => {
      for (let i = 0; i < times; i += 1) {
        const response = await graphqlFrom(app, network, REQUEST_RESET, {
          variables: { input: { username: 'wendy' } },
        });
        assert.equal(response.data?.requestPasswordReset, true, 'always true');
        clock.advance(RESET_REISSUE_MS);
      }
      await settled();
      return resetMailsTo('wendy@example.com', seen);
    };
    assert.equal(await from('127.0.4.1', 5), 3, 'one network gets 3');
    assert.equal(await from('127.0.4.2', 4), 5, 'the next one the 2 left for networks she never signed in from');
    assert.equal(await from('127.0.4.3', 2), 5, 'and a third none');
    assert.equal(await from('127.0.0.1', 1), 6, 'her own network still gets hers');
  });

  it('reset requests by address leave the mailbox window changeEmail reports alone: known and unknown addresses look alike', async () => {
    clock.advance(HOUR_MS);
    await verifiedUser('kora');
    const prober = await signUpAndLogIn(app, 'prober');
    clock.advance(HOUR_MS);
    const seen = sink.mails.length;
    for (const address of ['kora@example.com', 'nobody-kora@example.com']) {
      for (let i = 0; i < 5; i += 1) {
        await graphqlFrom(app, `127.0.1.${i + 1}`, REQUEST_RESET, { variables: { input: { email: address } } });
        clock.advance(RESET_REISSUE_MS);
      }
      await settled();
    }
    assert.equal(resetMailsTo('kora@example.com', seen), 5, 'the requests did mail kora');
    const probes = [];
    for (const email of ['kora@example.com', 'nobody-kora@example.com'])
      probes.push(await app.graphql(CHANGE_EMAIL, { token: prober.token, variables: { input: { email } } }));
    assert.deepEqual(
      probes.map((probe) => probe.data?.changeEmail ?? errorCode(probe)),
      [true, true],
    );
  });

  it('caps reset requests per client address, known names or not, in a window apart from the code mails', async () => {
    clock.advance(HOUR_MS);
    const user = await verifiedUser('xena');
    const responses = [];
    for (let i = 0; i <= PER_CLIENT; i += 1)
      responses.push(
        await graphqlFrom(app, '127.0.0.9', REQUEST_RESET, {
          variables: { input: { username: i % 2 ? 'xena' : `ghost${i}` } },
        }),
      );
    assert.deepEqual(
      tally(responses),
      { OK: PER_CLIENT, TOO_MANY_ATTEMPTS: 1 },
      'the same for known and unknown names',
    );
    await settled();
    const changed = await graphqlFrom(app, '127.0.0.9', CHANGE_EMAIL, {
      token: user.token,
      variables: { input: { email: 'xena-new@example.com' } },
    });
    assert.equal(changed.data?.changeEmail, true, 'the client still gets its mails: ' + JSON.stringify(changed.errors));
  });

  it('changePassword kills a reset token mailed before it', async () => {
    clock.advance(HOUR_MS + 1000);
    const user = await verifiedUser('pia');
    const token = await resetToken({ username: 'pia' }, 'pia@example.com');
    const changed = await app.graphql(CHANGE_PASSWORD, {
      token: user.token,
      variables: { input: { currentPassword: TEST_PASSWORD, newPassword: 'the owner chose this one 31' } },
    });
    assert.equal(changed.data?.changePassword, true, JSON.stringify(changed.errors));
    assert.equal(errorCode(await reset(token)), 'TOKEN_EXPIRED');
    assert.match(await logIn(app, 'pia', 'the owner chose this one 31'), /^mfa_at_/);
  });

  it('a reset spends the mfaTokens the old password earned: the second factor no longer finishes that sign-in', async () => {
    clock.advance(HOUR_MS + 1000);
    const user = await verifiedUser('quinn');
    const totp = await enrollTotp(app, user.token, clock);
    clock.nextStep();
    const login = await app.graphql(LOGIN, { variables: { input: { username: 'quinn', password: TEST_PASSWORD } } });
    const mfaToken = login.data!.login.mfaToken!;
    const done = await reset(await resetToken({ username: 'quinn' }, 'quinn@example.com'));
    assert.equal(done.data?.resetPassword, true, JSON.stringify(done.errors));
    clock.nextStep();
    const verified = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken, factorId: totp.factorId, code: totpCode(totp.secret, clock) } },
    });
    assert.equal(errorCode(verified), 'TOKEN_EXPIRED', JSON.stringify(verified.data));
  });

  it('sign-ins racing a reset with the old password keep no session', async () => {
    clock.advance(HOUR_MS + 1000);
    let standing = 0;
    let issued = 0;
    for (let round = 0; round < 4; round += 1) {
      const name = `rival${round}`;
      await verifiedUser(name);
      const token = await resetToken({ username: name }, `${name}@example.com`);
      const [done, ...logins] = await Promise.all([
        reset(token),
        ...Array.from({ length: 6 }, (_, i) =>
          graphqlFrom(app, `127.0.6.${round * 10 + i + 1}`, LOGIN, {
            variables: { input: { username: name, password: TEST_PASSWORD } },
          }),
        ),
      ]);
      assert.equal(done.data?.resetPassword, true, JSON.stringify(done.errors));
      for (const login of logins) {
        const accessToken = login.data?.login.accessToken;
        if (!accessToken) continue;
        issued += 1;
        if ((await app.graphql(ME, { token: accessToken })).status === 200) standing += 1;
      }
      assert.match(await logIn(app, name, NEW_PASSWORD), /^mfa_at_/, 'the new password signs in');
    }
    assert.equal(standing, 0, `${issued} sessions issued by the old password, none may stand`);
  });

  it("a changeEmail asked by a stolen session dies with the owner's reset: the thief cannot verify it nor reset with it", async () => {
    clock.advance(HOUR_MS + 1000);
    await verifiedUser('rosa');
    const stolen = await logIn(app, 'rosa');
    const seen = sink.mails.length;
    const changed = await app.graphql(CHANGE_EMAIL, {
      token: stolen,
      variables: { input: { email: 'thief@evil.example' } },
    });
    assert.equal(changed.data?.changeEmail, true, JSON.stringify(changed.errors));
    const verifyToken = accountTokenIn(await nextMail(sink, 'thief@evil.example', /Confirm your e-mail/, seen));
    const done = await reset(await resetToken({ username: 'rosa' }, 'rosa@example.com'));
    assert.equal(done.data?.resetPassword, true, JSON.stringify(done.errors));
    assert.equal((await app.graphql(ME, { token: stolen })).status, 401);
    assert.equal(
      errorCode(await app.graphql(VERIFY_EMAIL, { variables: { input: { token: verifyToken } } })),
      'TOKEN_EXPIRED',
    );
    assert.match(await logIn(app, 'rosa', NEW_PASSWORD), /^mfa_at_/);
    const stored = await app.database.connection
      .db!.collection('users')
      .findOne({ usernameKey: 'rosa' }, { projection: { email: 1, pendingEmail: 1 } });
    assert.deepEqual([stored?.email, stored?.pendingEmail], ['rosa@example.com', undefined], 'no pending change left');
    const before = sink.mails.length;
    await requestReset({ email: 'thief@evil.example' });
    await settled();
    assert.equal(
      sink.mails.slice(before).filter((mail) => mail.envelopeTo.includes('thief@evil.example')).length,
      0,
      'no reset mail to the thief',
    );
  });
});
