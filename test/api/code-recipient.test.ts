import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Viewer } from '../../src/auth/viewer.js';
import { AppError } from '../../src/errors.js';
import { CreateApiKeyDocument } from '../generated/graphql.js';
import { signUpAndLogIn, TEST_PASSWORD } from '../support/accounts.js';
import { userWithTotp, type MfaUser } from '../support/attacker.js';
import { mfaToken, TestClock } from '../support/mfa.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** Whose attempt beginMfa and sendMfaCode begin, and where it is bound, as the challenge service decides it. */
describe('ChallengeService.attemptOf', () => {
  const clock = new TestClock();
  let app: TestApp;
  let alice: MfaUser;
  let bob: { id: string; token: string };

  const sessionOf = async (accessToken: string): Promise<Viewer> => ({
    kind: 'session',
    ...(await app.services.sessions.authenticate(accessToken))!,
  });
  const refusal = async (promise: Promise<unknown>) =>
    promise.then(
      () => 'resolved',
      (error: unknown) => (error instanceof AppError ? `${error.code}: ${error.message}` : String(error)),
    );

  before(async () => {
    app = await startTestApp({}, { clock: clock.now });
    alice = await userWithTotp(app, clock, 'alice');
    bob = await signUpAndLogIn(app, 'bob');
  });
  after(() => app.stop());

  it("with an mfaToken: the user signing in with it, bound to that sign-in, whoever else's session comes along", async () => {
    const token = await mfaToken(app, 'alice');
    const { owner, binding } = await app.services.challenges.attemptOf(token, await sessionOf(bob.token));
    assert.equal(owner._id.toHexString(), alice.id);
    assert.ok('signInChallengeId' in binding, JSON.stringify(binding));
  });

  it("without one: the full session's own user, bound to that session", async () => {
    const viewer = await sessionOf(bob.token);
    const { owner, binding } = await app.services.challenges.attemptOf(undefined, viewer);
    assert.equal(owner._id.toHexString(), bob.id);
    assert.deepEqual(binding, { sessionId: viewer.kind === 'session' ? viewer.session._id : undefined });
  });

  it('without one, nobody else: no viewer, an API key and an enrollment-only session are refused', async () => {
    assert.match(await refusal(app.services.challenges.attemptOf(null, undefined)), /^UNAUTHENTICATED/);

    const created = await app.graphql(CreateApiKeyDocument, { token: bob.token, variables: { input: { name: 's' } } });
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    const key = await app.services.apiKeys.authenticate(created.data!.createApiKey.secret);
    assert.match(
      await refusal(app.services.challenges.attemptOf(undefined, { kind: 'apiKey', ...key! })),
      /^FORBIDDEN: API keys/,
    );

    // A user the policy requires MFA of, with no factor yet, signs in to an enrollment-only session.
    await signUpAndLogIn(app, 'carol');
    await app.database.connection
      .db!.collection('users')
      .updateOne({ usernameKey: 'carol' }, { $set: { mfaPolicyStatus: 'ENABLED' } });
    const enrolling = await app.services.signIn.login('carol', TEST_PASSWORD, '127.0.0.1');
    assert.ok(enrolling.kind === 'enrollmentRequired', enrolling.kind);
    assert.match(
      await refusal(app.services.challenges.attemptOf(undefined, await sessionOf(enrolling.accessToken))),
      /^FORBIDDEN: This session may only finish enrolling/,
    );
  });
});
