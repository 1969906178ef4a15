import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateApiKeyDocument,
  DeviceCookieLoginDocument,
  LoginDocument,
  MeDocument,
  VerifyMfaDocument,
} from '../generated/graphql.js';
import { signUpAndLogIn, TEST_PASSWORD } from '../support/accounts.js';
import { alignToFreshStep, userWithTotp, type MfaUser } from '../support/attacker.js';
import { mfaToken, TestClock, totpCode, wrongTotpCode } from '../support/mfa.js';
import { commandsOf } from '../support/round-trips.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Each database round trip costs this service far more CPU than the rest of
 * a request (see README, Performance), so the hot paths' trips are pinned
 * here: a change that adds one has to change this test and say why.
 */
describe('database round trips per operation', () => {
  const clock = new TestClock();
  let app: TestApp;
  let plain: { id: string; token: string };
  let apiKey: string;
  let mfa: MfaUser;
  /** The code the valid verifyMfa spent, for the replay. */
  let spentCode: string;

  before(async () => {
    app = await startTestApp({}, { clock: clock.now });
    plain = await signUpAndLogIn(app, 'plain');
    const created = await app.graphql(CreateApiKeyDocument, {
      token: plain.token,
      variables: { input: { name: 'script' } },
    });
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    apiKey = created.data!.createApiKey.secret;
    await app.graphql(MeDocument, { token: apiKey }); // its first use records lastUsedAt
    mfa = await userWithTotp(app, clock, 'with-totp');
  });
  after(() => app.stop());

  it('me: the session (or API key) joined with its user when this server has not seen it, then one factor lookup for mfaEnabled', async () => {
    const fresh = await signUpAndLogIn(app, 'cold');
    let response: Awaited<ReturnType<typeof app.graphql>> | undefined;
    const made = await commandsOf(app, async () => (response = await app.graphql(MeDocument, { token: fresh.token })));
    assert.equal(response?.errors, undefined, JSON.stringify(response?.errors));
    assert.deepEqual(made, { aggregate: 1, find: 1 });
  });

  it('me, warm: the credential and its user come from the credential cache; only mfaEnabled reads the factors', async () => {
    for (const credential of [plain.token, apiKey]) {
      await app.graphql(MeDocument, { token: credential });
      let response: Awaited<ReturnType<typeof app.graphql>> | undefined;
      const made = await commandsOf(app, async () => (response = await app.graphql(MeDocument, { token: credential })));
      assert.equal(response?.errors, undefined, JSON.stringify(response?.errors));
      assert.deepEqual(made, { find: 1 });
    }
  });

  it('login without MFA: the user, then the new session and its audit event', async () => {
    const made = await commandsOf(app, () =>
      app.graphql(LoginDocument, { variables: { input: { username: 'plain', password: TEST_PASSWORD } } }),
    );
    assert.deepEqual(made, { find: 1, insert: 2 });
  });

  it('login with MFA: the user, its factors, the mfaToken and its audit event; the policy only for a client that asks trustedDeviceDays', async () => {
    const input = { username: 'with-totp', password: TEST_PASSWORD };
    const plainLogin = await commandsOf(app, () => app.graphql(LoginDocument, { variables: { input } }));
    const asking = await commandsOf(app, () => app.graphql(DeviceCookieLoginDocument, { variables: { input } }));
    assert.deepEqual(plainLogin, { find: 2, insert: 2 });
    assert.deepEqual(asking, { find: 3, insert: 2 }, 'one more read: the policy, for trustedDeviceDays');
  });

  it('verifyMfa with a wrong code: the mfaToken with its user and factors, the reserved attempt, the audit event', async () => {
    const token = await mfaToken(app, 'with-totp');
    alignToFreshStep(clock);
    const wrong = wrongTotpCode(mfa.totp.secret, clock);
    let response: Awaited<ReturnType<typeof app.graphql>> | undefined;
    const made = await commandsOf(
      app,
      async () =>
        (response = await app.graphql(VerifyMfaDocument, {
          variables: { input: { mfaToken: token, factorId: mfa.totp.factorId, code: wrong } },
        })),
    );
    assert.equal(response?.errors?.[0]?.extensions?.code, 'INVALID_CODE');
    assert.equal(response?.errors?.[0]?.extensions?.attemptsRemaining, 4);
    // aggregate: the mfaToken ⋈ its user (a deactivated account's is refused before any code is checked) ⋈ the user's
    // ACTIVE factors · findAndModify: the reservation, whose count gives INVALID_CODE's attemptsRemaining (see
    // SecondFactorAttempts.remainingAfter) · insert: the audit event (the lockout's too, when this failure starts one)
    assert.deepEqual(made, { aggregate: 1, findAndModify: 1, insert: 1 });
  });

  it('verifyMfa with a valid code: also spends the step, clears the count, spends the mfaToken and issues the session', async () => {
    const token = await mfaToken(app, 'with-totp');
    alignToFreshStep(clock);
    let response: Awaited<ReturnType<typeof app.graphql>> | undefined;
    spentCode = totpCode(mfa.totp.secret, clock);
    const input = { mfaToken: token, factorId: mfa.totp.factorId, code: spentCode };
    const made = await commandsOf(
      app,
      async () => (response = await app.graphql(VerifyMfaDocument, { variables: { input } })),
    );
    assert.equal(response?.errors, undefined, JSON.stringify(response?.errors));
    // aggregate: the mfaToken ⋈ its user ⋈ its ACTIVE factors · findAndModify: reserve the attempt, spend the step ·
    // update: clear the count, spend the mfaToken · insert: the session, then both audit events (verification and
    // sign-in) in one insertMany
    assert.deepEqual(made, { aggregate: 1, findAndModify: 2, update: 2, insert: 2 });
  });

  it('verifyMfa with a replayed code takes the wrong code’s path: its timing tells nothing the answer does not (which says the code was used)', async () => {
    const token = await mfaToken(app, 'with-totp');
    let response: Awaited<ReturnType<typeof app.graphql>> | undefined;
    const input = { mfaToken: token, factorId: mfa.totp.factorId, code: spentCode };
    const made = await commandsOf(
      app,
      async () => (response = await app.graphql(VerifyMfaDocument, { variables: { input } })),
    );
    assert.equal(response?.errors?.[0]?.extensions?.code, 'INVALID_CODE');
    assert.deepEqual(made, { aggregate: 1, findAndModify: 1, insert: 1 });
  });
});
