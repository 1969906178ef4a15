import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AcceptMfaDocument as ACCEPT_MFA,
  AuditEventsDocument as AUDIT_EVENTS,
  DisableMfaDocument as DISABLE_MFA,
  EnableMfaDocument as ENABLE_MFA,
  LoginDocument as LOGIN,
  RegenerateRecoveryCodesDocument as REGENERATE_RECOVERY_CODES,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { TEST_PASSWORD, signUpAndLogIn } from '../support/accounts.js';
import { TestClock, totpCode, totpSecretOf } from '../support/mfa.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const EXPECTED_ORDER = [
  'mfa.enrollment_started',
  'mfa.factor_activated',
  'sign_in.mfa_required',
  'mfa.verification_succeeded',
  'sign_in.succeeded',
  'mfa.recovery_code_used',
  'mfa.recovery_codes_regenerated',
  'mfa.factor_removed',
];

describe('the audit trail of an MFA life cycle', () => {
  const clock = new TestClock();
  let app: TestApp;
  before(async () => {
    app = await startTestApp({}, { clock: clock.now });
  });
  after(() => app.stop());

  it('records enroll → sign-in with a code → a recovery code → regenerate → disable in order, without a code, secret or token', async () => {
    const { id, token: firstSession } = await signUpAndLogIn(app, 'grace');
    /** Everything secret the client saw or sent; none may reach the audit trail. */
    const secrets: string[] = [TEST_PASSWORD, firstSession];
    const codes: string[] = [];
    const code = () => {
      const current = totpCode(secret, clock);
      codes.push(current);
      return current;
    };
    const signIn = async (proof: { code?: string; recoveryCode?: string }) => {
      const mfaToken = (
        await app.graphql(LOGIN, { variables: { input: { username: 'grace', password: TEST_PASSWORD } } })
      ).data!.login.mfaToken!;
      const verified = await app.graphql(VERIFY_MFA, { variables: { input: { mfaToken, ...proof } } });
      assert.equal(verified.errors, undefined, JSON.stringify(verified.errors));
      secrets.push(mfaToken, verified.data!.verifyMfa.accessToken!);
      return verified.data!.verifyMfa.accessToken!;
    };

    const enabled = (
      await app.graphql(ENABLE_MFA, { token: firstSession, variables: { input: { factorType: 'totp' } } })
    ).data!.enableMfa;
    assert.ok(enabled.details?.__typename === 'TotpEnrollment');
    const secret = totpSecretOf(enabled.details);
    const scratchCodes = enabled.scratchCodes!;
    secrets.push(secret, enabled.details.qrString, enabled.token, ...scratchCodes);
    const accepted = await app.graphql(ACCEPT_MFA, {
      token: firstSession,
      variables: { input: { token: enabled.token, code: code() } },
    });
    assert.equal(accepted.data?.acceptMfa.status, 'ACTIVE');
    clock.nextStep();

    await signIn({ code: code() });
    clock.nextStep();
    const session = await signIn({ recoveryCode: scratchCodes[0] });
    const regenerated = await app.graphql(REGENERATE_RECOVERY_CODES, {
      token: session,
      variables: { input: { code: code() } },
    });
    assert.equal(regenerated.data?.regenerateRecoveryCodes.length, 10);
    secrets.push(...regenerated.data.regenerateRecoveryCodes);
    clock.nextStep();
    const disabled = await app.graphql(DISABLE_MFA, {
      token: session,
      variables: { input: { password: TEST_PASSWORD, code: code() } },
    });
    assert.deepEqual(disabled.data?.disableMfa.factors, []);

    const trail = await app.graphql(AUDIT_EVENTS, { token: session, variables: { userId: id, first: 100 } });
    const events = trail.data!.auditEvents.edges.map((edge) => edge.node).reverse(); // oldest first
    assert.equal(trail.data!.auditEvents.pageInfo.hasNextPage, false);
    const types = events.map((event) => event.type);
    let from = 0;
    for (const expected of EXPECTED_ORDER) {
      const at = types.indexOf(expected, from);
      assert.ok(at >= 0, `${expected} after position ${from} in ${types.join(', ')}`);
      from = at + 1;
    }

    // Six-digit codes are looked for in the details only: ids and timestamps elsewhere are digits too.
    const details = JSON.stringify(events.map((event) => event.details));
    for (const used of codes) assert.ok(!details.includes(used), `a code (${used}) in the audit details`);
    const whole = JSON.stringify(events);
    for (const value of secrets.flatMap((value) => [value, value.replaceAll('-', '')])) {
      assert.ok(!whole.includes(value), `a secret in the audit trail: ${value.slice(0, 12)}…`);
      assert.ok(!app.logLines.some((line) => line.includes(value)), `a secret in the log: ${value.slice(0, 12)}…`);
    }
  });
});
