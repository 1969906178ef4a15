import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

import {
  LoginDocument as LOGIN,
  LogoutDocument as LOGOUT,
  MeDocument as ME,
  SignUpDocument as SIGN_UP,
} from '../generated/graphql.js';

describe('accounts over HTTP', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'admin password 1' });
  });
  after(() => app.stop());

  it('signs up, signs in case-insensitively, reads me, signs out', async () => {
    const signUp = await app.graphql(SIGN_UP, {
      variables: { input: { username: 'Alice', password: 'correct horse battery', email: 'alice@example.com' } },
    });
    assert.deepEqual(signUp.errors, undefined);
    assert.equal(signUp.data?.signUp.role, 'USER');
    assert.equal(signUp.data?.signUp.mfaPolicyStatus, 'DISABLED');

    const login = await app.graphql(LOGIN, {
      variables: { input: { username: 'alice', password: 'correct horse battery' } },
    });
    const token = login.data!.login.accessToken!;
    assert.match(token, /^mfa_at_[A-Za-z0-9_-]{43}$/, '256-bit token behind its prefix');
    assert.equal(login.data!.login.mfaRequired, false);

    const me = await app.graphql(ME, { token });
    assert.equal(me.data?.me?.username, 'Alice');

    assert.equal((await app.graphql(LOGOUT, { token })).data?.logout, true);
    const afterLogout = await app.graphql(ME, { token });
    assert.equal(afterLogout.status, 401);
    assert.equal(errorCode(afterLogout), 'UNAUTHENTICATED');
  });

  it('stores only a hash of the access token', async () => {
    const login = await app.graphql(LOGIN, {
      variables: { input: { username: 'root', password: 'admin password 1' } },
    });
    const token = login.data!.login.accessToken!;
    const stored = await app.database.connection.db!.collection('sessions').find().toArray();
    assert.ok(stored.length > 0);
    assert.ok(stored.every((session) => !JSON.stringify(session).includes(token.slice(7))));
  });

  it('answers an unknown user and a wrong password alike', async () => {
    const unknown = await app.graphql(LOGIN, {
      variables: { input: { username: 'nobody', password: 'whatever pass' } },
    });
    const wrong = await app.graphql(LOGIN, { variables: { input: { username: 'alice', password: 'wrong password' } } });
    assert.equal(errorCode(unknown), 'INVALID_CREDENTIALS');
    assert.deepEqual(
      unknown.errors?.map((e) => [e.message, e.extensions]),
      wrong.errors?.map((e) => [e.message, e.extensions]),
    );
  });

  it('refuses a taken username, in any case', async () => {
    const taken = await app.graphql(SIGN_UP, {
      variables: { input: { username: 'ALICE', password: 'another password' } },
    });
    assert.equal(errorCode(taken), 'BAD_USER_INPUT');
    assert.equal(taken.errors?.[0].extensions?.field, 'username');
  });

  it('creates the bootstrap admin', async () => {
    const login = await app.graphql(LOGIN, {
      variables: { input: { username: 'root', password: 'admin password 1' } },
    });
    const me = await app.graphql(ME, { token: login.data!.login.accessToken! });
    assert.equal(me.data?.me?.role, 'ADMIN');
  });

  it('throttles password guessing per username and IP, across parallel requests', async () => {
    await app.graphql(SIGN_UP, { variables: { input: { username: 'bob', password: 'bob secret phrase 1' } } });
    const guesses = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        app.graphql(LOGIN, { variables: { input: { username: 'bob', password: `guess number ${i}` } } }),
      ),
    );
    const codes = guesses.map(errorCode);
    assert.equal(
      codes.filter((code) => code === 'INVALID_CREDENTIALS').length,
      10,
      'exactly the allowed attempts are checked',
    );
    assert.equal(codes.filter((code) => code === 'TOO_MANY_ATTEMPTS').length, 5);
    const throttled = guesses.find((response) => errorCode(response) === 'TOO_MANY_ATTEMPTS')!;
    assert.ok(Number(throttled.errors?.[0].extensions?.retryAfterSeconds) > 0);
    const correct = await app.graphql(LOGIN, {
      variables: { input: { username: 'bob', password: 'bob secret phrase 1' } },
    });
    assert.equal(errorCode(correct), 'TOO_MANY_ATTEMPTS', 'even the right password waits out the window');
  });

  it('never logs a password or a token', async () => {
    const password = 'very secret password 42';
    await app.graphql(SIGN_UP, { variables: { input: { username: 'carol', password } } });
    const login = await app.graphql(LOGIN, { variables: { input: { username: 'carol', password } } });
    await app.graphql(LOGIN, { variables: { input: { username: 'carol', password: 'wrong but secret' } } });
    const logs = app.logLines.join('\n');
    assert.ok(app.logLines.length > 0);
    for (const secret of [password, 'wrong but secret', login.data!.login.accessToken!])
      assert.ok(!logs.includes(secret), `log holds ${secret.slice(0, 4)}…`);
  });
});

describe('sign-up switched off', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ ALLOW_SIGNUP: 'false', ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'admin password 1' });
  });
  after(() => app.stop());

  it('refuses signUp with FORBIDDEN and creates nothing, while admins still sign in', async () => {
    const refused = await app.graphql(SIGN_UP, {
      variables: { input: { username: 'mallory', password: 'mallory password' } },
    });
    assert.equal(errorCode(refused), 'FORBIDDEN');
    assert.equal(await app.database.connection.db!.collection('users').countDocuments({ usernameKey: 'mallory' }), 0);
    const login = await app.graphql(LOGIN, {
      variables: { input: { username: 'root', password: 'admin password 1' } },
    });
    assert.match(login.data!.login.accessToken!, /^mfa_at_/);
  });
});
