import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { hashToken } from '../../src/crypto/opaque-token.js';
import {
  ChangePasswordDocument as CHANGE_PASSWORD,
  CreateApiKeyDocument as CREATE_API_KEY,
  DeactivateUserDocument as DEACTIVATE_USER,
  DeleteUserDocument as DELETE_USER,
  DisableMfaDocument as DISABLE_MFA,
  LogoutDocument as LOGOUT,
  RegenerateRecoveryCodesDocument as REGENERATE_RECOVERY_CODES,
  RequireUserPasswordResetDocument as REQUIRE_PASSWORD_RESET,
  RevokeApiKeyDocument as REVOKE_API_KEY,
  RevokeOtherSessionsDocument as REVOKE_OTHER_SESSIONS,
  RevokeSessionDocument as REVOKE_SESSION,
  RevokeUserSessionsDocument as REVOKE_USER_SESSIONS,
  SetMfaPolicyStatusDocument as SET_MFA_POLICY_STATUS,
  SetUserRoleDocument as SET_USER_ROLE,
  StepUpDocument as STEP_UP,
} from '../generated/graphql.js';
import { TEST_PASSWORD, logIn, signUpAndLogIn } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import { userWithTotp } from '../support/attacker.js';
import { TestClock, totpCode, wrongTotpCode } from '../support/mfa.js';
import { startSharedDatabase, type SharedDatabase } from '../support/mongo-under-test.js';
import {
  childEnv,
  exited,
  freePort,
  sharedRedisUrl,
  startRedisServer,
  startService,
  type ServiceProcess,
} from '../support/processes.js';
import { commandsOf } from '../support/round-trips.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

/** What a session check needs and nothing more: answered from the cache, it reads no database. */
const WHO = 'query { me { id username role mfaPolicyStatus } }';
type Who = { id: string; username: string; role: string; mfaPolicyStatus: string };

/** How long an invalidation may take to travel through Redis to another server before a test gives up. */
const DELIVERY_DEADLINE_MS = 3000;

async function who(app: TestApp, token: string): Promise<Who | undefined> {
  const response = await app.graphql<{ me: Who | null }>(WHO, { token });
  if (response.status === 401) return undefined;
  assert.equal(response.errors, undefined, JSON.stringify(response.errors));
  return response.data!.me!;
}

/** Polls `check` until it holds; fails after DELIVERY_DEADLINE_MS. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + DELIVERY_DEADLINE_MS;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`not within ${DELIVERY_DEADLINE_MS} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const refusedOn = (app: TestApp, token: string, what: string) =>
  eventually(async () => (await who(app, token)) === undefined, what);

async function cacheInUse(app: TestApp): Promise<void> {
  await eventually(async () => app.services.credentialCache.enabled, 'the cache is subscribed to invalidations');
}

/**
 * Makes `token` warm on `server` and proves it: the second check reads nothing from the database (counted through
 * `counter`, an app on the same database: serverStatus counts every client's commands).
 */
async function warm(server: TestApp, token: string, counter: TestApp = server): Promise<Who> {
  const first = await who(server, token);
  assert.ok(first, 'the credential works');
  let second: Who | undefined;
  const made = await commandsOf(counter, async () => (second = await who(server, token)));
  assert.deepEqual(made, {}, 'a warm session check makes no database round trip');
  assert.deepEqual(second, first);
  return first;
}

const ok = <T>(response: { data?: T | null; errors?: unknown[] }): T => {
  assert.equal(response.errors, undefined, JSON.stringify(response.errors));
  return response.data!;
};

/** Two servers on one database and one Redis, as in production: each has its own cache. */
describe('the credential cache across servers: every change on one is seen by the other', () => {
  const clock = new TestClock();
  let database: SharedDatabase;
  let one: TestApp;
  let two: TestApp;
  let admin: MfaAdmin;
  const sessionIdOf = async (token: string) =>
    (await one.database.connection
      .db!.collection('sessions')
      .findOne({ tokenHash: hashToken(token) }))!._id.toHexString();

  before(async () => {
    database = await startSharedDatabase();
    const env = {
      ...ADMIN_ENV,
      MONGODB_URI: database.uri,
      MFA_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      REDIS_KEY_PREFIX: `test-cache-${randomBytes(4).toString('hex')}`,
    };
    one = await startTestApp(env, { clock: clock.now });
    two = await startTestApp(env, { clock: clock.now });
    await Promise.all([cacheInUse(one), cacheInUse(two)]);
    admin = await adminWithMfa(one, clock);
  });
  after(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
    await database?.close();
  });

  it('a warm session check and a warm API key read no database, on either server', async () => {
    const { token } = await signUpAndLogIn(one, 'warm');
    const key = ok(await one.graphql(CREATE_API_KEY, { token, variables: { input: { name: 'script' } } })).createApiKey
      .secret;
    for (const server of [one, two]) for (const credential of [token, key]) await warm(server, credential, one);
  });

  it('logout', async () => {
    const { token } = await signUpAndLogIn(one, 'leaver');
    await warm(two, token, one);
    await warm(one, token);
    ok(await one.graphql(LOGOUT, { token }));
    assert.equal(await who(one, token), undefined, 'refused at once on the server that ended it');
    await refusedOn(two, token, 'the other server refuses the ended session');
  });

  it('revokeSession and revokeOtherSessions', async () => {
    const { token: kept } = await signUpAndLogIn(one, 'pruner');
    const [phone, laptop] = [await logIn(one, 'pruner'), await logIn(one, 'pruner')];
    for (const token of [kept, phone, laptop]) await warm(two, token, one);
    ok(await one.graphql(REVOKE_SESSION, { token: kept, variables: { input: { id: await sessionIdOf(phone) } } }));
    await refusedOn(two, phone, 'the revoked session');
    ok(await one.graphql(REVOKE_OTHER_SESSIONS, { token: kept }));
    await refusedOn(two, laptop, 'the other sessions');
    assert.ok(await who(two, kept), 'the calling session stays');
  });

  it("an admin's revokeUserSessions", async () => {
    const user = await signUpAndLogIn(one, 'revoked-by-admin');
    await warm(two, user.token, one);
    ok(await one.graphql(REVOKE_USER_SESSIONS, { token: admin.token, variables: { input: { userId: user.id } } }));
    await refusedOn(two, user.token, 'sessions an admin ended');
  });

  it('a password change ends the other sessions everywhere; the changing one goes on', async () => {
    const { token: changing } = await signUpAndLogIn(one, 'changer');
    const other = await logIn(one, 'changer');
    for (const token of [changing, other]) await warm(two, token, one);
    ok(
      await one.graphql(CHANGE_PASSWORD, {
        token: changing,
        variables: { input: { currentPassword: TEST_PASSWORD, newPassword: 'another test password 2' } },
      }),
    );
    await refusedOn(two, other, 'a session from before the change');
    assert.ok(await who(two, changing), 'the session that changed it stays, on both servers');
  });

  it('a password reset an admin demands, deactivation and deletion end sessions and keys everywhere', async () => {
    const operations: Array<[string, TypedDocumentNode<unknown, { input: { userId: string } }>]> = [
      ['reset', REQUIRE_PASSWORD_RESET],
      ['deactivated', DEACTIVATE_USER],
      ['deleted', DELETE_USER],
    ];
    for (const [name, operation] of operations) {
      const user = await signUpAndLogIn(one, name);
      const key = ok(await one.graphql(CREATE_API_KEY, { token: user.token, variables: { input: { name } } }))
        .createApiKey.secret;
      await warm(two, user.token, one);
      await warm(two, key, one);
      ok(await one.graphql(operation, { token: admin.token, variables: { input: { userId: user.id } } }));
      await refusedOn(two, user.token, `the session of a user ${name}`);
      if (name !== 'reset') await refusedOn(two, key, `the API key of a user ${name}`);
    }
  });

  it('a revoked API key', async () => {
    const { token } = await signUpAndLogIn(one, 'scripter');
    const created = ok(
      await one.graphql(CREATE_API_KEY, { token, variables: { input: { name: 'cron' } } }),
    ).createApiKey;
    await warm(two, created.secret, one);
    ok(await one.graphql(REVOKE_API_KEY, { token, variables: { input: { id: created.apiKey.id } } }));
    await refusedOn(two, created.secret, 'the revoked key');
  });

  it('a role change: the other server sees the promotion, and after the demotion refuses admin work', async () => {
    const user = await userWithTotp(one, clock, 'promoted');
    assert.equal((await warm(two, user.token, one)).role, 'USER');
    const setRole = (role: 'ADMIN' | 'USER') =>
      one.graphql(SET_USER_ROLE, { token: admin.token, variables: { input: { userId: user.id, role } } });
    ok(await setRole('ADMIN'));
    await eventually(async () => (await who(two, user.token))?.role === 'ADMIN', 'the promotion');
    await warm(two, user.token, one);
    ok(await setRole('USER'));
    await eventually(async () => (await who(two, user.token))?.role === 'USER', 'the demotion');
    assert.equal(
      errorCode(await two.graphql('query { users { edges { cursor } } }', { token: user.token })),
      'FORBIDDEN',
    );
  });

  it("an admin turning a user's MFA on ends their password-only session everywhere", async () => {
    const user = await signUpAndLogIn(one, 'must-enroll');
    await warm(two, user.token, one);
    ok(
      await one.graphql(SET_MFA_POLICY_STATUS, {
        token: admin.token,
        variables: { input: { userId: user.id, status: 'ENABLED' } },
      }),
    );
    await refusedOn(two, user.token, 'a password-only session once MFA is required');
  });

  it('removing the last factor: the other server sees MFA off', async () => {
    const user = await userWithTotp(one, clock, 'remover');
    assert.equal((await warm(two, user.token, one)).mfaPolicyStatus, 'ENABLED');
    clock.nextStep();
    ok(
      await one.graphql(DISABLE_MFA, {
        token: user.token,
        variables: { input: { password: TEST_PASSWORD, code: totpCode(user.totp.secret, clock) } },
      }),
    );
    await eventually(async () => (await who(two, user.token))?.mfaPolicyStatus === 'DISABLED', 'MFA turned off');
  });

  it('a lockout on one server holds on the other, whatever it holds in its cache', async () => {
    const user = await userWithTotp(one, clock, 'locked');
    clock.nextStep();
    await warm(two, user.token, one);
    const stepUp = (server: TestApp, code: string) =>
      server.graphql(STEP_UP, { token: user.token, variables: { input: { code } } });
    for (let attempt = 0; attempt < 5; attempt++)
      assert.equal(errorCode(await stepUp(one, wrongTotpCode(user.totp.secret, clock))), 'INVALID_CODE');
    assert.equal(errorCode(await stepUp(two, totpCode(user.totp.secret, clock))), 'TOO_MANY_ATTEMPTS');
  });

  it('a step-up on one server widens the session on the other', async () => {
    const user = await userWithTotp(one, clock, 'stepper');
    clock.advance(6 * 60_000); // the proof acceptMfa gave is no longer recent
    clock.nextStep();
    await warm(two, user.token, one);
    const regenerate = () => two.graphql(REGENERATE_RECOVERY_CODES, { token: user.token, variables: { input: {} } });
    assert.equal(errorCode(await regenerate()), 'STEP_UP_REQUIRED');
    ok(
      await one.graphql(STEP_UP, {
        token: user.token,
        variables: { input: { code: totpCode(user.totp.secret, clock) } },
      }),
    );
    await eventually(async () => errorCode(await regenerate()) === undefined, 'the fresh proof on the other server');
  });
});

/** The same through two operating-system processes: `npm start`'s entry point beside a test app. */
describe('the credential cache across processes', () => {
  let database: SharedDatabase;
  let app: TestApp;
  let service: ServiceProcess | undefined;

  before(async () => {
    database = await startSharedDatabase();
    const env = {
      MONGODB_URI: database.uri,
      MFA_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      REDIS_KEY_PREFIX: `test-cache-${randomBytes(4).toString('hex')}`,
    };
    app = await startTestApp(env);
    service = await startService(childEnv({ ...env, REDIS_URL: sharedRedisUrl, PORT: '0', LOG_LEVEL: 'info' }));
  });
  after(async () => {
    service?.child.kill('SIGTERM');
    if (service) await exited(service.child, 15_000);
    await app?.stop();
    await database?.close();
  });

  it('a logout in this process is refused by the other one', async () => {
    const graphqlUrl = service!.graphqlUrl;
    const whoThere = async (token: string) => {
      const response = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: WHO }),
      });
      return response.status;
    };
    const { token } = await signUpAndLogIn(app, 'two-processes');
    await eventually(async () => (await whoThere(token)) === 200, 'the other process accepts the session');
    const made = await commandsOf(app, () => whoThere(token));
    assert.deepEqual(made, {}, 'warm in the other process: no database round trip');
    ok(await app.graphql(LOGOUT, { token }));
    await eventually(async () => (await whoThere(token)) === 401, 'the other process refuses the ended session');
  });
});

describe('the credential cache without Redis, and when a message is lost', () => {
  it('with its invalidation channel down the cache is not used, and it is used again, empty, once back', async () => {
    const port = await freePort();
    let redis: ChildProcess = await startRedisServer(port);
    const app = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${port}` });
    try {
      await cacheInUse(app);
      const { token } = await signUpAndLogIn(app, 'offline');
      const other = await logIn(app, 'offline'); // signing in takes Redis (its throttle): before it goes
      await warm(app, token);
      redis.kill('SIGKILL');
      await exited(redis, 5000);
      await eventually(async () => !app.services.credentialCache.enabled, 'the cache is off once Redis is gone');
      // A change no server could announce (written behind the service's back): the database says it at once.
      await app.database.connection
        .db!.collection('sessions')
        .updateOne({ tokenHash: hashToken(token) }, { $set: { revokedAt: new Date() } });
      assert.equal(await who(app, token), undefined, 'read from the database, not from the cache');
      const made = await commandsOf(app, () => who(app, other));
      assert.ok((made.aggregate ?? 0) >= 1, 'without the channel every check reads the database');
      redis = await startRedisServer(port);
      await cacheInUse(app);
      await warm(app, other);
    } finally {
      await app.stop();
      redis.kill('SIGKILL');
    }
  });

  it('an invalidation that never arrives keeps a revoked session at most AUTH_CACHE_MAX_AGE_MS', async () => {
    const app = await startTestApp({ AUTH_CACHE_MAX_AGE_MS: '1500' });
    try {
      await cacheInUse(app);
      const { token } = await signUpAndLogIn(app, 'stale');
      await warm(app, token);
      await app.database.connection
        .db!.collection('sessions')
        .updateOne({ tokenHash: hashToken(token) }, { $set: { revokedAt: new Date() } });
      assert.ok(await who(app, token), 'the cache answers for the entry it holds: no message said otherwise');
      await refusedOn(app, token, 'refused once the entry is older than the bound');
    } finally {
      await app.stop();
    }
  });
});
