import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ObjectType } from 'type-graphql';
import { totpFactor } from '../../plugins/totp/index.js';
import { TotpEnrollment } from '../../plugins/totp/totp-enrollment.type.js';
import {
  AcceptMfaDocument as ACCEPT_MFA,
  ApiKeysDocument as API_KEYS,
  CreateApiKeyDocument as CREATE_API_KEY,
  EnableMfaDocument as ENABLE_MFA,
  RegenerateRecoveryCodesDocument as REGENERATE,
  StepUpDocument as STEP_UP,
} from '../generated/graphql.js';
import { signUpAndLogIn } from '../support/accounts.js';
import { failuresOf, storedFactors, storedUser, userWithTotp, type MfaUser } from '../support/attacker.js';
import { TestClock, enrollTotp, signInWithTotp, totpCode, totpSecretOf, wrongTotpCode } from '../support/mfa.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

const STEP_UP_MAX_AGE_MS = 5 * 60_000;

/** A second factor type, so "adding another factor" can be tried: an authenticator app under another name. */
@ObjectType('SecondAppEnrollment')
class SecondAppEnrollment extends TotpEnrollment {}
const secondApp = {
  ...totpFactor({ issuer: 'mfa-graphql' }),
  type: 'second-app',
  displayName: 'Second authenticator app',
  detailsType: SecondAppEnrollment,
};

/** Step-up: with an ACTIVE factor, these need a second-factor proof at most 5 minutes old in the calling session. */
describe('step-up for sensitive changes', () => {
  const clock = new TestClock();
  let app: TestApp;
  let vic: MfaUser;
  const stale = () => clock.advance(STEP_UP_MAX_AGE_MS + 1_000);
  const sensitive = (token: string) =>
    [
      ['createApiKey', () => app.graphql(CREATE_API_KEY, { token, variables: { input: { name: 'script' } } })],
      ['enableMfa(recreate)', () => app.graphql(ENABLE_MFA, { token, variables: { input: { recreate: true } } })],
      [
        'enableMfa(another type)',
        () => app.graphql(ENABLE_MFA, { token, variables: { input: { factorType: 'second-app' } } }),
      ],
      ['regenerateRecoveryCodes', () => app.graphql(REGENERATE, { token, variables: { input: {} } })],
    ] as const;
  /** Everything the sensitive calls could have changed. */
  const state = async () => ({
    keys: (await app.graphql(API_KEYS, { token: vic.token })).data!.apiKeys.length,
    factors: (await storedFactors(app, vic.id)).map((factor) => [factor.type, factor.status]),
    codes: (await storedUser(app, vic.id)).recoveryCodes!.hashes,
  });

  before(async () => {
    app = await startTestApp(
      {},
      { clock: clock.now, factorPlugins: [totpFactor({ issuer: 'mfa-graphql' }), secondApp] },
    );
    vic = await userWithTotp(app, clock, 'vic');
  });
  after(() => app.stop());

  it('a stale session gets STEP_UP_REQUIRED for each, and nothing changes', async () => {
    assert.ok(
      (await app.graphql(CREATE_API_KEY, { token: vic.token, variables: { input: { name: 'fresh' } } })).data
        ?.createApiKey.secret,
      'fresh: allowed',
    );
    stale();
    const before = await state();
    for (const [name, call] of sensitive(vic.token)) assert.equal(errorCode(await call()), 'STEP_UP_REQUIRED', name);
    assert.deepEqual(await state(), before);
    assert.equal(before.keys, 1);
  });

  it("a wrong stepUp, or another session's stepUp, proves nothing for this session", async () => {
    const wrong = wrongTotpCode(vic.totp.secret, clock);
    assert.equal(
      errorCode(await app.graphql(STEP_UP, { token: vic.token, variables: { input: { code: wrong } } })),
      'INVALID_CODE',
    );
    const other = await signInWithTotp(app, 'vic', vic.totp, clock); // a fresh proof, in another session
    assert.ok(other);
    for (const [name, call] of sensitive(vic.token)) assert.equal(errorCode(await call()), 'STEP_UP_REQUIRED', name);
    assert.equal(await failuresOf(app, vic.id), 0, 'the sign-in reset the one failure');
  });

  it('a stepUp allows them for 5 minutes, and not a second longer', async () => {
    assert.equal(
      (
        await app.graphql(STEP_UP, {
          token: vic.token,
          variables: { input: { code: totpCode(vic.totp.secret, clock) } },
        })
      ).data?.stepUp,
      true,
    );
    clock.advance(STEP_UP_MAX_AGE_MS - 5_000);
    const before = await state();
    for (const [name, call] of sensitive(vic.token)) assert.equal(errorCode(await call()), undefined, name);
    const after = await state();
    assert.equal(after.keys, before.keys + 1);
    assert.notDeepEqual(after.codes, before.codes, 'new recovery codes');
    clock.advance(6_000);
    for (const [name, call] of sensitive(vic.token)) assert.equal(errorCode(await call()), 'STEP_UP_REQUIRED', name);
  });

  it('regenerateRecoveryCodes with a wrong inline code is INVALID_CODE, counted, and changes nothing', async () => {
    const before = await state();
    const response = await app.graphql(REGENERATE, {
      token: vic.token,
      variables: { input: { code: '000000' === totpCode(vic.totp.secret, clock) ? '111111' : '000000' } },
    });
    assert.equal(errorCode(response), 'INVALID_CODE');
    assert.equal(await failuresOf(app, vic.id), 1);
    assert.deepEqual(await state(), before);
    clock.nextStep();
    const fresh = await app.graphql(REGENERATE, {
      token: vic.token,
      variables: { input: { code: totpCode(vic.totp.secret, clock) } },
    });
    assert.equal(fresh.data?.regenerateRecoveryCodes.length, 10, 'a right inline code is a proof');
  });

  it('without an ACTIVE factor nothing needs a step-up: first enrollment, API keys', async () => {
    const { token } = await signUpAndLogIn(app, 'wes');
    stale();
    assert.ok(
      (await app.graphql(CREATE_API_KEY, { token, variables: { input: { name: 'script' } } })).data?.createApiKey
        .secret,
    );
    const wes = await enrollTotp(app, token, clock);
    assert.ok(wes.factorId);
    stale();
    assert.equal(
      errorCode(await app.graphql(CREATE_API_KEY, { token, variables: { input: { name: 'later' } } })),
      'STEP_UP_REQUIRED',
      'but from then on',
    );
  });

  it('an enrollment started before the first factor was accepted needs a fresh proof to finish, and leaves the saved recovery codes alone', async () => {
    const { token } = await signUpAndLogIn(app, 'xena');
    const early = (await app.graphql(ENABLE_MFA, { token, variables: { input: { factorType: 'second-app' } } })).data!
      .enableMfa;
    assert.equal(early.scratchCodes?.length, 10, 'started as a first factor: it comes with codes');
    const first = await enrollTotp(app, token, clock); // the totp factor wins the race to ACTIVE, with its own codes
    stale();
    const accept = () =>
      app.graphql(ACCEPT_MFA, {
        token,
        variables: { input: { token: early.token, code: totpCode(totpSecretOf(early.details), clock) } },
      });
    assert.equal(
      errorCode(await accept()),
      'STEP_UP_REQUIRED',
      'adding a factor next to an ACTIVE one needs a fresh proof',
    );
    assert.equal(
      (await app.graphql(STEP_UP, { token, variables: { input: { recoveryCode: first.scratchCodes[0] } } })).data
        ?.stepUp,
      true,
    );
    assert.equal((await accept()).data?.acceptMfa.status, 'ACTIVE');
    const stepUp = (recoveryCode: string) => app.graphql(STEP_UP, { token, variables: { input: { recoveryCode } } });
    assert.equal(
      (await stepUp(first.scratchCodes[1])).data?.stepUp,
      true,
      'the codes saved with the first factor still work',
    );
    assert.equal(
      errorCode(await stepUp(early.scratchCodes[0])),
      'INVALID_CODE',
      'the early enrollment did not replace them',
    );
  });
});
