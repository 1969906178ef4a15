import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Types } from 'mongoose';
import {
  ApiKeysDocument as API_KEYS,
  AuditEventsDocument as AUDIT_EVENTS,
  CreateApiKeyDocument as CREATE_API_KEY,
  LoginDocument as LOGIN,
  LogoutDocument as LOGOUT,
  MeDocument as ME,
  UserDocument as USER,
  UsersDocument as USERS,
} from '../generated/graphql.js';
import { SessionScope } from '../../src/sessions/session.model.js';
import { signUpAndLogIn } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa } from '../support/admin.js';
import { TestClock } from '../support/mfa.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

describe('admin queries, audit events and who may call what', () => {
  const clock = new TestClock();
  let app: TestApp;
  let admin: string;
  let user: { id: string; token: string };
  before(async () => {
    app = await startTestApp(ADMIN_ENV, { clock: clock.now });
    // Admin reads need an admin who passed MFA in the session (the bootstrap admin enrolls at its first sign-in).
    admin = (await adminWithMfa(app, clock)).token;
    user = await signUpAndLogIn(app, 'gina');
    for (const name of ['hal', 'ida', 'jon', 'kim']) await signUpAndLogIn(app, name);
    // setMfaPolicyStatus belongs to the MFA core; here one user is switched in the database to test the filter.
    await app.database.connection
      .db!.collection('users')
      .updateOne({ usernameKey: 'jon' }, { $set: { mfaPolicyStatus: 'ENABLED' } });
  });
  after(() => app.stop());

  it('pages through users with opaque cursors, each user once', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await app.graphql(USERS, { token: admin, variables: { first: 2, after } });
      assert.equal(errorCode(page), undefined);
      seen.push(...page.data!.users.edges.map((edge) => edge.node.username));
      if (!page.data!.users.pageInfo.hasNextPage) break;
      after = page.data!.users.pageInfo.endCursor!;
    }
    assert.deepEqual(seen, ['root', 'gina', 'hal', 'ida', 'jon', 'kim']);
  });

  it('filters users by mfaPolicyStatus', async () => {
    const enabled = await app.graphql(USERS, { token: admin, variables: { mfaPolicyStatus: 'ENABLED' } });
    assert.deepEqual(
      enabled.data!.users.edges.map((edge) => edge.node.username),
      ['root', 'jon'],
      "an admin's MFA is always ENABLED",
    );
  });

  it('reads one user by id, null for an unknown id', async () => {
    assert.equal((await app.graphql(USER, { token: admin, variables: { id: user.id } })).data?.user?.username, 'gina');
    assert.equal(
      (await app.graphql(USER, { token: admin, variables: { id: new Types.ObjectId().toHexString() } })).data?.user,
      null,
    );
  });

  it('refuses bad ids, cursors and page sizes with BAD_USER_INPUT', async () => {
    for (const variables of [{ first: 0 }, { first: 101 }, { after: 'not-a-cursor' }, { after: 'x'.repeat(5000) }]) {
      assert.equal(
        errorCode(await app.graphql(USERS, { token: admin, variables })),
        'BAD_USER_INPUT',
        JSON.stringify(variables).slice(0, 40),
      );
    }
    assert.equal(
      errorCode(await app.graphql(USER, { token: admin, variables: { id: '{"$ne":null}' } })),
      'BAD_USER_INPUT',
    );
  });

  it("keeps user queries to admins in a session that passed MFA: anonymous, a user, their API key and an admin's API key are refused", async () => {
    assert.equal(errorCode(await app.graphql(USERS, {})), 'UNAUTHENTICATED');
    assert.equal(errorCode(await app.graphql(USERS, { token: user.token })), 'FORBIDDEN');
    assert.equal(errorCode(await app.graphql(USER, { token: user.token, variables: { id: user.id } })), 'FORBIDDEN');
    const userKey = (await app.graphql(CREATE_API_KEY, { token: user.token, variables: { input: { name: 'k' } } }))
      .data!.createApiKey.secret;
    assert.equal(errorCode(await app.graphql(USERS, { token: userKey })), 'FORBIDDEN');
    const adminKey = (await app.graphql(CREATE_API_KEY, { token: admin, variables: { input: { name: 'k' } } })).data!
      .createApiKey.secret;
    assert.equal(
      errorCode(await app.graphql(USERS, { token: adminKey, variables: { first: 1 } })),
      'FORBIDDEN',
      'admin work needs an interactive session that passed MFA',
    );
    assert.equal((await app.graphql(USERS, { token: admin, variables: { first: 1 } })).data?.users.edges.length, 1);
  });

  it("shows users their own audit trail only, and admins anyone's", async () => {
    await app.graphql(LOGIN, { variables: { input: { username: 'gina', password: 'wrong password!' } } });
    const own = await app.graphql(AUDIT_EVENTS, { token: user.token, variables: { first: 50 } });
    const types = own.data!.auditEvents.edges.map((edge) => edge.node.type);
    assert.ok(
      types.includes('sign_in.failed') && types.includes('sign_in.succeeded') && types.includes('account.signed_up'),
    );
    assert.ok(own.data!.auditEvents.edges.every((edge) => edge.node.userId === user.id));
    assert.ok(!JSON.stringify(own).includes('wrong password!'));

    const rootId = (await app.graphql(ME, { token: admin })).data!.me!.id;
    assert.equal(
      errorCode(await app.graphql(AUDIT_EVENTS, { token: user.token, variables: { userId: rootId } })),
      'FORBIDDEN',
    );
    const byAdmin = await app.graphql(AUDIT_EVENTS, { token: admin, variables: { userId: user.id, first: 50 } });
    assert.equal(
      byAdmin.data!.auditEvents.edges.length,
      own.data!.auditEvents.edges.length,
      'an admin sees the same trail',
    );
    const everyone = await app.graphql(AUDIT_EVENTS, { token: admin, variables: { first: 100 } });
    assert.ok(new Set(everyone.data!.auditEvents.edges.map((edge) => edge.node.userId)).size > 2);
  });

  it('lets an enrollment-scoped session read me and sign out, nothing else', async () => {
    const { accessToken } = await app.services.sessions.issue(new Types.ObjectId(user.id), SessionScope.ENROLLMENT, {
      method: 'password',
      credentialsVersion: 0,
    });
    assert.equal((await app.graphql(ME, { token: accessToken })).data?.me?.username, 'gina');
    for (const denied of [
      await app.graphql(API_KEYS, { token: accessToken }),
      await app.graphql(AUDIT_EVENTS, { token: accessToken }),
      await app.graphql(CREATE_API_KEY, { token: accessToken, variables: { input: { name: 'sneaky' } } }),
    ]) {
      assert.equal(errorCode(denied), 'FORBIDDEN');
    }
    assert.equal((await app.graphql(LOGOUT, { token: accessToken })).data?.logout, true);
    assert.equal(errorCode(await app.graphql(ME, { token: accessToken })), 'UNAUTHENTICATED');
  });
});
