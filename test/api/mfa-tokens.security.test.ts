import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AcceptMfaDocument as ACCEPT_MFA,
  EnableMfaDocument as ENABLE_MFA,
  MyMfaDocument as MY_MFA,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { signUpAndLogIn } from '../support/accounts.js';
import {
  auditCount,
  failuresOf,
  mfaTokens,
  storedUser,
  tally,
  userWithTotp,
  type MfaUser,
} from '../support/attacker.js';
import { TestClock, mfaToken, totpCode, totpSecretOf, wrongTotpCode } from '../support/mfa.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

const MINUTE_MS = 60_000;

/** The short-lived tokens between steps: the mfaToken (5 min, one sign-in) and the enrollment token (10 min, 5 tries). */
describe('mfaTokens and enrollment tokens', () => {
  const clock = new TestClock();
  let app: TestApp;
  let ned: MfaUser;
  const verify = (mfa: string, input: { code?: string; recoveryCode?: string }) =>
    app.graphql(VERIFY_MFA, { variables: { input: { mfaToken: mfa, ...input } } });
  const storedHashes = async () => (await storedUser(app, ned.id)).recoveryCodes!.hashes.length;
  before(async () => {
    app = await startTestApp({}, { clock: clock.now });
    ned = await userWithTotp(app, clock, 'ned');
  });
  after(() => app.stop());

  it('an mfaToken works until 5 minutes after login and is TOKEN_EXPIRED 5 min + 1 s after, without counting an attempt', async () => {
    const [early, late] = await mfaTokens(app, 'ned', 2);
    clock.advance(5 * MINUTE_MS - 5_000);
    assert.match(
      (await verify(early, { code: totpCode(ned.totp.secret, clock) })).data?.verifyMfa.accessToken ?? '',
      /^mfa_at_/,
    );
    clock.advance(6_000);
    const failedBefore = await auditCount(app, ned.id, 'mfa.verification_failed');
    assert.equal(errorCode(await verify(late, { code: totpCode(ned.totp.secret, clock, 1) })), 'TOKEN_EXPIRED');
    assert.equal(errorCode(await verify(late, { recoveryCode: ned.totp.scratchCodes[0] })), 'TOKEN_EXPIRED');
    assert.equal(await failuresOf(app, ned.id), 0);
    assert.equal(await auditCount(app, ned.id, 'mfa.verification_failed'), failedBefore);
    assert.equal(await storedHashes(), 10, 'the recovery code offered with a dead token was not spent');
    clock.nextStep();
  });

  it('a consumed mfaToken is TOKEN_EXPIRED, with a code or a recovery code, and spends nothing', async () => {
    const mfa = await mfaToken(app, 'ned');
    assert.ok((await verify(mfa, { code: totpCode(ned.totp.secret, clock) })).data?.verifyMfa.accessToken);
    clock.nextStep();
    assert.equal(errorCode(await verify(mfa, { code: totpCode(ned.totp.secret, clock) })), 'TOKEN_EXPIRED');
    assert.equal(errorCode(await verify(mfa, { recoveryCode: ned.totp.scratchCodes[0] })), 'TOKEN_EXPIRED');
    assert.equal(await storedHashes(), 10);
    // The step offered with the dead token is still good for a live one.
    assert.ok(
      (await verify(await mfaToken(app, 'ned'), { code: totpCode(ned.totp.secret, clock) })).data?.verifyMfa
        .accessToken,
    );
    clock.nextStep();
  });

  it('one mfaToken raced with a valid code and a valid recovery code opens one session', async () => {
    const mfa = await mfaToken(app, 'ned');
    const responses = await Promise.all([
      verify(mfa, { code: totpCode(ned.totp.secret, clock) }),
      verify(mfa, { recoveryCode: ned.totp.scratchCodes[5] }),
    ]);
    assert.equal(
      responses.filter((response) => response.data?.verifyMfa.accessToken).length,
      1,
      JSON.stringify(tally(responses)),
    );
    assert.deepEqual(Object.keys(tally(responses)).sort(), ['OK', 'TOKEN_EXPIRED']);
    clock.nextStep();
  });

  it('malformed mfaTokens are BAD_USER_INPUT; well-formed unknown ones TOKEN_EXPIRED', async () => {
    const real = await mfaToken(app, 'ned');
    const { token: accessToken } = await signUpAndLogIn(app, 'otto');
    const enrollmentToken = (await app.graphql(ENABLE_MFA, { token: accessToken, variables: { input: {} } })).data!
      .enableMfa.token;
    const code = totpCode(ned.totp.secret, clock);
    for (const malformed of [
      '',
      'x',
      'mfa_mt_short',
      `${real}A`,
      `${real.slice(0, -1)}$`,
      accessToken,
      enrollmentToken,
      'mfa_mt_' + 'A'.repeat(200),
    ]) {
      assert.equal(
        errorCode(await verify(malformed, { code })),
        'BAD_USER_INPUT',
        JSON.stringify(malformed.slice(0, 20)),
      );
    }
    const flipped = real.slice(0, 7) + (real[7] === 'A' ? 'B' : 'A') + real.slice(8);
    for (const unknown of [
      'mfa_mt_' + 'A'.repeat(43),
      flipped,
      'mfa_mt_' + accessToken.slice('mfa_at_'.length),
      'mfa_mt_' + enrollmentToken.slice('mfa_et_'.length),
    ]) {
      assert.equal(errorCode(await verify(unknown, { code })), 'TOKEN_EXPIRED', unknown.slice(0, 12));
    }
    assert.equal(await failuresOf(app, ned.id), 0);
    assert.ok((await verify(real, { code })).data?.verifyMfa.accessToken, 'the real token survived its look-alikes');
    clock.nextStep();
  });

  it('an enrollment token works until 10 minutes after enableMfa and is TOKEN_EXPIRED 10 min + 1 s after', async () => {
    const early = await signUpAndLogIn(app, 'pam');
    const late = await signUpAndLogIn(app, 'quinn');
    const start = async (token: string) =>
      (await app.graphql(ENABLE_MFA, { token, variables: { input: {} } })).data!.enableMfa;
    const [earlyEnrollment, lateEnrollment] = [await start(early.token), await start(late.token)];
    const accept = (token: string, enrollment: typeof earlyEnrollment) =>
      app.graphql(ACCEPT_MFA, {
        token,
        variables: { input: { token: enrollment.token, code: totpCode(totpSecretOf(enrollment.details), clock) } },
      });
    clock.advance(10 * MINUTE_MS - 5_000);
    assert.equal((await accept(early.token, earlyEnrollment)).data?.acceptMfa.status, 'ACTIVE');
    clock.advance(6_000);
    assert.equal(errorCode(await accept(late.token, lateEnrollment)), 'TOKEN_EXPIRED');
    const me = (await app.graphql(MY_MFA, { token: late.token })).data!.me!;
    assert.deepEqual([me.mfaEnabled, me.factors.map((factor) => factor.status)], [false, ['PENDING']]);
  });

  it('an enrollment token dies after 5 wrong codes: the 6th try, even with the right code, is TOKEN_EXPIRED', async () => {
    const { id, token } = await signUpAndLogIn(app, 'rita');
    const enrollment = (await app.graphql(ENABLE_MFA, { token, variables: { input: {} } })).data!.enableMfa;
    const right = () => totpCode(totpSecretOf(enrollment.details), clock);
    const wrong = () => wrongTotpCode(totpSecretOf(enrollment.details), clock);
    for (let i = 0; i < 5; i++) {
      assert.equal(
        errorCode(
          await app.graphql(ACCEPT_MFA, { token, variables: { input: { token: enrollment.token, code: wrong() } } }),
        ),
        'INVALID_CODE',
      );
    }
    assert.equal(
      errorCode(
        await app.graphql(ACCEPT_MFA, { token, variables: { input: { token: enrollment.token, code: right() } } }),
      ),
      'TOKEN_EXPIRED',
    );
    assert.equal((await app.graphql(MY_MFA, { token })).data!.me!.mfaEnabled, false);
    assert.equal(await auditCount(app, id, 'mfa.enrollment_code_failed'), 5);

    const again = (await app.graphql(ENABLE_MFA, { token, variables: { input: {} } })).data!.enableMfa;
    const accepted = await app.graphql(ACCEPT_MFA, {
      token,
      variables: { input: { token: again.token, code: totpCode(totpSecretOf(again.details), clock) } },
    });
    assert.equal(accepted.data?.acceptMfa.status, 'ACTIVE', 'starting over gives a fresh token');
  });
});
