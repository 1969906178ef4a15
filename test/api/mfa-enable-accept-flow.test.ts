import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AcceptMfaDocument as ACCEPT_MFA,
  DisableMfaDocument as DISABLE_MFA,
  EnableMfaDocument as ENABLE_MFA,
  LoginDocument as LOGIN,
  MyMfaDocument as MY_MFA,
  StepUpDocument as STEP_UP,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { TEST_PASSWORD, signUpAndLogIn } from '../support/accounts.js';
import {
  TestClock,
  enrollTotp,
  mfaToken,
  signInWithTotp,
  totpCode,
  type EnrolledTotp,
  totpSecretOf,
} from '../support/mfa.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

/** The Veeam Backup for Microsoft Azure flow: enable → scan → accept → sign in with a code → a recovery code instead → recreate for a new device → disable. */
describe('Veeam Backup for Microsoft Azure flow: the authenticator-app life cycle over HTTP', () => {
  const clock = new TestClock();
  let app: TestApp;
  let token: string;
  let totp: EnrolledTotp;
  before(async () => {
    app = await startTestApp({ MFA_ISSUER: 'Acme Backup' }, { clock: clock.now });
    token = (await signUpAndLogIn(app, 'alice')).token;
  });
  after(() => app.stop());

  it('enableMfa returns the secret, an otpauth URI, an SVG QR code, recovery codes and a token', async () => {
    const enabled = await app.graphql(ENABLE_MFA, {
      token,
      variables: { input: { factorType: 'totp', description: 'my phone' } },
    });
    const payload = enabled.data!.enableMfa;
    assert.equal(payload.factor.status, 'PENDING');
    assert.equal(payload.factor.description, 'my phone');
    assert.ok(payload.details?.__typename === 'TotpEnrollment');
    assert.match(totpSecretOf(payload.details), /^[A-Z2-7]{32}$/, '160-bit base32 secret');
    const uri = new URL(payload.details.qrString);
    assert.equal(uri.protocol, 'otpauth:');
    assert.ok(
      decodeURIComponent(payload.details.qrString).startsWith('otpauth://totp/Acme Backup:alice?'),
      payload.details.qrString,
    );
    assert.equal(uri.searchParams.get('issuer'), 'Acme Backup');
    assert.equal(uri.searchParams.get('secret'), totpSecretOf(payload.details));
    assert.match(payload.details.qrCodeSvg, /^<svg/);
    assert.equal(payload.scratchCodes?.length, 10);
    for (const code of payload.scratchCodes) assert.match(code, /^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$/);
    const minutes = (Date.parse(payload.expiresAt) - clock.now().getTime()) / 60_000;
    assert.ok(minutes > 9 && minutes <= 10, `token lives 10 min, got ${minutes}`);

    const me = await app.graphql(MY_MFA, { token });
    assert.equal(me.data!.me!.mfaEnabled, false, 'PENDING is not enabled');
    assert.equal(me.data!.me!.factors[0].status, 'PENDING');
    assert.equal(me.data!.me!.recoveryCodesRemaining, 0, 'recovery codes work only once the factor is accepted');

    const wrong = await app.graphql(ACCEPT_MFA, {
      token,
      variables: { input: { token: payload.token, code: '000000' } },
    });
    assert.equal(errorCode(wrong), 'INVALID_CODE');
    const accepted = await app.graphql(ACCEPT_MFA, {
      token,
      variables: { input: { token: payload.token, code: totpCode(totpSecretOf(payload.details), clock) } },
    });
    assert.equal(accepted.data?.acceptMfa.status, 'ACTIVE');
    totp = {
      factorId: accepted.data.acceptMfa.id,
      secret: totpSecretOf(payload.details),
      scratchCodes: payload.scratchCodes,
    };

    const after = await app.graphql(MY_MFA, { token });
    assert.deepEqual(
      [after.data!.me!.mfaEnabled, after.data!.me!.mfaPolicyStatus, after.data!.me!.recoveryCodesRemaining],
      [true, 'ENABLED', 10],
    );
  });

  it('refuses the code that accepted the enrollment at sign-in, then accepts the next one', async () => {
    const login = await app.graphql(LOGIN, { variables: { input: { username: 'alice', password: TEST_PASSWORD } } });
    assert.equal(login.data!.login.mfaRequired, true);
    assert.equal(login.data!.login.accessToken, null, 'with MFA on, login never returns a session');
    assert.deepEqual(
      login.data!.login.factors?.map((factor) => factor.id),
      [totp.factorId],
    );
    const mfa = login.data!.login.mfaToken!;
    const replay = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: mfa, factorId: totp.factorId, code: totpCode(totp.secret, clock) } },
    });
    assert.equal(errorCode(replay), 'INVALID_CODE');
    clock.nextStep();
    const signedIn = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: mfa, factorId: totp.factorId, code: totpCode(totp.secret, clock) } },
    });
    assert.match(signedIn.data!.verifyMfa.accessToken!, /^mfa_at_/);
    clock.nextStep();
    const again = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: mfa, factorId: totp.factorId, code: totpCode(totp.secret, clock) } },
    });
    assert.equal(errorCode(again), 'TOKEN_EXPIRED', 'an mfaToken serves one sign-in');
  });

  it('signs in with a recovery code instead, typed loosely, once', async () => {
    const loose = totp.scratchCodes[0].toLowerCase().replaceAll('-', ' ');
    const signedIn = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: await mfaToken(app, 'alice'), recoveryCode: loose } },
    });
    const session = signedIn.data!.verifyMfa.accessToken!;
    assert.equal((await app.graphql(MY_MFA, { token: session })).data!.me!.recoveryCodesRemaining, 9);
    const reused = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: await mfaToken(app, 'alice'), recoveryCode: totp.scratchCodes[0] } },
    });
    assert.equal(errorCode(reused), 'INVALID_CODE');
  });

  it('recreates the factor for a new device after a step-up; the old device and codes stop only when the new one is accepted', async () => {
    token = await signInWithTotp(app, 'alice', totp, clock);
    clock.advance(6 * 60_000); // the sign-in's proof is now older than five minutes
    assert.equal(
      errorCode(await app.graphql(ENABLE_MFA, { token, variables: { input: { factorType: 'totp' } } })),
      'ALREADY_ENABLED',
    );
    const stale = await app.graphql(ENABLE_MFA, {
      token,
      variables: { input: { factorType: 'totp', recreate: true } },
    });
    assert.equal(errorCode(stale), 'STEP_UP_REQUIRED');
    assert.equal(
      (await app.graphql(STEP_UP, { token, variables: { input: { recoveryCode: totp.scratchCodes[1] } } })).data
        ?.stepUp,
      true,
    );

    const replacement = await enrollTotp(app, token, clock, { recreate: true });
    assert.equal(replacement.scratchCodes.length, 10, 'a new device comes with new recovery codes');
    const me = await app.graphql(MY_MFA, { token });
    assert.deepEqual(
      me.data!.me!.factors.map((factor) => factor.id),
      [replacement.factorId],
      'the old factor is gone',
    );
    const oldCode = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: await mfaToken(app, 'alice'), recoveryCode: totp.scratchCodes[2] } },
    });
    assert.equal(errorCode(oldCode), 'INVALID_CODE', 'old recovery codes died with the old device');
    totp = replacement;
    token = await signInWithTotp(app, 'alice', totp, clock);
  });

  it('disables MFA only with the password and a current code', async () => {
    const noCode = await app.graphql(DISABLE_MFA, { token, variables: { input: { password: TEST_PASSWORD } } });
    assert.equal(errorCode(noCode), 'BAD_USER_INPUT');
    const wrongPassword = await app.graphql(DISABLE_MFA, {
      token,
      variables: { input: { password: 'not my password', code: totpCode(totp.secret, clock) } },
    });
    assert.equal(errorCode(wrongPassword), 'INVALID_CREDENTIALS');
    const disabled = await app.graphql(DISABLE_MFA, {
      token,
      variables: { input: { password: TEST_PASSWORD, code: totpCode(totp.secret, clock) } },
    });
    assert.deepEqual(disabled.data?.disableMfa.factors, []);
    assert.equal(disabled.data?.disableMfa.mfaPolicyStatus, 'DISABLED');
    assert.equal(disabled.data?.disableMfa.recoveryCodesRemaining, 0);
    const login = await app.graphql(LOGIN, { variables: { input: { username: 'alice', password: TEST_PASSWORD } } });
    assert.match(login.data!.login.accessToken!, /^mfa_at_/, 'the password suffices again');
  });
});
