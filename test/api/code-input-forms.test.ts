import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AcceptMfaDocument as ACCEPT_MFA,
  EnableMfaDocument as ENABLE_MFA,
  StepUpDocument as STEP_UP,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { signUpAndLogIn } from '../support/accounts.js';
import { alignToFreshStep, failuresOf, retryAfter, tally, userWithTotp, type MfaUser } from '../support/attacker.js';
import { enrollEmail, sendAndReadCode } from '../support/email.js';
import { TestClock, mfaToken, otherCode, totpCode, totpSecretOf, wrongTotpCode } from '../support/mfa.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import {
  LIFTED_DELIVERY_CAPS,
  errorCode,
  startTestApp,
  type GraphQLResponse,
  type TestApp,
} from '../support/test-app.js';

const FAILURES_BEFORE_LOCKOUT = 5;
const LOCKOUT_SECONDS = 60;
const WRONG = 'The code is wrong, expired or already used.';
const USED_WAIT = 'That code was already used. Wait for the next code, and enter that one.';
const USED_SEND = 'That code was already used. Ask for a new code (sendMfaCode), and enter that one.';

const spaced = (code: string) => `${code.slice(0, 3)} ${code.slice(3)}`;
const dashed = (code: string) => `${code.slice(0, 3)}-${code.slice(3)}`;
const remaining = (response: GraphQLResponse<unknown>) => response.errors?.[0]?.extensions?.attemptsRemaining;

/**
 * Signing in as a new user would: an authenticator shows "123 456", a wrong code says how many tries are left,
 * and a code used a moment ago says to wait for the next one.
 */
describe('code input forms, attempts remaining, used codes', () => {
  const clock = new TestClock();
  let sink: SmtpSink;
  let app: TestApp;
  let hal: MfaUser & { emailFactorId: string };
  const address = 'hal@example.com';

  const verify = (input: { mfaToken: string; factorId?: string; code?: string; recoveryCode?: string }) =>
    app.graphql(VERIFY_MFA, { variables: { input } });
  const freshTotp = (user: MfaUser) => (alignToFreshStep(clock), totpCode(user.totp.secret, clock));
  const mailedCode = (token: string) =>
    sendAndReadCode(app, sink, { mfaToken: token, factorId: hal.emailFactorId }, address);

  before(async () => {
    sink = await startSmtpSink();
    app = await startTestApp(
      { SMTP_URL: `smtp://127.0.0.1:${sink.port}`, ...LIFTED_DELIVERY_CAPS },
      { clock: clock.now },
    );
    const withTotp = await userWithTotp(app, clock, 'hal');
    const { factorId } = await enrollEmail(app, sink, withTotp.token, address); // within 5 min of accepting the first
    hal = { ...withTotp, emailFactorId: factorId };
  });
  after(async () => {
    await app.stop();
    await sink.stop();
  });

  it('a code shown as "123 456" or "123-456" signs in and steps up, for the authenticator app and e-mail alike', async () => {
    const spacedTotp = await verify({
      mfaToken: await mfaToken(app, 'hal'),
      factorId: hal.totp.factorId,
      code: spaced(freshTotp(hal)),
    });
    assert.ok(spacedTotp.data?.verifyMfa.accessToken, JSON.stringify(spacedTotp.errors));
    clock.nextStep();

    const session = spacedTotp.data.verifyMfa.accessToken;
    const stepUp = await app.graphql(STEP_UP, {
      token: session,
      variables: { input: { factorId: hal.totp.factorId, code: ` ${dashed(freshTotp(hal))} ` } },
    });
    assert.equal(stepUp.data?.stepUp, true, JSON.stringify(stepUp.errors));
    clock.nextStep();

    const token = await mfaToken(app, 'hal');
    const viaEmail = await verify({
      mfaToken: token,
      factorId: hal.emailFactorId,
      code: dashed(await mailedCode(token)),
    });
    assert.ok(viaEmail.data?.verifyMfa.accessToken, JSON.stringify(viaEmail.errors));
    assert.equal(await failuresOf(app, hal.id), 0);
  });

  it('a spaced wrong code counts one attempt, and says how many are left', async () => {
    const token = await mfaToken(app, 'hal');
    const right = freshTotp(hal);
    const wrong = await verify({
      mfaToken: token,
      factorId: hal.totp.factorId,
      code: spaced(wrongTotpCode(hal.totp.secret, clock)),
    });
    assert.deepEqual(
      [errorCode(wrong), wrong.errors?.[0]?.message, remaining(wrong)],
      ['INVALID_CODE', WRONG, FAILURES_BEFORE_LOCKOUT - 1],
    );
    assert.equal(await failuresOf(app, hal.id), 1, 'one attempt, whatever its form');
    assert.ok(
      (await verify({ mfaToken: token, factorId: hal.totp.factorId, code: right })).data?.verifyMfa.accessToken,
    );
    clock.nextStep();
  });

  it('attemptsRemaining goes down by one per wrong code across factors, recovery codes and stepUp; then the lockout tells no more', async () => {
    const token = await mfaToken(app, 'hal');
    const emailCode = await mailedCode(token);
    alignToFreshStep(clock);
    const wrongTotp = wrongTotpCode(hal.totp.secret, clock);
    const attempts: Array<() => Promise<GraphQLResponse<unknown>>> = [
      () => verify({ mfaToken: token, factorId: hal.totp.factorId, code: wrongTotp }),
      () => verify({ mfaToken: token, factorId: hal.emailFactorId, code: spaced(otherCode(emailCode)) }),
      () => verify({ mfaToken: token, recoveryCode: 'AAAA-BBBB-CCCC-DDDD' }),
      () =>
        app.graphql(STEP_UP, {
          token: hal.token,
          variables: { input: { factorId: hal.totp.factorId, code: '12-3-456' } },
        }),
      () => verify({ mfaToken: token, factorId: hal.totp.factorId, code: wrongTotp }),
    ];
    const seen: unknown[] = [];
    for (const attempt of attempts) {
      const response = await attempt();
      assert.equal(errorCode(response), 'INVALID_CODE', JSON.stringify(response.errors));
      seen.push(remaining(response));
    }
    assert.deepEqual(
      seen,
      [4, 3, 2, 1, 0],
      'one shared count, down by one per wrong code; the fifth starts the lockout',
    );

    const locked = await verify({ mfaToken: token, factorId: hal.totp.factorId, code: freshTotp(hal) });
    assert.equal(errorCode(locked), 'TOO_MANY_ATTEMPTS');
    assert.deepEqual(Object.keys(locked.errors![0].extensions!).sort(), ['code', 'retryAfterSeconds']);
    const unknown = await verify({ mfaToken: token, factorId: '0'.repeat(24), code: '123456' });
    assert.equal(errorCode(unknown), 'NOT_FOUND');
    assert.equal(remaining(unknown), undefined, 'nothing about attempts for an unknown factor');

    clock.advance((Number(retryAfter(locked)) || LOCKOUT_SECONDS) * 1000 + 1000);
    const signedIn = await verify({ mfaToken: token, factorId: hal.totp.factorId, code: freshTotp(hal) });
    assert.ok(signedIn.data?.verifyMfa.accessToken, JSON.stringify(signedIn.errors));
    clock.nextStep();
    const afterSuccess = await verify({
      mfaToken: await mfaToken(app, 'hal'),
      factorId: hal.totp.factorId,
      code: wrongTotpCode(hal.totp.secret, clock),
    });
    assert.equal(remaining(afterSuccess), FAILURES_BEFORE_LOCKOUT - 1, 'a success starts the count over');
    // Leave hal with a clean count for the tests after this one.
    assert.ok(
      (await verify({ mfaToken: await mfaToken(app, 'hal'), factorId: hal.totp.factorId, code: freshTotp(hal) })).data
        ?.verifyMfa.accessToken,
    );
    clock.nextStep();
  });

  it('parallel wrong codes never show more attempts left than there are', async () => {
    const ivy = await userWithTotp(app, clock, 'ivy');
    const token = await mfaToken(app, 'ivy');
    alignToFreshStep(clock);
    const wrong = wrongTotpCode(ivy.totp.secret, clock);
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => verify({ mfaToken: token, code: i % 2 === 0 ? wrong : spaced(wrong) })),
    );
    assert.deepEqual(tally(responses), { INVALID_CODE: FAILURES_BEFORE_LOCKOUT, TOO_MANY_ATTEMPTS: 3 });
    const shown = responses
      .filter((response) => errorCode(response) === 'INVALID_CODE')
      .map((response) => remaining(response) as number)
      .sort((a, b) => b - a);
    // The i-th largest number shown: at least i + 1 attempts were counted before it was read, so at most 4 - i are left.
    shown.forEach((left, i) =>
      assert.ok(left >= 0 && left <= FAILURES_BEFORE_LOCKOUT - 1 - i, `shown ${JSON.stringify(shown)}`),
    );
    assert.equal(shown.at(-1), 0, 'the failure that locks says none are left');
    for (const response of responses.filter((r) => errorCode(r) === 'TOO_MANY_ATTEMPTS'))
      assert.equal(remaining(response), undefined);
  });

  it('a code whose step was already used says to wait for the next code; a delivered one, to ask for a new one', async () => {
    const code = freshTotp(hal);
    assert.ok(
      (await verify({ mfaToken: await mfaToken(app, 'hal'), factorId: hal.totp.factorId, code })).data?.verifyMfa
        .accessToken,
    );
    const replayed = await verify({
      mfaToken: await mfaToken(app, 'hal'),
      factorId: hal.totp.factorId,
      code: spaced(code),
    });
    assert.deepEqual(
      [errorCode(replayed), replayed.errors?.[0]?.message, remaining(replayed)],
      ['INVALID_CODE', USED_WAIT, FAILURES_BEFORE_LOCKOUT - 1],
      'counted like any refused code',
    );
    const wrong = await verify({
      mfaToken: await mfaToken(app, 'hal'),
      factorId: hal.totp.factorId,
      code: wrongTotpCode(hal.totp.secret, clock),
    });
    assert.equal(wrong.errors?.[0]?.message, WRONG, 'a wrong code is not called used');

    // Two sign-ins racing with one code: the loser is told the code was used.
    clock.nextStep();
    const racing = freshTotp(hal);
    const [first, second] = await Promise.all([mfaToken(app, 'hal'), mfaToken(app, 'hal')]);
    const raced = await Promise.all(
      [first, second].map((token) => verify({ mfaToken: token, factorId: hal.totp.factorId, code: racing })),
    );
    assert.deepEqual(tally(raced), { OK: 1, INVALID_CODE: 1 });
    assert.equal(raced.find((response) => response.errors)!.errors![0].message, USED_WAIT);

    const token = await mfaToken(app, 'hal');
    const mailed = await mailedCode(token);
    assert.ok(
      (await verify({ mfaToken: token, factorId: hal.emailFactorId, code: mailed })).data?.verifyMfa.accessToken,
    );
    const again = await verify({ mfaToken: await mfaToken(app, 'hal'), factorId: hal.emailFactorId, code: mailed });
    assert.deepEqual([errorCode(again), again.errors?.[0]?.message], ['INVALID_CODE', USED_SEND]);
    clock.nextStep();
  });

  it('acceptMfa: attemptsRemaining counts the tries the enrollment token has left', async () => {
    const { token } = await signUpAndLogIn(app, 'joe');
    const enabled = await app.graphql(ENABLE_MFA, { token, variables: { input: { factorType: 'totp' } } });
    const secret = totpSecretOf(enabled.data!.enableMfa.details);
    const input = (code: string) => ({ input: { token: enabled.data!.enableMfa.token, code } });
    alignToFreshStep(clock);
    const wrong = wrongTotpCode(secret, clock);
    const first = await app.graphql(ACCEPT_MFA, { token, variables: input(spaced(wrong)) });
    const second = await app.graphql(ACCEPT_MFA, { token, variables: input(wrong) });
    assert.deepEqual(
      [errorCode(first), remaining(first), errorCode(second), remaining(second)],
      ['INVALID_CODE', 4, 'INVALID_CODE', 3],
    );
    const accepted = await app.graphql(ACCEPT_MFA, { token, variables: input(dashed(totpCode(secret, clock))) });
    assert.equal(accepted.data?.acceptMfa.status, 'ACTIVE', JSON.stringify(accepted.errors));
  });
});
