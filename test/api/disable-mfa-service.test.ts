import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Types } from 'mongoose';
import type { SessionViewer } from '../../src/auth/viewer.js';
import { AppError } from '../../src/errors.js';
import { TEST_PASSWORD } from '../support/accounts.js';
import { alignToFreshStep, userWithTotp, type MfaUser } from '../support/attacker.js';
import { TestClock, totpCode } from '../support/mfa.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** disableMfa's one entry point: which path a request takes, decided by the service. */
describe('DisableMfaService.disable', () => {
  const clock = new TestClock();
  let app: TestApp;

  const sessionOf = async (accessToken: string): Promise<SessionViewer> => ({
    kind: 'session',
    ...(await app.services.sessions.authenticate(accessToken))!,
  });
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => (error instanceof AppError ? { code: error.code, field: error.extensions.field } : error),
    );

  before(async () => {
    app = await startTestApp({}, { clock: clock.now });
  });
  after(() => app.stop());

  it("one's own id is one's own request: without the password it is refused before any check, and nothing changes", async () => {
    const alice: MfaUser = await userWithTotp(app, clock, 'alice');
    const viewer = await sessionOf(alice.token);
    alignToFreshStep(clock);
    const refused = await refusal(
      app.services.disableMfa.disable(
        viewer,
        { userId: new Types.ObjectId(alice.id), code: totpCode(alice.totp.secret, clock) },
        '127.0.0.1',
      ),
    );
    assert.deepEqual(refused, { code: 'BAD_USER_INPUT', field: 'password' });
    assert.equal(await app.services.factors.hasActiveFactor(viewer.user._id), true);
  });

  it("one's own, with the password and a code: the factors go and the session stays", async () => {
    const bob: MfaUser = await userWithTotp(app, clock, 'bob');
    const viewer = await sessionOf(bob.token);
    alignToFreshStep(clock);
    await app.services.disableMfa.disable(
      viewer,
      { userId: viewer.user._id, password: TEST_PASSWORD, code: totpCode(bob.totp.secret, clock) },
      '127.0.0.1',
    );
    assert.equal(await app.services.factors.hasActiveFactor(viewer.user._id), false);
    assert.ok(await app.services.sessions.authenticate(bob.token), 'removing one’s own factors ends no session');
  });

  it("someone else's is an admin's request: a user gets FORBIDDEN however much proof comes along", async () => {
    const carol: MfaUser = await userWithTotp(app, clock, 'carol');
    const dave: MfaUser = await userWithTotp(app, clock, 'dave');
    alignToFreshStep(clock);
    const refused = await refusal(
      app.services.disableMfa.disable(
        await sessionOf(carol.token),
        { userId: new Types.ObjectId(dave.id), password: TEST_PASSWORD, code: totpCode(carol.totp.secret, clock) },
        '127.0.0.1',
      ),
    );
    assert.equal((refused as { code: string }).code, 'FORBIDDEN');
    assert.equal(await app.services.factors.hasActiveFactor(new Types.ObjectId(dave.id)), true);
    assert.equal(await app.services.factors.hasActiveFactor(new Types.ObjectId(carol.id)), true);
  });
});
