import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AcceptMfaDocument as ACCEPT_MFA,
  CreateApiKeyDocument as CREATE_API_KEY,
  DisableMfaDocument as DISABLE_MFA,
  EnableMfaDocument as ENABLE_MFA,
  LoginDocument as LOGIN,
  MeDocument as ME,
  MyMfaDocument as MY_MFA,
  RegenerateRecoveryCodesDocument as REGENERATE_RECOVERY_CODES,
  StepUpDocument as STEP_UP,
} from '../generated/graphql.js';
import { TEST_PASSWORD, signUpAndLogIn } from '../support/accounts.js';
import { TestClock, totpCode, type EnrolledTotp, totpSecretOf, otherCode } from '../support/mfa.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

/** A six-digit code that is not the current one. */

/** As in Catalogic vStor: recovery codes before Finish, API keys once MFA is on, and disabling with the password and a current code. */
describe('Catalogic vStor flow: recovery codes, API keys and disabling MFA over HTTP', () => {
  const clock = new TestClock();
  let app: TestApp;
  let token: string;
  let totp: EnrolledTotp;
  before(async () => {
    app = await startTestApp({}, { clock: clock.now });
    token = (await signUpAndLogIn(app, 'vera')).token;
  });
  after(() => app.stop());

  const myMfa = async () => (await app.graphql(MY_MFA, { token })).data!.me!;
  async function stepUp(): Promise<void> {
    const stepped = await app.graphql(STEP_UP, { token, variables: { input: { code: totpCode(totp.secret, clock) } } });
    assert.equal(stepped.data?.stepUp, true, JSON.stringify(stepped.errors));
    clock.nextStep();
  }

  it('shows the recovery codes once, with enableMfa: acceptMfa and me never reveal them again', async () => {
    const enabled = (await app.graphql(ENABLE_MFA, { token, variables: { input: { factorType: 'totp' } } })).data!
      .enableMfa;
    const scratchCodes = enabled.scratchCodes!;
    assert.equal(new Set(scratchCodes).size, 10, 'ten distinct codes');
    assert.ok(enabled.details?.__typename === 'TotpEnrollment');
    const secret = totpSecretOf(enabled.details);
    const accepted = await app.graphql(ACCEPT_MFA, {
      token,
      variables: { input: { token: enabled.token, code: totpCode(secret, clock) } },
    });
    assert.equal(accepted.data?.acceptMfa.status, 'ACTIVE');
    clock.nextStep();
    totp = { factorId: accepted.data.acceptMfa.id, secret, scratchCodes };

    const me = await app.graphql(MY_MFA, { token });
    assert.equal(me.data!.me!.recoveryCodesRemaining, 10);
    for (const shown of [JSON.stringify(accepted), JSON.stringify(me)]) {
      for (const code of scratchCodes)
        assert.ok(!shown.includes(code) && !shown.includes(code.replaceAll('-', '')), 'a recovery code shown again');
    }
  });

  it('regenerates recovery codes with a code: ten new ones, every old one dead', async () => {
    const regenerated = await app.graphql(REGENERATE_RECOVERY_CODES, {
      token,
      variables: { input: { code: totpCode(totp.secret, clock) } },
    });
    clock.nextStep();
    const codes = regenerated.data!.regenerateRecoveryCodes;
    assert.equal(new Set(codes).size, 10);
    assert.ok(
      codes.every((code) => !totp.scratchCodes.includes(code)),
      'all new',
    );
    assert.equal((await myMfa()).recoveryCodesRemaining, 10);
    for (const [index, old] of totp.scratchCodes.entries()) {
      const refused = await app.graphql(STEP_UP, { token, variables: { input: { recoveryCode: old } } });
      assert.equal(errorCode(refused), 'INVALID_CODE', `old code ${index}`);
      // Four failures, then a success: the lockout after five consecutive failures is not what this tests.
      if (index % 4 === 3) await stepUp();
    }
    assert.equal((await myMfa()).recoveryCodesRemaining, 10, 'the new codes are untouched');
    totp.scratchCodes = codes;
  });

  it('regenerates without a code only right after a stepUp', async () => {
    clock.advance(6 * 60_000);
    assert.equal(
      errorCode(await app.graphql(REGENERATE_RECOVERY_CODES, { token, variables: { input: {} } })),
      'STEP_UP_REQUIRED',
    );
    await stepUp();
    const regenerated = await app.graphql(REGENERATE_RECOVERY_CODES, { token, variables: { input: {} } });
    assert.equal(regenerated.data?.regenerateRecoveryCodes.length, 10, JSON.stringify(regenerated.errors));
    const dead = await app.graphql(STEP_UP, { token, variables: { input: { recoveryCode: totp.scratchCodes[0] } } });
    assert.equal(errorCode(dead), 'INVALID_CODE');
    totp.scratchCodes = regenerated.data.regenerateRecoveryCodes;
  });

  it('once MFA is on, the password alone stops; an API key made with a fresh proof reads me without a second factor', async () => {
    const login = await app.graphql(LOGIN, { variables: { input: { username: 'vera', password: TEST_PASSWORD } } });
    assert.deepEqual([login.data?.login.mfaRequired, login.data?.login.accessToken], [true, null]);

    clock.advance(6 * 60_000);
    const stale = await app.graphql(CREATE_API_KEY, { token, variables: { input: { name: 'nightly backup' } } });
    assert.equal(
      errorCode(stale),
      'STEP_UP_REQUIRED',
      'creating an API key needs a second-factor proof at most 5 minutes old',
    );
    await stepUp();
    const created = await app.graphql(CREATE_API_KEY, { token, variables: { input: { name: 'nightly backup' } } });
    const apiKey = created.data!.createApiKey.secret;
    assert.equal((await app.graphql(ME, { token: apiKey })).data?.me?.username, 'vera');
    assert.equal(
      errorCode(
        await app.graphql(ENABLE_MFA, { token: apiKey, variables: { input: { factorType: 'totp', recreate: true } } }),
      ),
      'FORBIDDEN',
    );
    assert.equal(
      errorCode(
        await app.graphql(REGENERATE_RECOVERY_CODES, {
          token: apiKey,
          variables: { input: { code: totpCode(totp.secret, clock) } },
        }),
      ),
      'FORBIDDEN',
    );
  });

  it('disables only with the password and a current code; each half alone, or a wrong one, leaves the factor', async () => {
    const code = totpCode(totp.secret, clock);
    const attempts = [
      [{ password: TEST_PASSWORD }, 'BAD_USER_INPUT'],
      [{ code }, 'BAD_USER_INPUT'],
      [{ password: 'not my password', code }, 'INVALID_CREDENTIALS'],
      [{ password: TEST_PASSWORD, code: otherCode(code) }, 'INVALID_CODE'],
    ] as const;
    for (const [input, expected] of attempts) {
      assert.equal(
        errorCode(await app.graphql(DISABLE_MFA, { token, variables: { input } })),
        expected,
        Object.keys(input).join('+'),
      );
      const me = await myMfa();
      assert.deepEqual(
        [me.mfaEnabled, me.factors.map((factor) => factor.id)],
        [true, [totp.factorId]],
        'the factor stays',
      );
    }
  });

  it('disables with the password and a recovery code', async () => {
    const disabled = await app.graphql(DISABLE_MFA, {
      token,
      variables: { input: { password: TEST_PASSWORD, recoveryCode: totp.scratchCodes[3] } },
    });
    assert.equal(disabled.errors, undefined, JSON.stringify(disabled.errors));
    const user = disabled.data!.disableMfa;
    assert.deepEqual(
      [user.factors, user.mfaEnabled, user.mfaPolicyStatus, user.recoveryCodesRemaining],
      [[], false, 'DISABLED', 0],
    );
    const login = await app.graphql(LOGIN, { variables: { input: { username: 'vera', password: TEST_PASSWORD } } });
    assert.match(login.data!.login.accessToken!, /^mfa_at_/, 'the password suffices again');
  });
});
