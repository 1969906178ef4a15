import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Types } from 'mongoose';
import type { AuditEventRecord } from '../../src/audit/audit-event.model.js';
import {
  AuditEventsDocument as AUDIT_EVENTS,
  StepUpDocument as STEP_UP,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import {
  alignToFreshStep,
  auditCount,
  failuresOf,
  mfaTokens,
  retryAfter,
  storedUser,
  userWithTotp,
  type MfaUser,
} from '../support/attacker.js';
import { TestClock, mfaToken, signInWithTotp, totpCode } from '../support/mfa.js';
import { errorCode, startTestApp, type GraphQLResponse, type TestApp } from '../support/test-app.js';

const wrongCode = (right: string) => String((Number(right) + 500_000) % 1_000_000).padStart(6, '0');

function assertLocked(response: GraphQLResponse<unknown>, maxSeconds: number): void {
  assert.equal(errorCode(response), 'TOO_MANY_ATTEMPTS', JSON.stringify(response));
  const seconds = retryAfter(response);
  assert.ok(
    Number.isInteger(seconds) && (seconds as number) > maxSeconds - 5 && (seconds as number) <= maxSeconds,
    `retryAfterSeconds ${String(seconds)}, expected ~${maxSeconds}`,
  );
}

/** Five consecutive wrong second factors lock the account, whatever mix of sign-ins, sessions and code kinds they came through. */
describe('second-factor lockout', () => {
  const clock = new TestClock();
  let app: TestApp;
  let jack: MfaUser;
  let otherSession: string;
  const verify = (mfa: string, input: { code?: string; recoveryCode?: string }) =>
    app.graphql(VERIFY_MFA, { variables: { input: { mfaToken: mfa, ...input } } });
  const stepUp = (token: string, input: { code?: string; recoveryCode?: string }) =>
    app.graphql(STEP_UP, { token, variables: { input } });
  const now = () => totpCode(jack.totp.secret, clock);
  const storedHashes = async () => (await storedUser(app, jack.id)).recoveryCodes!.hashes.length;

  before(async () => {
    app = await startTestApp({}, { clock: clock.now });
    jack = await userWithTotp(app, clock, 'jack');
    otherSession = await signInWithTotp(app, 'jack', jack.totp, clock);
  });
  after(() => app.stop());

  it('5 wrong codes across sign-ins, sessions and stepUp lock out; the lock holds everywhere, even for a valid code', async () => {
    const [first, second] = await mfaTokens(app, 'jack', 2);
    alignToFreshStep(clock);
    const wrong = wrongCode(now());
    const attempts = [
      () => verify(first, { code: wrong }),
      () => stepUp(jack.token, { code: wrong }),
      () => verify(second, { code: wrong }),
      () => stepUp(otherSession, { code: wrong }),
    ];
    for (const [i, attempt] of attempts.entries()) {
      assert.equal(errorCode(await attempt()), 'INVALID_CODE');
      assert.equal(await failuresOf(app, jack.id), i + 1);
    }
    assert.equal(await auditCount(app, jack.id, 'mfa.locked_out'), 0, 'four are not enough');
    assert.equal(
      errorCode(await verify(first, { code: wrong })),
      'INVALID_CODE',
      'the fifth is still checked, and fills the allowance',
    );

    assertLocked(await verify(second, { code: now() }), 60);
    assertLocked(await stepUp(jack.token, { code: now() }), 60);
    assertLocked(await stepUp(otherSession, { recoveryCode: jack.totp.scratchCodes[0] }), 60);
    assertLocked(await verify(await mfaToken(app, 'jack'), { code: now() }), 60);
    assert.equal(await storedHashes(), 10, 'the refused recovery code was not spent');

    const events = await app.graphql(AUDIT_EVENTS, { token: jack.token, variables: { first: 50 } });
    const types = events.data!.auditEvents.edges.map((edge) => edge.node.type);
    assert.equal(
      types.filter((type) => type === 'mfa.verification_failed').length,
      5,
      'refusals while locked check nothing and log no failure',
    );
    assert.equal(types.filter((type) => type === 'mfa.locked_out').length, 1);
    const lockedOut = await app.database.connection
      .db!.collection<AuditEventRecord>('auditEvents')
      .findOne({ userId: new Types.ObjectId(jack.id), type: 'mfa.locked_out' });
    assert.equal(lockedOut?.details?.seconds, 60);
  });

  it('a second lockout with no success in between lasts twice as long (120 s); then a valid code gets in', async () => {
    clock.advance(61_000);
    const mfa = await mfaToken(app, 'jack');
    alignToFreshStep(clock);
    for (let i = 0; i < 5; i++)
      assert.equal(
        errorCode(
          await (i % 2 ? stepUp(jack.token, { code: wrongCode(now()) }) : verify(mfa, { code: wrongCode(now()) })),
        ),
        'INVALID_CODE',
      );
    assertLocked(await verify(mfa, { code: now() }), 120);
    assert.equal(await auditCount(app, jack.id, 'mfa.locked_out'), 2);

    clock.advance(61_000);
    assertLocked(await verify(mfa, { code: now() }), 59);
    clock.advance(60_000);
    const signedIn = await verify(await mfaToken(app, 'jack'), { code: now() });
    assert.match(signedIn.data?.verifyMfa.accessToken ?? '', /^mfa_at_/, JSON.stringify(signedIn.errors));
    assert.equal(await failuresOf(app, jack.id), 0);
  });

  it('a success resets the count and the back-off', async () => {
    const wrongTimes = async (count: number) => {
      alignToFreshStep(clock);
      for (let i = 0; i < count; i++)
        assert.equal(errorCode(await stepUp(jack.token, { code: wrongCode(now()) })), 'INVALID_CODE');
    };
    await wrongTimes(4);
    assert.equal((await stepUp(jack.token, { code: now() })).data?.stepUp, true);
    assert.equal(await failuresOf(app, jack.id), 0);
    await wrongTimes(4);
    assert.equal(
      (await stepUp(jack.token, { code: now() })).data?.stepUp,
      true,
      '4 + 4 failures around a success are not 5 consecutive ones',
    );
    await wrongTimes(5);
    assertLocked(await stepUp(jack.token, { code: now() }), 60);
    assert.equal((await storedUser(app, jack.id)).secondFactorLockouts, 1, 'back to the first lockout length');
    clock.advance(61_000);
    assert.equal((await stepUp(jack.token, { code: now() })).data?.stepUp, true);
  });

  it('recovery codes count in the same lockout, and are not spent while it holds', async () => {
    const mfa = await mfaToken(app, 'jack');
    alignToFreshStep(clock);
    const before = await storedHashes();
    for (const input of [
      { code: wrongCode(now()) },
      { recoveryCode: 'AAAA-BBBB-CCCC-DDDD' },
      { code: wrongCode(now()) },
      { recoveryCode: 'not a recovery code' },
    ]) {
      assert.equal(errorCode(await verify(mfa, input)), 'INVALID_CODE');
    }
    assert.equal(await failuresOf(app, jack.id), 4);
    assert.equal(errorCode(await stepUp(jack.token, { recoveryCode: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ' })), 'INVALID_CODE');
    assertLocked(await verify(mfa, { recoveryCode: jack.totp.scratchCodes[1] }), 60);
    assert.equal(await storedHashes(), before);

    clock.advance(61_000);
    const signedIn = await verify(mfa, { recoveryCode: jack.totp.scratchCodes[1] });
    assert.match(signedIn.data?.verifyMfa.accessToken ?? '', /^mfa_at_/, JSON.stringify(signedIn.errors));
    assert.equal(await storedHashes(), before - 1);
  });
});
