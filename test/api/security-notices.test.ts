import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DisableMfaDocument as DISABLE_MFA,
  RegenerateRecoveryCodesDocument as REGENERATE,
  SetMfaPolicyStatusDocument as SET_STATUS,
  SignUpDocument as SIGN_UP,
  VerifyMfaDocument as VERIFY_MFA,
  type MfaPolicyStatus,
} from '../generated/graphql.js';
import { TEST_PASSWORD, logIn, signUpAndLogIn } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import {
  CODE_SUBJECT,
  VERIFICATION_SUBJECT,
  codeIn,
  enrollEmail,
  queueDrained,
  sendAndReadCode,
  verifyAddress,
} from '../support/email.js';
import { TestClock, enrollTotp, mfaToken, type EnrolledTotp } from '../support/mfa.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const ISSUER = 'mfa-graphql'; // MFA_ISSUER's default
const SUBJECT = {
  added: `A sign-in method was added to your ${ISSUER} account`,
  removed: `A sign-in method was removed from your ${ISSUER} account`,
  recoveryCodeUsed: `A recovery code was used for your ${ISSUER} account`,
  regenerated: `New recovery codes for your ${ISSUER} account`,
  byAdmin: `An administrator changed your ${ISSUER} sign-in settings`,
};

/** Code-unit order: the same on every machine, unlike localeCompare. */
const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface Notice {
  to: string[];
  subject: string;
  text: string;
  html: string;
}

// NIST SP 800-63B §6.1.2.1: the account owner hears of every change to their second factors.
describe('security notices to the account owner, through the mail queue into a real SMTP server', () => {
  const clock = new TestClock();
  const nina = 'nina@example.com';
  /** Everything that must never be in a notice: secrets, codes, tokens. Codes mailed by e-mail factors are added at the end. */
  const secrets: string[] = [];
  let sink: SmtpSink;
  let app: TestApp;
  let admin: MfaAdmin;
  let user: { id: string; token: string };
  let totp: EnrolledTotp;
  let emailFactorId: string;

  before(async () => {
    sink = await startSmtpSink();
    app = await startTestApp({ ...ADMIN_ENV, SMTP_URL: sink.url }, { clock: clock.now });
    admin = await adminWithMfa(app, clock);
    user = await signUpAndLogIn(app, 'nina');
    // Notices go only to a verified address: Nina proves hers as a user does.
    await verifyAddress(app, sink, user.token, nina);
    secrets.push(admin.token, admin.totp.secret, user.token);
  });
  after(async () => {
    await app?.stop();
    await sink?.stop();
  });

  /** The notices delivered since mail number `seen` (code and verification mails left out), in a stable order, once the queue is empty. */
  async function noticesSince(seen: number): Promise<Notice[]> {
    await queueDrained(app);
    return sink.mails
      .slice(seen)
      .filter(
        (mail) =>
          !CODE_SUBJECT.test(mail.parsed.subject ?? '') && !VERIFICATION_SUBJECT.test(mail.parsed.subject ?? ''),
      )
      .map((mail) => ({
        to: mail.envelopeTo,
        subject: mail.parsed.subject ?? '',
        text: mail.parsed.text ?? '',
        html: String(mail.parsed.html),
      }))
      .sort((a, b) => order(a.subject, b.subject) || order(a.text, b.text));
  }
  const setStatus = (userId: string, status: MfaPolicyStatus) =>
    app.graphql(SET_STATUS, { token: admin.token, variables: { input: { userId, status } } });

  it('tells the owner when a factor is added: the authenticator app, then e-mail codes', async () => {
    let seen = sink.mails.length;
    totp = await enrollTotp(app, user.token, clock);
    secrets.push(totp.secret, ...totp.scratchCodes);
    let notices = await noticesSince(seen);
    assert.deepEqual(
      notices.map(({ to, subject }) => [to, subject]),
      [[[nina], SUBJECT.added]],
    );
    assert.match(
      notices[0].text,
      /Authentication app was added as a second sign-in step to your mfa-graphql account on /,
    );

    seen = sink.mails.length;
    ({ factorId: emailFactorId } = await enrollEmail(app, sink, user.token, nina));
    notices = await noticesSince(seen);
    assert.deepEqual(
      notices.map(({ to, subject }) => [to, subject]),
      [[[nina], SUBJECT.added]],
    );
    assert.match(notices[0].text, /One-time e-mail password was added/);
  });

  it('tells the owner when they remove a factor (disableMfa)', async () => {
    clock.advance(31_000); // the e-mail factor's resend cooldown since its enrollment code
    const code = await sendAndReadCode(app, sink, { factorId: emailFactorId }, nina, user.token);
    const seen = sink.mails.length;
    const removed = await app.graphql(DISABLE_MFA, {
      token: user.token,
      variables: { input: { factorId: emailFactorId, password: TEST_PASSWORD, code } },
    });
    assert.deepEqual(
      removed.data?.disableMfa.factors.map((factor) => factor.type),
      ['totp'],
      JSON.stringify(removed.errors),
    );
    const notices = await noticesSince(seen);
    assert.deepEqual(
      notices.map(({ to, subject }) => [to, subject]),
      [[[nina], SUBJECT.removed]],
    );
    assert.match(notices[0].text, /One-time e-mail password was removed from the second sign-in steps/);
  });

  it('tells the owner when a recovery code is used, with the number left, and when the codes are regenerated', async () => {
    let session = '';
    for (const [used, left] of [
      [0, 9],
      [1, 8],
    ] as const) {
      const seen = sink.mails.length;
      const token = await mfaToken(app, 'nina');
      const verified = await app.graphql(VERIFY_MFA, {
        variables: { input: { mfaToken: token, recoveryCode: totp.scratchCodes[used] } },
      });
      session = verified.data?.verifyMfa.accessToken ?? assert.fail(JSON.stringify(verified.errors));
      secrets.push(token, session);
      const notices = await noticesSince(seen);
      assert.deepEqual(
        notices.map(({ to, subject }) => [to, subject]),
        [[[nina], SUBJECT.recoveryCodeUsed]],
      );
      assert.match(notices[0].text, new RegExp(`Each code works once: ${left} unused codes are left\\.`));
    }
    const seen = sink.mails.length;
    const regenerated = await app.graphql(REGENERATE, { token: session, variables: { input: {} } });
    assert.equal(regenerated.data?.regenerateRecoveryCodes.length, 10, JSON.stringify(regenerated.errors));
    secrets.push(...regenerated.data.regenerateRecoveryCodes);
    const notices = await noticesSince(seen);
    assert.deepEqual(
      notices.map(({ to, subject }) => [to, subject]),
      [[[nina], SUBJECT.regenerated]],
    );
    assert.match(notices[0].text, /The previous codes no longer work\./);
  });

  it('tells the owner when an admin turns their MFA off and on, and when an admin removes their factors', async () => {
    await admin.stepUp();
    for (const [status, words] of [
      ['DISABLED', 'turned MFA off'],
      ['ENABLED', 'turned MFA on'],
    ] as const) {
      const seen = sink.mails.length;
      assert.equal((await setStatus(user.id, status)).data?.setMfaPolicyStatus.mfaPolicyStatus, status);
      const notices = await noticesSince(seen);
      assert.deepEqual(
        notices.map(({ to, subject }) => [to, subject]),
        [[[nina], SUBJECT.byAdmin]],
      );
      assert.match(notices[0].text, new RegExp(`: an administrator ${words} for your account\\.`));
    }
    const seen = sink.mails.length;
    const disabled = await app.graphql(DISABLE_MFA, { token: admin.token, variables: { input: { userId: user.id } } });
    assert.deepEqual(disabled.data?.disableMfa.factors, [], JSON.stringify(disabled.errors));
    const notices = await noticesSince(seen);
    assert.deepEqual(
      notices.map(({ to, subject }) => [to, subject]),
      [
        [[nina], SUBJECT.removed],
        [[nina], SUBJECT.byAdmin],
      ],
    );
    assert.match(notices[0].text, /Authentication app was removed/);
    assert.match(notices[1].text, /: an administrator removed your second factors\./);
  });

  it('sends nothing to a user without an e-mail address, and every change still succeeds', async () => {
    const signedUp = await app.graphql(SIGN_UP, {
      variables: { input: { username: 'omar', password: TEST_PASSWORD } },
    });
    assert.equal(signedUp.data?.signUp.email, null, JSON.stringify(signedUp.errors));
    const logLines = app.logLines.length;
    const seen = sink.mails.length;
    const omarTotp = await enrollTotp(app, await logIn(app, 'omar'), clock);
    const recovered = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: await mfaToken(app, 'omar'), recoveryCode: omarTotp.scratchCodes[0] } },
    });
    assert.match(recovered.data?.verifyMfa.accessToken ?? '', /^mfa_at_/, JSON.stringify(recovered.errors));
    await admin.stepUp();
    assert.equal(
      (await setStatus(signedUp.data.signUp.id, 'DISABLED')).data?.setMfaPolicyStatus.mfaPolicyStatus,
      'DISABLED',
    );
    const disabled = await app.graphql(DISABLE_MFA, {
      token: admin.token,
      variables: { input: { userId: signedUp.data.signUp.id } },
    });
    assert.deepEqual(disabled.data?.disableMfa.factors, [], JSON.stringify(disabled.errors));
    await queueDrained(app);
    assert.equal(sink.mails.length, seen, 'no mail to anyone');
    assert.deepEqual(
      app.logLines.slice(logLines).filter((line) => line.includes('notice could not be queued')),
      [],
    );
  });

  it('puts no code, secret or token in any notice', async () => {
    const codes = sink.mails.filter((mail) => CODE_SUBJECT.test(mail.parsed.subject ?? '')).map(codeIn);
    const notices = await noticesSince(0);
    assert.deepEqual([notices.length, codes.length], [10, 2], 'every notice and code mail of this file');
    for (const notice of notices) {
      for (const secret of [...secrets, ...codes]) {
        assert.ok(
          ![notice.subject, notice.text, notice.html].some((part) => part.includes(secret)),
          `"${notice.subject}" contains ${secret}`,
        );
      }
    }
  });
});
