import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashToken } from '../../src/crypto/opaque-token.js';
import type { SessionRecord } from '../../src/sessions/session.model.js';
import {
  LoginDocument as LOGIN,
  LogoutDocument as LOGOUT,
  MeDocument as ME,
  SignUpDocument as SIGN_UP,
} from '../generated/graphql.js';
import { errorCode, startTestApp, type GraphQLResponse, type TestApp } from '../support/test-app.js';

const MINUTE_MS = 60_000;
const IDLE_MINUTES = 30;
const ABSOLUTE_MINUTES = 60;
const DATE_FIELDS = ['createdAt', 'lastUsedAt', 'absoluteExpiresAt', 'expiresAt'] as const;

function assertSignedOut(response: GraphQLResponse<unknown>): void {
  assert.equal(response.status, 401);
  assert.equal(errorCode(response), 'UNAUTHENTICATED');
}

describe('access token expiry and revocation', () => {
  let app: TestApp;
  const sessions = () => app.database.connection.db!.collection<SessionRecord>('sessions');
  const stored = async (token: string) => (await sessions().findOne({ tokenHash: hashToken(token) }))!;
  const signIn = async () =>
    (await app.graphql(LOGIN, { variables: { input: { username: 'erin', password: 'erin password 1' } } })).data!.login
      .accessToken!;
  const me = (token: string) => app.graphql(ME, { token });

  /**
   * Moving every date of a session back by `ms` is, to the server, the clock
   * moving forward by `ms`: the real expiry check runs, and nobody sleeps.
   * Written through the app's model, as the service's own changes are, so the
   * credential cache hears of it.
   */
  async function age(token: string, ms: number): Promise<void> {
    const session = await stored(token);
    const shifted = Object.fromEntries(DATE_FIELDS.map((field) => [field, new Date(session[field].getTime() - ms)]));
    await app.database.connection.model('Session').updateOne({ _id: session._id }, { $set: shifted });
  }

  before(async () => {
    app = await startTestApp({
      SESSION_IDLE_MINUTES: String(IDLE_MINUTES),
      SESSION_TTL_MINUTES: String(ABSOLUTE_MINUTES),
    });
    await app.graphql(SIGN_UP, { variables: { input: { username: 'erin', password: 'erin password 1' } } });
  });
  after(() => app.stop());

  it('ends a session left unused for the idle time', async () => {
    const token = await signIn();
    assert.equal((await me(token)).data?.me?.username, 'erin');
    await age(token, (IDLE_MINUTES + 1) * MINUTE_MS);
    assertSignedOut(await me(token));
    assert.ok(await stored(token), 'refused by the check on use, not because the TTL monitor already removed it');
  });

  it('moves the idle deadline on use, never past the absolute end', async () => {
    const token = await signIn();
    await age(token, 25 * MINUTE_MS);
    assert.equal((await me(token)).data?.me?.username, 'erin');
    await age(token, 25 * MINUTE_MS); // 50 min since sign-in: alive only because the use above moved the deadline
    assert.equal((await me(token)).data?.me?.username, 'erin');
    const session = await stored(token);
    assert.deepEqual(session.expiresAt, session.absoluteExpiresAt, 'use 30 min before the end does not reach past it');
    await age(token, 11 * MINUTE_MS); // 61 min since sign-in, 11 since the last use
    assertSignedOut(await me(token));
  });

  it('writes lastUsedAt at most once a minute', async () => {
    const token = await signIn();
    const issued = await stored(token);
    await me(token);
    assert.deepEqual((await stored(token)).lastUsedAt, issued.lastUsedAt);
    await age(token, 55_000);
    await me(token);
    assert.equal(
      (await stored(token)).lastUsedAt.getTime(),
      issued.lastUsedAt.getTime() - 55_000,
      'no write within the minute',
    );
    await age(token, 10_000);
    const requestedAt = Date.now();
    await me(token);
    const touched = await stored(token);
    assert.ok(touched.lastUsedAt.getTime() >= requestedAt, 'touched after a minute');
    assert.equal(touched.expiresAt.getTime(), touched.lastUsedAt.getTime() + IDLE_MINUTES * MINUTE_MS);
  });

  it('signs out only the session that calls logout', async () => {
    const [leaving, staying] = [await signIn(), await signIn()];
    assert.equal((await app.graphql(LOGOUT, { token: leaving })).data?.logout, true);
    assertSignedOut(await me(leaving));
    assert.equal((await me(staying)).data?.me?.username, 'erin');
  });

  it('keeps a TTL index on expiresAt, so the database removes what expired', async () => {
    const indexes = await sessions().indexes();
    const ttl = indexes.filter((index) => index.expireAfterSeconds !== undefined);
    assert.deepEqual(
      ttl.map((index) => ({ key: index.key, expireAfterSeconds: index.expireAfterSeconds })),
      [{ key: { expiresAt: 1 }, expireAfterSeconds: 0 }],
    );
  });
});
