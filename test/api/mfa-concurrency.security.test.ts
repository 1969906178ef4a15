import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_CONSECUTIVE_FAILURES } from '../../src/mfa/second-factor-attempts.js';
import {
  AcceptMfaDocument as ACCEPT_MFA,
  EnableMfaDocument as ENABLE_MFA,
  MyMfaDocument as MY_MFA,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { signUpAndLogIn } from '../support/accounts.js';
import {
  alignToFreshStep,
  auditCount,
  mfaTokens,
  retryAfter,
  storedUser,
  tally,
  userWithTotp,
} from '../support/attacker.js';
import { TestClock, mfaToken, totpCode, totpSecretOf, wrongTotpCode } from '../support/mfa.js';
import { errorCode, startTestApp, type GraphQLResponse, type TestApp } from '../support/test-app.js';

const PARALLEL = 50;

/** Every answer is a session, INVALID_CODE or TOO_MANY_ATTEMPTS (with a positive integer retryAfterSeconds); never a 500. */
function assertOnlyExpectedAnswers(responses: Array<GraphQLResponse<unknown>>): void {
  for (const response of responses) {
    assert.ok(response.status < 500, JSON.stringify(response));
    if (!response.errors) continue;
    assert.ok(['INVALID_CODE', 'TOO_MANY_ATTEMPTS'].includes(errorCode(response)!), JSON.stringify(response.errors));
    if (errorCode(response) === 'TOO_MANY_ATTEMPTS')
      assert.ok(Number.isInteger(retryAfter(response)) && (retryAfter(response) as number) > 0);
  }
}

/** Attackers racing one valid code, or many wrong ones: the core's conditional updates decide, not timing. */
describe('MFA under concurrent requests', () => {
  const clock = new TestClock();
  let app: TestApp;
  const secrets: string[] = [];
  before(async () => {
    app = await startTestApp({}, { clock: clock.now });
  });
  after(() => app.stop());

  it(`one valid TOTP code sent to ${PARALLEL} sign-ins at once opens exactly one session`, async () => {
    const carol = await userWithTotp(app, clock, 'carol');
    secrets.push(carol.totp.secret, ...carol.totp.scratchCodes);
    const tokens = await mfaTokens(app, 'carol', PARALLEL);
    alignToFreshStep(clock);
    const code = totpCode(carol.totp.secret, clock);
    const responses = await Promise.all(
      tokens.map((token) =>
        app.graphql(VERIFY_MFA, { variables: { input: { mfaToken: token, factorId: carol.totp.factorId, code } } }),
      ),
    );
    assertOnlyExpectedAnswers(responses);
    const sessions = responses.map((response) => response.data?.verifyMfa.accessToken).filter(Boolean);
    assert.equal(sessions.length, 1, JSON.stringify(tally(responses)));
    const checked = tally(responses).INVALID_CODE ?? 0;
    // Reserved before checking: at most 5 checks between resets, and the one success is the only reset.
    assert.ok(checked < 2 * MAX_CONSECUTIVE_FAILURES, `${checked} codes were checked`);
    assert.equal(await auditCount(app, carol.id, 'mfa.verification_failed'), checked, 'every checked code is audited');
    assert.equal(await auditCount(app, carol.id, 'mfa.verification_succeeded'), 1);
  });

  it(`one valid TOTP code sent ${PARALLEL} times on ONE mfaToken opens exactly one session`, async () => {
    const dave = await userWithTotp(app, clock, 'dave');
    secrets.push(dave.totp.secret, ...dave.totp.scratchCodes);
    const token = await mfaToken(app, 'dave');
    alignToFreshStep(clock);
    const input = { mfaToken: token, factorId: dave.totp.factorId, code: totpCode(dave.totp.secret, clock) };
    const responses = await Promise.all(
      Array.from({ length: PARALLEL }, () => app.graphql(VERIFY_MFA, { variables: { input } })),
    );
    assertOnlyExpectedAnswers(responses);
    assert.equal(
      responses.filter((response) => response.data?.verifyMfa.accessToken).length,
      1,
      JSON.stringify(tally(responses)),
    );
    assert.ok((tally(responses).INVALID_CODE ?? 0) < 2 * MAX_CONSECUTIVE_FAILURES);
    clock.nextStep();
    const later = await app.graphql(VERIFY_MFA, {
      variables: { input: { ...input, code: totpCode(dave.totp.secret, clock) } },
    });
    assert.ok(
      ['TOKEN_EXPIRED', 'TOO_MANY_ATTEMPTS'].includes(errorCode(later)!),
      'the mfaToken was spent by the one success',
    );
  });

  it(`${PARALLEL} parallel wrong codes: exactly ${MAX_CONSECUTIVE_FAILURES} are checked, the rest refused, the account locked`, async () => {
    const erin = await userWithTotp(app, clock, 'erin');
    secrets.push(erin.totp.secret, ...erin.totp.scratchCodes);
    const tokens = await mfaTokens(app, 'erin', 10);
    alignToFreshStep(clock);
    const wrong = wrongTotpCode(erin.totp.secret, clock);
    const responses = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        app.graphql(VERIFY_MFA, { variables: { input: { mfaToken: tokens[i % 10], code: wrong } } }),
      ),
    );
    assertOnlyExpectedAnswers(responses);
    assert.deepEqual(tally(responses), {
      INVALID_CODE: MAX_CONSECUTIVE_FAILURES,
      TOO_MANY_ATTEMPTS: PARALLEL - MAX_CONSECUTIVE_FAILURES,
    });
    assert.equal(await auditCount(app, erin.id, 'mfa.verification_failed'), MAX_CONSECUTIVE_FAILURES);
    assert.equal(await auditCount(app, erin.id, 'mfa.locked_out'), 1);
    const valid = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: tokens[0], code: totpCode(erin.totp.secret, clock) } },
    });
    assert.equal(errorCode(valid), 'TOO_MANY_ATTEMPTS', 'locked: even the right code waits');
  });

  it(`one recovery code redeemed by ${PARALLEL} sign-ins at once works once; one fewer remains`, async () => {
    const fay = await userWithTotp(app, clock, 'fay');
    secrets.push(fay.totp.secret, ...fay.totp.scratchCodes);
    const tokens = await mfaTokens(app, 'fay', PARALLEL);
    const before = (await storedUser(app, fay.id)).recoveryCodes!.hashes.length;
    const recoveryCode = fay.totp.scratchCodes[3];
    const responses = await Promise.all(
      tokens.map((token) => app.graphql(VERIFY_MFA, { variables: { input: { mfaToken: token, recoveryCode } } })),
    );
    assertOnlyExpectedAnswers(responses);
    const sessions = responses
      .map((response) => response.data?.verifyMfa.accessToken)
      .filter((token): token is string => Boolean(token));
    assert.equal(sessions.length, 1, JSON.stringify(tally(responses)));
    assert.equal(before, 10);
    assert.equal((await app.graphql(MY_MFA, { token: sessions[0] })).data!.me!.recoveryCodesRemaining, before - 1);
    assert.equal(await auditCount(app, fay.id, 'mfa.recovery_code_used'), 1);
  });

  it('10 parallel acceptMfa with one valid code activate exactly one factor', async () => {
    const { id, token } = await signUpAndLogIn(app, 'gus');
    const enabled = (await app.graphql(ENABLE_MFA, { token, variables: { input: { factorType: 'totp' } } })).data!
      .enableMfa;
    alignToFreshStep(clock);
    const secret = totpSecretOf(enabled.details);
    const input = { token: enabled.token, code: totpCode(secret, clock) };
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => app.graphql(ACCEPT_MFA, { token, variables: { input } })),
    );
    assert.equal(
      responses.filter((response) => response.data?.acceptMfa.status === 'ACTIVE').length,
      1,
      JSON.stringify(tally(responses)),
    );
    for (const response of responses.filter((r) => r.errors))
      assert.ok(['TOKEN_EXPIRED', 'INVALID_CODE'].includes(errorCode(response)!), JSON.stringify(response.errors));
    const factors = (await app.graphql(MY_MFA, { token })).data!.me!.factors;
    assert.deepEqual(
      factors.map((factor) => factor.status),
      ['ACTIVE'],
    );
    assert.equal(await auditCount(app, id, 'mfa.factor_activated'), 1);
  });

  it('no token, TOTP secret or recovery code of all that reached the log', () => {
    const log = app.logLines.join('');
    assert.ok(log.length > 0);
    assert.doesNotMatch(log, /mfa_(mt|at|et|ak)_[A-Za-z0-9_-]{20}/);
    for (const secret of secrets) assert.equal(log.includes(secret), false);
  });
});
