import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AcceptMfaDocument as ACCEPT,
  ChangeEmailDocument as CHANGE_EMAIL,
  CreateApiKeyDocument as CREATE_API_KEY,
  EnableEmailMfaDocument as ENABLE_EMAIL,
  LogoutDocument as LOGOUT,
  MyEmailDocument as MY_EMAIL,
  RequestPasswordResetDocument as REQUEST_RESET,
  SendEmailVerificationDocument as SEND_VERIFICATION,
  SignUpDocument as SIGN_UP,
  StepUpDocument as STEP_UP,
  VerifyEmailDocument as VERIFY_EMAIL,
} from '../generated/graphql.js';
import { TEST_PASSWORD, logIn, signUpAndLogIn } from '../support/accounts.js';
import { tally } from '../support/attacker.js';
import { graphqlFrom } from '../support/client-address.js';
import {
  CODE_SUBJECT,
  VERIFICATION_SUBJECT,
  CONSOLE_URL,
  accountTokenIn,
  codeIn,
  consoleLinkTokenIn,
  enrollEmail,
  nextMail,
  queueDrained,
  requestVerificationToken,
  verifyAddress,
} from '../support/email.js';
import { TestClock, enrollTotp, totpCode } from '../support/mfa.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

const HOUR_MS = 60 * 60_000;
const ISSUER = 'mfa-graphql';
const ADDED = `A sign-in method was added to your ${ISSUER} account`;
const CHANGE_REQUESTED = `A new e-mail address was given for your ${ISSUER} account`;
const CHANGED = `The e-mail address of your ${ISSUER} account was changed`;

describe('e-mail verification and changing the address, over HTTP with mail from a real SMTP server', () => {
  const clock = new TestClock();
  let sink: SmtpSink;
  let app: TestApp;

  before(async () => {
    sink = await startSmtpSink();
    app = await startTestApp({ SMTP_URL: sink.url, PUBLIC_URL: CONSOLE_URL }, { clock: clock.now });
  });
  after(async () => {
    await app?.stop();
    await sink?.stop();
  });

  const me = async (token: string) => (await app.graphql(MY_EMAIL, { token })).data!.me!;
  const verify = (token: string) => app.graphql(VERIFY_EMAIL, { variables: { input: { token } } });
  /** Subjects of the mails delivered to `to` since mail number `seen`, once the queue is empty. */
  const subjectsTo = async (to: string, seen: number) => {
    await queueDrained(app);
    return sink.mails
      .slice(seen)
      .filter((mail) => mail.envelopeTo.includes(to))
      .map((mail) => mail.parsed.subject ?? '');
  };

  it("links to the console's verification page with the token in the fragment; the link's token verifies", async () => {
    const user = await signUpAndLogIn(app, 'lena');
    const seen = sink.mails.length;
    assert.equal((await app.graphql(SEND_VERIFICATION, { token: user.token })).errors, undefined);
    const mail = await nextMail(sink, 'lena@example.com', VERIFICATION_SUBJECT, seen);
    const linked = consoleLinkTokenIn(mail, 'verify-email');
    assert.equal(linked, accountTokenIn(mail), 'the token shown to type is the one linked');
    assert.equal((await verify(linked)).data?.verifyEmail, true);
    assert.equal((await me(user.token)).emailVerified, true);
  });

  it('starts unverified; the mailed token verifies the address once, and is stored only as a hash', async () => {
    const user = await signUpAndLogIn(app, 'vivian');
    assert.deepEqual(await me(user.token), { id: user.id, email: 'vivian@example.com', emailVerified: false });
    const token = await requestVerificationToken(app, sink, user.token, 'vivian@example.com');
    assert.match(token, /^mfa_ev_[A-Za-z0-9_-]{43}$/, '256 random bits');

    const stored = await app.database.connection.db!.collection('accountTokens').find().toArray();
    assert.equal(stored.length, 1);
    assert.ok(!JSON.stringify(stored).includes(token), 'the token itself is not stored');
    assert.deepEqual(
      [stored[0].purpose, stored[0].address, String(stored[0].userId)],
      ['verify-email', 'vivian@example.com', user.id],
    );

    const verified = await verify(token);
    assert.equal(verified.data?.verifyEmail, true, JSON.stringify(verified.errors));
    assert.equal((await me(user.token)).emailVerified, true);
    assert.equal(errorCode(await verify(token)), 'TOKEN_EXPIRED', 'a replayed token');
    assert.equal(await app.database.connection.db!.collection('accountTokens').countDocuments(), 0, 'spent: deleted');
    assert.equal(
      errorCode(await app.graphql(SEND_VERIFICATION, { token: user.token })),
      'BAD_USER_INPUT',
      'nothing left to verify',
    );
  });

  it('refuses anonymous callers and API keys, and tokens that are wrong, of another kind or malformed', async () => {
    assert.equal(errorCode(await app.graphql(SEND_VERIFICATION)), 'UNAUTHENTICATED');
    const user = await signUpAndLogIn(app, 'wanda');
    const key = await app.graphql(CREATE_API_KEY, { token: user.token, variables: { input: { name: 'script' } } });
    const apiKey = key.data?.createApiKey.secret ?? assert.fail(JSON.stringify(key.errors));
    assert.equal(errorCode(await app.graphql(SEND_VERIFICATION, { token: apiKey })), 'FORBIDDEN');
    assert.equal(
      errorCode(await app.graphql(CHANGE_EMAIL, { token: apiKey, variables: { input: { email: 'x@example.com' } } })),
      'FORBIDDEN',
    );

    const real = await requestVerificationToken(app, sink, user.token, 'wanda@example.com');
    for (const wrong of [
      user.token, // an access token is no verification token
      real.replace(/^mfa_ev_/, 'mfa_pr_'), // the same random part under the reset prefix
      `${real.slice(0, -1)}${real.endsWith('A') ? 'B' : 'A'}`,
    ])
      assert.equal(errorCode(await verify(wrong)), 'TOKEN_EXPIRED');
    assert.equal(errorCode(await verify('x'.repeat(500))), 'BAD_USER_INPUT', 'over-long input');
    assert.equal((await me(user.token)).emailVerified, false);
    assert.equal((await verify(real)).data?.verifyEmail, true, 'the right one still works');
  });

  it('expires a verification token after 24 hours', async () => {
    const user = await signUpAndLogIn(app, 'xena');
    const token = await requestVerificationToken(app, sink, user.token, 'xena@example.com');
    clock.advance(24 * HOUR_MS + 1000);
    assert.equal(errorCode(await verify(token)), 'TOKEN_EXPIRED');
    assert.equal((await me(user.token)).emailVerified, false);
  });

  it('a new request kills the previous token', async () => {
    const user = await signUpAndLogIn(app, 'yara');
    const first = await requestVerificationToken(app, sink, user.token, 'yara@example.com');
    const second = await requestVerificationToken(app, sink, user.token, 'yara@example.com');
    assert.equal(errorCode(await verify(first)), 'TOKEN_EXPIRED');
    assert.equal((await verify(second)).data?.verifyEmail, true);
  });

  it('two verifyEmail racing with one token: exactly one wins', async () => {
    const user = await signUpAndLogIn(app, 'zoe');
    const token = await requestVerificationToken(app, sink, user.token, 'zoe@example.com');
    const responses = await Promise.all(Array.from({ length: 10 }, () => verify(token)));
    assert.deepEqual(tally(responses), { OK: 1, TOKEN_EXPIRED: 9 });
  });

  it('sends no security notice to an unverified address, and the change succeeds; verified, the notice arrives', async () => {
    const user = await signUpAndLogIn(app, 'umar');
    let seen = sink.mails.length;
    await enrollTotp(app, user.token, clock);
    assert.deepEqual(await subjectsTo('umar@example.com', seen), [], 'nothing to an address nobody proved');

    const other = await signUpAndLogIn(app, 'ursula');
    await verifyAddress(app, sink, other.token, 'ursula@example.com');
    seen = sink.mails.length;
    await enrollTotp(app, other.token, clock);
    assert.deepEqual(await subjectsTo('ursula@example.com', seen), [ADDED]);
  });

  it("an e-mail factor's accepted enrollment code verifies the account's address it was sent to, and no other", async () => {
    const user = await signUpAndLogIn(app, 'elena');
    const seen = sink.mails.length;
    await enrollEmail(app, sink, user.token, 'elena@example.com');
    assert.equal((await me(user.token)).emailVerified, true);
    assert.deepEqual(
      (await subjectsTo('elena@example.com', seen)).filter((subject) => !CODE_SUBJECT.test(subject)),
      [ADDED],
      'the notice of the factor already goes to the address it proved',
    );

    const other = await signUpAndLogIn(app, 'emil');
    const enabled = await app.graphql(ENABLE_EMAIL, {
      token: other.token,
      variables: { input: { factorType: 'email', email: 'emil.codes@example.org' } },
    });
    assert.equal(enabled.errors, undefined, JSON.stringify(enabled.errors));
    const code = codeIn(await nextMail(sink, 'emil.codes@example.org', CODE_SUBJECT, 0));
    const accepted = await app.graphql(ACCEPT, {
      token: other.token,
      variables: { input: { token: enabled.data!.enableMfa.token, code } },
    });
    assert.equal(accepted.errors, undefined, JSON.stringify(accepted.errors));
    assert.equal((await me(other.token)).emailVerified, false, 'another address proves nothing about the account one');
  });

  it('changeEmail keeps the new address pending until verified, tells the old verified address, then switches', async () => {
    const user = await signUpAndLogIn(app, 'carla');
    await verifyAddress(app, sink, user.token, 'carla@example.com');
    const seen = sink.mails.length;
    const changed = await app.graphql(CHANGE_EMAIL, {
      token: user.token,
      variables: { input: { email: 'carla.new@example.org' } },
    });
    assert.equal(changed.data?.changeEmail, true, JSON.stringify(changed.errors));
    assert.deepEqual(await me(user.token), { id: user.id, email: 'carla@example.com', emailVerified: true });
    assert.deepEqual(await subjectsTo('carla@example.com', seen), [CHANGE_REQUESTED]);
    const notice = sink.mails.slice(seen).find((mail) => mail.parsed.subject === CHANGE_REQUESTED)!;
    assert.match(notice.parsed.text ?? '', /c\*\*\*w@example\.org was given as the new address/, 'masked');
    const token = accountTokenIn(await nextMail(sink, 'carla.new@example.org', VERIFICATION_SUBJECT, seen));

    const afterRequest = sink.mails.length;
    assert.equal((await verify(token)).data?.verifyEmail, true);
    assert.deepEqual(await me(user.token), { id: user.id, email: 'carla.new@example.org', emailVerified: true });
    assert.deepEqual(await subjectsTo('carla@example.com', afterRequest), [CHANGED], 'the old address hears of it');
    assert.equal(errorCode(await verify(token)), 'TOKEN_EXPIRED');

    // Notices now go to the new address only.
    const later = sink.mails.length;
    await enrollTotp(app, user.token, clock);
    assert.deepEqual(await subjectsTo('carla.new@example.org', later), [ADDED]);
    assert.deepEqual(await subjectsTo('carla@example.com', later), []);
  });

  it('a token mailed to an address the account gave up verifies nothing; an unverified old address hears nothing', async () => {
    const user = await signUpAndLogIn(app, 'dora');
    const forOld = await requestVerificationToken(app, sink, user.token, 'dora@example.com');
    const seen = sink.mails.length;
    await app.graphql(CHANGE_EMAIL, { token: user.token, variables: { input: { email: 'dora.b@example.org' } } });
    const forB = accountTokenIn(await nextMail(sink, 'dora.b@example.org', VERIFICATION_SUBJECT, seen));
    await app.graphql(CHANGE_EMAIL, { token: user.token, variables: { input: { email: 'dora.c@example.org' } } });
    const forC = accountTokenIn(await nextMail(sink, 'dora.c@example.org', VERIFICATION_SUBJECT, seen));
    assert.equal(errorCode(await verify(forOld)), 'TOKEN_EXPIRED');
    assert.equal(errorCode(await verify(forB)), 'TOKEN_EXPIRED');
    assert.deepEqual(await me(user.token), { id: user.id, email: 'dora@example.com', emailVerified: false });
    assert.equal((await verify(forC)).data?.verifyEmail, true);
    assert.deepEqual(await me(user.token), { id: user.id, email: 'dora.c@example.org', emailVerified: true });
    assert.deepEqual(await subjectsTo('dora@example.com', seen), [], 'the old address was never proven');
  });

  it('changeEmail to the current address: unverified, it mails a token for it; verified, it is refused unless a change is pending', async () => {
    const user = await signUpAndLogIn(app, 'hanna');
    const seen = sink.mails.length;
    const same = { token: user.token, variables: { input: { email: 'hanna@example.com' } } };
    assert.equal((await app.graphql(CHANGE_EMAIL, same)).data?.changeEmail, true);
    const token = accountTokenIn(await nextMail(sink, 'hanna@example.com', VERIFICATION_SUBJECT, seen));
    assert.equal((await verify(token)).data?.verifyEmail, true);
    assert.deepEqual(await me(user.token), { id: user.id, email: 'hanna@example.com', emailVerified: true });
    assert.equal(errorCode(await app.graphql(CHANGE_EMAIL, same)), 'BAD_USER_INPUT');
    assert.equal(errorCode(await app.graphql(SEND_VERIFICATION, { token: user.token })), 'BAD_USER_INPUT');
  });

  it('changeEmail to the verified current address takes back a pending change, and its token dies', async () => {
    const user = await signUpAndLogIn(app, 'hilde');
    await verifyAddress(app, sink, user.token, 'hilde@example.com');
    const seen = sink.mails.length;
    const asked = await app.graphql(CHANGE_EMAIL, {
      token: user.token,
      variables: { input: { email: 'typo@example.org' } },
    });
    assert.equal(asked.data?.changeEmail, true, JSON.stringify(asked.errors));
    const token = accountTokenIn(await nextMail(sink, 'typo@example.org', VERIFICATION_SUBJECT, seen));
    const back = await app.graphql(CHANGE_EMAIL, {
      token: user.token,
      variables: { input: { email: 'hilde@example.com' } },
    });
    assert.equal(back.data?.changeEmail, true, JSON.stringify(back.errors));
    assert.equal(errorCode(await verify(token)), 'TOKEN_EXPIRED');
    assert.deepEqual(await me(user.token), { id: user.id, email: 'hilde@example.com', emailVerified: true });
    assert.equal(
      errorCode(await app.graphql(SEND_VERIFICATION, { token: user.token })),
      'BAD_USER_INPUT',
      'none pending',
    );
  });

  it('a pending address is verified only while the session that asked for it lasts', async () => {
    const user = await signUpAndLogIn(app, 'ines');
    await verifyAddress(app, sink, user.token, 'ines@example.com');
    const other = await logIn(app, 'ines');
    const seen = sink.mails.length;
    const asked = await app.graphql(CHANGE_EMAIL, {
      token: other,
      variables: { input: { email: 'ines@example.org' } },
    });
    assert.equal(asked.data?.changeEmail, true, JSON.stringify(asked.errors));
    const token = accountTokenIn(await nextMail(sink, 'ines@example.org', VERIFICATION_SUBJECT, seen));
    assert.equal((await app.graphql(LOGOUT, { token: other })).data?.logout, true);
    assert.equal(errorCode(await verify(token)), 'TOKEN_EXPIRED');
    assert.deepEqual(await me(user.token), { id: user.id, email: 'ines@example.com', emailVerified: true });

    // Asked again from a session that lasts, it goes through.
    const again = sink.mails.length;
    await app.graphql(CHANGE_EMAIL, { token: user.token, variables: { input: { email: 'ines@example.org' } } });
    const next = accountTokenIn(await nextMail(sink, 'ines@example.org', VERIFICATION_SUBJECT, again));
    assert.equal((await verify(next)).data?.verifyEmail, true);
    assert.deepEqual(await me(user.token), { id: user.id, email: 'ines@example.org', emailVerified: true });
  });

  it('changeEmail needs a fresh second factor when MFA is in use, and valid input', async () => {
    const user = await signUpAndLogIn(app, 'fiona');
    const totp = await enrollTotp(app, user.token, clock);
    clock.advance(5 * 60_000 + 1000);
    const change = () =>
      app.graphql(CHANGE_EMAIL, { token: user.token, variables: { input: { email: 'fiona.new@example.org' } } });
    assert.equal(errorCode(await change()), 'STEP_UP_REQUIRED');
    assert.equal((await me(user.token)).email, 'fiona@example.com');
    const stepped = await app.graphql(STEP_UP, {
      token: user.token,
      variables: { input: { code: totpCode(totp.secret, clock) } },
    });
    assert.equal(stepped.errors, undefined, JSON.stringify(stepped.errors));
    assert.equal((await change()).data?.changeEmail, true);
    for (const email of ['not an address', 'a@b', `${'x'.repeat(250)}@example.com`])
      assert.equal(
        errorCode(await app.graphql(CHANGE_EMAIL, { token: user.token, variables: { input: { email } } })),
        'BAD_USER_INPUT',
        email,
      );
    assert.equal(
      errorCode(await app.graphql(CHANGE_EMAIL, { variables: { input: { email: 'a@example.org' } } })),
      'UNAUTHENTICATED',
    );
  });
});

describe('verification mails are capped per account and per address', () => {
  const clock = new TestClock();
  let sink: SmtpSink;
  let app: TestApp;

  before(async () => {
    sink = await startSmtpSink();
    app = await startTestApp({ SMTP_URL: sink.url }, { clock: clock.now });
  });
  after(async () => {
    await app?.stop();
    await sink?.stop();
  });

  it('five an hour for one account, then TOO_MANY_ATTEMPTS with a retry time, and again an hour later', async () => {
    const user = await signUpAndLogIn(app, 'gina');
    const responses = [];
    for (let i = 0; i < 6; i += 1) responses.push(await app.graphql(SEND_VERIFICATION, { token: user.token }));
    assert.deepEqual(tally(responses), { OK: 5, TOO_MANY_ATTEMPTS: 1 });
    assert.ok(Number(responses[5].errors?.[0]?.extensions?.retryAfterSeconds) >= 1);
    await queueDrained(app);
    assert.equal(sink.mails.filter((mail) => mail.envelopeTo.includes('gina@example.com')).length, 5);
    clock.advance(HOUR_MS);
    assert.equal((await app.graphql(SEND_VERIFICATION, { token: user.token })).data?.sendEmailVerification, true);
  });

  it("accounts pointed at one stranger's mailbox (spellings varied) get five mails to it an hour between them", async () => {
    const spellings = ['target@example.net', 'Target+x@example.net', 'TARGET@example.net'];
    const responses = [];
    for (let i = 0; i < 7; i += 1) {
      const user = await signUpAndLogIn(app, `mal${i}`);
      responses.push(
        await app.graphql(CHANGE_EMAIL, { token: user.token, variables: { input: { email: spellings[i % 3] } } }),
      );
    }
    assert.deepEqual(tally(responses), { OK: 5, TOO_MANY_ATTEMPTS: 2 });
    await queueDrained(app);
    const delivered = sink.mails.filter((mail) =>
      mail.envelopeTo.some((to) => spellings.map((s) => s.toLowerCase()).includes(to.toLowerCase())),
    );
    assert.equal(delivered.length, 5);
  });

  it('one account asking for six different new addresses in an hour: five are mailed', async () => {
    const user = await signUpAndLogIn(app, 'hilda');
    const responses = [];
    for (let i = 0; i < 6; i += 1)
      responses.push(
        await app.graphql(CHANGE_EMAIL, {
          token: user.token,
          variables: { input: { email: `hilda${i}@example.org` } },
        }),
      );
    assert.deepEqual(tally(responses), { OK: 5, TOO_MANY_ATTEMPTS: 1 });
    const me = (await app.graphql(MY_EMAIL, { token: user.token })).data?.me;
    assert.equal(me?.email, 'hilda@example.com', 'nothing changes before a verification');
  });

  it("accounts squatting a user's verified address use up its verification mails, not the owner's reset mails", async () => {
    const owner = await signUpAndLogIn(app, 'vesna');
    await verifyAddress(app, sink, owner.token, 'vesna@example.com');
    clock.advance(HOUR_MS);
    const responses = [];
    for (let i = 0; i < 6; i += 1) {
      const username = `squat${i}`;
      await app.graphql(SIGN_UP, {
        variables: { input: { username, password: TEST_PASSWORD, email: 'vesna@example.com' } },
      });
      const token = await logIn(app, username);
      responses.push(await graphqlFrom(app, `127.0.2.${i + 1}`, SEND_VERIFICATION, { token }));
    }
    assert.deepEqual(tally(responses), { OK: 5, TOO_MANY_ATTEMPTS: 1 }, 'the squatters are capped as before');
    await queueDrained(app);
    const seen = sink.mails.length;
    const requested = await app.graphql(REQUEST_RESET, { variables: { input: { username: 'vesna' } } });
    assert.equal(requested.data?.requestPasswordReset, true);
    await app.services.passwordReset.settled();
    const mail = await nextMail(sink, 'vesna@example.com', /Reset your mfa-graphql password/, seen);
    assert.match(accountTokenIn(mail), /^mfa_pr_/);
  });
});
