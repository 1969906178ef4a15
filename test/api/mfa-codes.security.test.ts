import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AcceptMfaDocument as ACCEPT_MFA,
  EnableMfaDocument as ENABLE_MFA,
  RegenerateRecoveryCodesDocument as REGENERATE,
  StepUpDocument as STEP_UP,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { signUpAndLogIn } from '../support/accounts.js';
import { alignToFreshStep, failuresOf, storedFactors, userWithTotp, type MfaUser } from '../support/attacker.js';
import { TOTP_STEP_MS, TestClock, enrollTotp, mfaToken, totpCode, otherCode } from '../support/mfa.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

/** Digits of another script: what a lenient parser (NFKC, `\d` with /u, parseInt) might turn into the right code. */
const digitsFrom = (code: string, zero: number) =>
  [...code].map((digit) => String.fromCodePoint(zero + Number(digit))).join('');

/**
 * Each is the right code bent out of its exact form (`^\d{6}$`) by more than the one rule allows (ASCII spaces and
 * one dash out, code-input-forms.test.ts): a server that trims, normalizes or truncates would accept it.
 */
const MALFORMED: Record<string, (right: string) => string> = {
  'full-width digits': (right) => digitsFrom(right, 0xff10),
  'Arabic-Indic digits': (right) => digitsFrom(right, 0x0660),
  'leading no-break space': (right) => `\u00A0${right}`,
  'trailing tab': (right) => `${right}\t`,
  'trailing newline': (right) => `${right}\n`,
  'inner thin space': (right) => `${right.slice(0, 2)}\u2009${right.slice(2)}`,
  'two dashes': (right) => `${right.slice(0, 2)}-${right.slice(2, 4)}-${right.slice(4)}`,
  'a Unicode dash': (right) => `${right.slice(0, 3)}\u2010${right.slice(3)}`,
  'five digits': (right) => right.slice(0, 5),
  'seven digits': (right) => `${right}0`,
  letters: () => 'abcdef',
  empty: () => '',
  'well-formed but wrong': (right) => otherCode(right),
};

/** Codes are checked in their exact form only, and each time step works once (RFC 6238 §5.2). */
describe('second-factor codes: exact form and single use', () => {
  const clock = new TestClock();
  let app: TestApp;
  let kim: MfaUser;
  const fresh = () => (alignToFreshStep(clock), totpCode(kim.totp.secret, clock));
  const stepUp = (input: { code?: string; recoveryCode?: string }) =>
    app.graphql(STEP_UP, { token: kim.token, variables: { input } });
  before(async () => {
    app = await startTestApp({}, { clock: clock.now });
    kim = await userWithTotp(app, clock, 'kim');
  });
  after(() => app.stop());

  it('malformed codes are INVALID_CODE, never a 500, and each counts as an attempt', async () => {
    const mfa = await mfaToken(app, 'kim');
    let right = fresh();
    for (const [name, bend] of Object.entries(MALFORMED)) {
      const before = await failuresOf(app, kim.id);
      const viaStepUp = before % 2 === 1;
      const response = viaStepUp
        ? await stepUp({ code: bend(right) })
        : await app.graphql(VERIFY_MFA, { variables: { input: { mfaToken: mfa, code: bend(right) } } });
      assert.equal(response.status, 200, name);
      assert.equal(errorCode(response), 'INVALID_CODE', `${name}: ${JSON.stringify(response)}`);
      assert.equal(await failuresOf(app, kim.id), before + 1, `${name} counts`);
      if (before + 1 === 4) {
        assert.equal(
          (await stepUp({ code: right })).data?.stepUp,
          true,
          'the right code, in its exact form, was never spent by the bent ones',
        );
        right = fresh();
      }
    }
  });

  it('over-long input is BAD_USER_INPUT and counts nothing, in every mutation that takes a code', async () => {
    const mfa = await mfaToken(app, 'kim');
    const before = await failuresOf(app, kim.id);
    const long = '1'.repeat(65);
    const enabled = await signUpAndLogIn(app, 'leo').then(async ({ id, token }) => ({
      id,
      token,
      enableMfa: (await app.graphql(ENABLE_MFA, { token, variables: { input: {} } })).data!.enableMfa,
    }));
    const responses = [
      await app.graphql(VERIFY_MFA, { variables: { input: { mfaToken: mfa, code: long } } }),
      await app.graphql(VERIFY_MFA, { variables: { input: { mfaToken: mfa, recoveryCode: long } } }),
      await stepUp({ code: long }),
      await stepUp({ recoveryCode: `${'A'.repeat(60)}-AAAA` }),
      await app.graphql(REGENERATE, { token: kim.token, variables: { input: { code: long } } }),
      await app.graphql(ACCEPT_MFA, {
        token: enabled.token,
        variables: { input: { token: enabled.enableMfa.token, code: long } },
      }),
      // Neither or both: not an attempt either.
      await stepUp({}),
      await stepUp({ code: '123456', recoveryCode: kim.totp.scratchCodes[0] }),
    ];
    for (const response of responses) assert.equal(errorCode(response), 'BAD_USER_INPUT', JSON.stringify(response));
    assert.equal(await failuresOf(app, kim.id), before);
    assert.equal(
      (await storedFactors(app, enabled.id))[0].pending!.failures,
      0,
      "the enrollment token's tries are untouched",
    );
  });

  it('inputs of the wrong type or shape are BAD_USER_INPUT, never a 500, and count nothing', async () => {
    const mfa = await mfaToken(app, 'kim');
    const before = await failuresOf(app, kim.id);
    const right = Number(totpCode(kim.totp.secret, clock));
    const inputs: Array<Record<string, unknown>> = [
      { mfaToken: mfa, code: right },
      { mfaToken: mfa, code: [String(right)] },
      { mfaToken: mfa, code: { $ne: null } },
      { mfaToken: { $gt: '' }, code: String(right) },
      { mfaToken: mfa, factorId: '{"$ne":null}', code: String(right).padStart(6, '0') },
      { mfaToken: mfa, factorId: kim.totp.factorId.toUpperCase() + 'z', code: '000000' },
    ];
    for (const input of inputs) {
      const response = await app.graphql(VERIFY_MFA, { variables: { input: input as never } });
      assert.ok(response.status < 500, JSON.stringify(response));
      assert.equal(errorCode(response), 'BAD_USER_INPUT', JSON.stringify(input));
    }
    assert.equal(await failuresOf(app, kim.id), before);
  });

  it('a code used at sign-in is refused afterwards, by stepUp and by another sign-in', async () => {
    const right = fresh();
    const signedIn = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: await mfaToken(app, 'kim'), code: right } },
    });
    const session = signedIn.data!.verifyMfa.accessToken!;
    assert.equal(
      errorCode(await app.graphql(STEP_UP, { token: session, variables: { input: { code: right } } })),
      'INVALID_CODE',
    );
    assert.equal(
      errorCode(
        await app.graphql(VERIFY_MFA, { variables: { input: { mfaToken: await mfaToken(app, 'kim'), code: right } } }),
      ),
      'INVALID_CODE',
    );
  });

  it('the code that confirmed an enrollment cannot sign in', async () => {
    const { token } = await signUpAndLogIn(app, 'mia');
    alignToFreshStep(clock);
    const totp = await enrollTotp(app, token, clock); // accepts the current step, then moves the clock one step on
    const response = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: await mfaToken(app, 'mia'), code: totpCode(totp.secret, clock, -1) } },
    });
    assert.equal(errorCode(response), 'INVALID_CODE');
  });

  it('once a newer step was used, an older one (−30 s) is refused, though it is inside the window', async () => {
    fresh();
    assert.equal(
      (await stepUp({ code: totpCode(kim.totp.secret, clock, -1) })).data?.stepUp,
      true,
      'older first is fine',
    );
    assert.equal((await stepUp({ code: totpCode(kim.totp.secret, clock) })).data?.stepUp, true, 'then the newer one');
    assert.equal(
      errorCode(await stepUp({ code: totpCode(kim.totp.secret, clock, -1) })),
      'INVALID_CODE',
      'the older step again',
    );
    assert.equal(
      errorCode(await stepUp({ code: totpCode(kim.totp.secret, clock) })),
      'INVALID_CODE',
      'the newer step again',
    );
  });

  it('a code 30 s away from the server clock is accepted, 60 s away refused, either way', async () => {
    let code = fresh();
    clock.advance(TOTP_STEP_MS); // typed 30 s ago
    assert.equal((await stepUp({ code })).data?.stepUp, true, '−30 s');
    code = fresh();
    clock.advance(2 * TOTP_STEP_MS); // typed 60 s ago
    assert.equal(errorCode(await stepUp({ code })), 'INVALID_CODE', '−60 s');
    fresh();
    assert.equal(
      (await stepUp({ code: totpCode(kim.totp.secret, clock, 1) })).data?.stepUp,
      true,
      '+30 s (a phone running fast)',
    );
    assert.equal(errorCode(await stepUp({ code: totpCode(kim.totp.secret, clock, 2) })), 'INVALID_CODE', '+60 s');
  });
});
