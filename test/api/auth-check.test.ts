import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashToken } from '../../src/crypto/opaque-token.js';
import {
  CreateApiKeyDocument as CREATE_API_KEY,
  DeactivateUserDocument as DEACTIVATE,
  EnableMfaDocument as ENABLE_MFA,
  LoginDocument as LOGIN,
  LogoutDocument as LOGOUT,
  MeDocument as ME,
  RevokeApiKeyDocument as REVOKE_API_KEY,
  RevokeSessionDocument as REVOKE_SESSION,
  SessionsDocument as SESSIONS,
  SetMfaPolicyStatusDocument as SET_MFA_POLICY_STATUS,
  SignUpDocument as SIGN_UP,
} from '../generated/graphql.js';
import { TEST_PASSWORD, logIn, signUpAndLogIn } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import { userWithTotp } from '../support/attacker.js';
import { TestClock, mfaToken, signInWithTotp } from '../support/mfa.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const MINUTE_MS = 60_000;
const IDLE_MINUTES = 30;
const AUTH_HEADERS = ['x-auth-user-id', 'x-auth-username', 'x-auth-role', 'x-auth-mfa', 'x-auth-credential'];

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

/** GET /auth/check as a proxy sends it: the client's headers, nothing else. */
describe('GET /auth/check (forward auth)', () => {
  const clock = new TestClock();
  let app: TestApp;
  let root: MfaAdmin;

  before(async () => {
    app = await startTestApp({ ...ADMIN_ENV, SESSION_IDLE_MINUTES: String(IDLE_MINUTES) }, { clock: clock.now });
    root = await adminWithMfa(app, clock);
  });
  after(() => app?.stop());

  const check = async (headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> => {
    const response = await fetch(`${app.url}/auth/check`, { method, headers });
    return { status: response.status, headers: response.headers, body: await response.text() };
  };
  const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });

  function assertAdmitted(answer: Answer, expected: Record<string, string>): void {
    assert.equal(answer.status, 200, JSON.stringify(Object.fromEntries(answer.headers)));
    assert.equal(answer.body, '');
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    assert.equal(answer.headers.get('www-authenticate'), null);
    assert.deepEqual(
      Object.fromEntries(Object.keys(expected).map((name) => [name, answer.headers.get(name)])),
      expected,
    );
  }

  function assertRefused(answer: Answer, what: string): void {
    assert.equal(answer.status, 401, what);
    assert.equal(answer.headers.get('www-authenticate'), 'Bearer', what);
    assert.equal(answer.headers.get('cache-control'), 'no-store', what);
    assert.equal(answer.body, '', what);
    for (const name of AUTH_HEADERS) assert.equal(answer.headers.get(name), null, `${what}: no ${name}`);
  }

  const createApiKey = async (token: string, name = 'proxy') => {
    const created = await app.graphql(CREATE_API_KEY, { token, variables: { input: { name } } });
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    return created.data!.createApiKey;
  };
  const currentSession = async (token: string) => {
    const listed = await app.graphql(SESSIONS, { token });
    assert.equal(listed.errors, undefined, JSON.stringify(listed.errors));
    return listed.data!.sessions.find((session) => session.current)!;
  };
  /** An admin change, with a fresh second-factor proof first. */
  const asRoot = async <T, V>(operation: TypedDocumentNode<T, V>, variables: V) => {
    await root.stepUp();
    return app.graphql(operation, { token: root.token, variables });
  };

  it('admits a password-only session: who, with no second factor, as a session', async () => {
    const alice = await signUpAndLogIn(app, 'alice');
    assertAdmitted(await check(bearer(alice.token)), {
      'x-auth-user-id': alice.id,
      'x-auth-username': 'alice',
      'x-auth-role': 'USER',
      'x-auth-mfa': 'none',
      'x-auth-credential': 'session',
    });
  });

  it('admits a session signed in with a second factor: X-Auth-Mfa is when it was passed', async () => {
    const tess = await userWithTotp(app, clock, 'tess');
    const token = await signInWithTotp(app, 'tess', tess.totp, clock);
    const { mfaVerifiedAt } = await currentSession(token);
    assert.ok(mfaVerifiedAt, 'the session records its proof');
    const answer = await check(bearer(token));
    assertAdmitted(answer, {
      'x-auth-user-id': tess.id,
      'x-auth-username': 'tess',
      'x-auth-mfa': new Date(mfaVerifiedAt).toISOString(),
      'x-auth-credential': 'session',
    });
    assert.match(answer.headers.get('x-auth-mfa')!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("says ADMIN for an admin's session", async () => {
    const answer = await check(bearer(root.token));
    assertAdmitted(answer, { 'x-auth-user-id': root.id, 'x-auth-username': 'root', 'x-auth-role': 'ADMIN' });
    assert.notEqual(answer.headers.get('x-auth-mfa'), 'none', 'enrolling the factor was a proof');
  });

  it('admits an API key as Bearer, as an api-key credential with no second factor', async () => {
    const bob = await signUpAndLogIn(app, 'bob');
    const { secret } = await createApiKey(bob.token);
    assertAdmitted(await check(bearer(secret)), {
      'x-auth-user-id': bob.id,
      'x-auth-username': 'bob',
      'x-auth-role': 'USER',
      'x-auth-mfa': 'none',
      'x-auth-credential': 'api-key',
    });
    assertRefused(await check({ cookie: `mfa_session=${secret}` }), 'an API key in the session cookie');
  });

  it('admits the session cookie among other cookies; refuses it twice, or behind a bad Authorization header', async () => {
    const carol = await signUpAndLogIn(app, 'carol');
    assertAdmitted(await check({ cookie: `theme=dark; mfa_session=${carol.token}; lang=en` }), {
      'x-auth-user-id': carol.id,
      'x-auth-username': 'carol',
      'x-auth-credential': 'session',
    });
    assertAdmitted(await check({ cookie: `mfa_session=${carol.token}` }), { 'x-auth-user-id': carol.id });
    const other = await signUpAndLogIn(app, 'carol2');
    assertRefused(
      await check({ cookie: `mfa_session=${carol.token}; mfa_session=${other.token}` }),
      'two session cookies: which one is meant cannot be told',
    );
    assertRefused(
      await check({ authorization: 'Basic YWxpY2U6cGFzcw==', cookie: `mfa_session=${carol.token}` }),
      'a malformed Authorization header is not overruled by the cookie',
    );
    assertRefused(await check({ cookie: 'mfa_session=' }), 'an empty cookie');
    assertRefused(await check({ cookie: 'xmfa_session=' + carol.token }), 'another cookie whose name ends alike');
  });

  it('refuses no credential, a malformed header, garbage and tokens of another kind', async () => {
    const dave = await signUpAndLogIn(app, 'dave');
    const tess = await mfaToken(app, 'tess'); // an mfaToken: real, live, but not a session
    const cases: Array<[string, Record<string, string>]> = [
      ['no credential', {}],
      ['an empty Authorization header', { authorization: '' }],
      ['the scheme alone', { authorization: 'Bearer' }],
      ['the scheme and a space', { authorization: 'Bearer ' }],
      ['Basic', { authorization: `Basic ${Buffer.from('dave:' + TEST_PASSWORD).toString('base64')}` }],
      ['the token without its scheme', { authorization: dave.token }],
      ['two tokens', { authorization: `Bearer ${dave.token} ${dave.token}` }],
      ['characters no token holds', { authorization: 'Bearer mfa_at_<script>' }],
      ['a token too long to be one', { authorization: `Bearer mfa_at_${'a'.repeat(300)}` }],
      ['an unknown access token', bearer(`mfa_at_${'A'.repeat(43)}`)],
      ['an unknown API key', bearer(`mfa_ak_${'A'.repeat(43)}`)],
      [
        'a live token with one character changed',
        bearer(dave.token.slice(0, -1) + (dave.token.endsWith('A') ? 'B' : 'A')),
      ],
      ['an mfaToken (another prefix)', bearer(tess)],
      ['a live token under another prefix', bearer(dave.token.replace('mfa_at_', 'mfa_xx_'))],
      ['a cookie of the wrong name', { cookie: `session=${dave.token}` }],
    ];
    for (const [what, headers] of cases) assertRefused(await check(headers), what);
    assert.equal((await check(bearer(dave.token))).status, 200, 'the token itself still works');
  });

  it('refuses a session ended by logout or by revokeSession, and a revoked API key', async () => {
    await signUpAndLogIn(app, 'erin');
    const [leaving, revoked, staying] = [await logIn(app, 'erin'), await logIn(app, 'erin'), await logIn(app, 'erin')];
    assert.equal((await check(bearer(leaving))).status, 200);
    assert.equal((await app.graphql(LOGOUT, { token: leaving })).data?.logout, true);
    assertRefused(await check(bearer(leaving)), 'after logout');
    assertRefused(await check({ cookie: `mfa_session=${leaving}` }), 'after logout, as a cookie');

    const { id } = await currentSession(revoked);
    const revocation = await app.graphql(REVOKE_SESSION, { token: staying, variables: { input: { id } } });
    assert.equal(revocation.data?.revokeSession, true, JSON.stringify(revocation.errors));
    assertRefused(await check(bearer(revoked)), 'after revokeSession');
    assert.equal((await check(bearer(staying))).status, 200, 'the other session stands');

    const { secret, apiKey } = await createApiKey(staying);
    assert.equal((await check(bearer(secret))).status, 200);
    const keyRevocation = await app.graphql(REVOKE_API_KEY, {
      token: staying,
      variables: { input: { id: apiKey.id } },
    });
    assert.equal(keyRevocation.data?.revokeApiKey, true, JSON.stringify(keyRevocation.errors));
    assertRefused(await check(bearer(secret)), 'a revoked API key');
  });

  it('refuses the sessions and API keys of a deactivated account', async () => {
    const dora = await signUpAndLogIn(app, 'dora');
    const { secret } = await createApiKey(dora.token);
    assert.equal((await check(bearer(dora.token))).status, 200);
    assert.equal((await check(bearer(secret))).status, 200);
    const answer = await asRoot(DEACTIVATE, { input: { userId: dora.id } });
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
    assertRefused(await check(bearer(dora.token)), 'session of a deactivated account');
    assertRefused(await check({ cookie: `mfa_session=${dora.token}` }), 'cookie of a deactivated account');
    assertRefused(await check(bearer(secret)), 'API key of a deactivated account');
  });

  it('refuses an enrollment-scoped session, which may only finish enrolling a factor', async () => {
    const enid = await signUpAndLogIn(app, 'enid');
    const policy = await asRoot(SET_MFA_POLICY_STATUS, { input: { userId: enid.id, status: 'ENABLED' } });
    assert.equal(policy.errors, undefined, JSON.stringify(policy.errors));
    const login = (await app.graphql(LOGIN, { variables: { input: { username: 'enid', password: TEST_PASSWORD } } }))
      .data!.login;
    assert.equal(login.enrollmentRequired, true);
    const token = login.accessToken!;
    assertRefused(await check(bearer(token)), 'enrollment-scoped session');
    assertRefused(await check({ cookie: `mfa_session=${token}` }), 'enrollment-scoped session as a cookie');
    // The refusal is for its scope: the same token may still start an enrollment.
    const enabling = await app.graphql(ENABLE_MFA, { token, variables: { input: { factorType: 'totp' } } });
    assert.equal(enabling.errors, undefined, JSON.stringify(enabling.errors));
  });

  it('refuses an expired session and an expired API key', async () => {
    const fay = await signUpAndLogIn(app, 'fay');
    const { secret } = await createApiKey(fay.token);
    assert.equal((await check(bearer(fay.token))).status, 200);
    const db = app.database.connection.db!;
    // Moving a session's dates back is, to the server, its clock moving forward: the real expiry check runs. Written
    // through the app's models, as the service's own changes are, so the credential cache hears of them.
    const models = app.database.connection;
    const session = (await db.collection('sessions').findOne({ tokenHash: hashToken(fay.token) }))!;
    const shift = (IDLE_MINUTES + 1) * MINUTE_MS;
    await models.model('Session').updateOne(
      { _id: session._id },
      {
        $set: Object.fromEntries(
          ['createdAt', 'lastUsedAt', 'absoluteExpiresAt', 'expiresAt'].map((field) => [
            field,
            new Date((session[field] as Date).getTime() - shift),
          ]),
        ),
      },
    );
    assertRefused(await check(bearer(fay.token)), 'a session idle past its deadline');
    assert.equal((await check(bearer(secret))).status, 200, 'the key outlives the session');
    await models
      .model('ApiKey')
      .updateOne({ secretHash: hashToken(secret) }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    assertRefused(await check(bearer(secret)), 'an API key past its expiry');
  });

  it('ignores X-Auth-* headers the client sends: they neither admit nor change who is answered', async () => {
    const gus = await signUpAndLogIn(app, 'gus');
    const forged = {
      'x-auth-user-id': root.id,
      'x-auth-username': 'root',
      'x-auth-role': 'ADMIN',
      'x-auth-mfa': new Date().toISOString(),
      'x-auth-credential': 'session',
    };
    assertRefused(await check(forged), 'forged headers alone');
    assertAdmitted(await check({ ...forged, ...bearer(gus.token) }), {
      'x-auth-user-id': gus.id,
      'x-auth-username': 'gus',
      'x-auth-role': 'USER',
      'x-auth-mfa': 'none',
      'x-auth-credential': 'session',
    });
  });

  it('sends any valid username, percent-encoded: non-ASCII letters and "@" arrive as UTF-8 escapes', async () => {
    for (const [username, sent] of [
      ['Zoë', 'Zo%C3%AB'],
      ['たなか太郎', '%E3%81%9F%E3%81%AA%E3%81%8B%E5%A4%AA%E9%83%8E'],
      ['ops@example', 'ops%40example'],
      ['a.b_c-d9', 'a.b_c-d9'],
    ] as const) {
      const signUp = await app.graphql(SIGN_UP, { variables: { input: { username, password: TEST_PASSWORD } } });
      assert.equal(signUp.errors, undefined, `${username}: ${JSON.stringify(signUp.errors)}`);
      const token = await logIn(app, username);
      const answer = await check(bearer(token));
      assertAdmitted(answer, { 'x-auth-user-id': signUp.data!.signUp.id, 'x-auth-username': sent });
      assert.equal(decodeURIComponent(answer.headers.get('x-auth-username')!), username);
    }
    const me = await app.graphql(ME, { token: await logIn(app, 'Zoë') });
    assert.equal(me.data?.me?.username, 'Zoë', 'the header carries the stored name, as GraphQL shows it');
  });

  it('answers HEAD like GET, without a body', async () => {
    const hal = await signUpAndLogIn(app, 'hal');
    assertAdmitted(await check(bearer(hal.token), 'HEAD'), {
      'x-auth-user-id': hal.id,
      'x-auth-username': 'hal',
      'x-auth-credential': 'session',
    });
    assertRefused(await check({}, 'HEAD'), 'HEAD with no credential');
  });

  it('agrees with GraphQL: Bearer works, and so does the session cookie (test/api/cookie-sessions.test.ts)', async () => {
    const ida = await signUpAndLogIn(app, 'ida');
    assert.equal((await app.graphql(ME, { token: ida.token })).data?.me?.username, 'ida');
    const byCookie = await app.graphql(ME, { headers: { cookie: `mfa_session=${ida.token}` } });
    assert.equal(byCookie.data?.me?.username, 'ida', JSON.stringify(byCookie));
    const malformed = await app.graphql(ME, { headers: { authorization: 'Basic x' } });
    assert.equal(malformed.status, 401);
  });
});
