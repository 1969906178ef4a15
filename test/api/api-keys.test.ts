import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Types } from 'mongoose';
import {
  ApiKeysDocument as API_KEYS,
  AuditEventsDocument as AUDIT_EVENTS,
  CreateApiKeyDocument as CREATE_API_KEY,
  LogoutDocument as LOGOUT,
  MeDocument as ME,
  RevokeApiKeyDocument as REVOKE_API_KEY,
} from '../generated/graphql.js';
import { signUpAndLogIn } from '../support/accounts.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

describe('API keys over HTTP', () => {
  let app: TestApp;
  let dana: { id: string; token: string };
  before(async () => {
    app = await startTestApp();
    dana = await signUpAndLogIn(app, 'dana');
  });
  after(() => app.stop());

  const create = (token: string, name = 'backup script', expiresAt?: string) =>
    app.graphql(CREATE_API_KEY, { token, variables: { input: { name, expiresAt } } });

  it('creates a key shown once, stored only as a hash, that signs a script in', async () => {
    const created = await create(dana.token);
    const secret = created.data!.createApiKey.secret;
    assert.match(secret, /^mfa_ak_[A-Za-z0-9_-]{43}$/, '256 random bits behind a recognisable prefix');
    assert.equal(created.data!.createApiKey.apiKey.hint, secret.slice(0, 11));

    const me = await app.graphql(ME, { token: secret });
    assert.equal(me.data?.me?.username, 'dana');

    const listed = await app.graphql(API_KEYS, { token: dana.token });
    assert.equal(listed.data?.apiKeys.length, 1);
    assert.ok(listed.data.apiKeys[0].lastUsedAt, 'lastUsedAt recorded');
    assert.ok(!JSON.stringify(listed).includes(secret.slice(11)), 'the list never holds the key');
    const stored = await app.database.connection.db!.collection('apiKeys').find().toArray();
    assert.ok(!JSON.stringify(stored).includes(secret.slice(11)), 'the database never holds the key');
  });

  it('lets an API key do nothing with keys or sessions', async () => {
    const secret = (await create(dana.token, 'limited')).data!.createApiKey.secret;
    const { id } = (await create(dana.token, 'victim')).data!.createApiKey.apiKey;
    for (const attempt of [
      await create(secret, 'from a key'),
      await app.graphql(REVOKE_API_KEY, { token: secret, variables: { input: { id } } }),
      await app.graphql(LOGOUT, { token: secret }),
    ]) {
      assert.equal(errorCode(attempt), 'FORBIDDEN');
    }
    assert.ok(
      (await app.graphql(API_KEYS, { token: dana.token })).data!.apiKeys.some((key) => key.id === id),
      'the victim key lives on',
    );
  });

  it('revokes a key at once, and only the owner can', async () => {
    const { secret, apiKey } = (await create(dana.token, 'to revoke')).data!.createApiKey;
    const eve = await signUpAndLogIn(app, 'eve');
    const stolen = await app.graphql(REVOKE_API_KEY, { token: eve.token, variables: { input: { id: apiKey.id } } });
    assert.equal(errorCode(stolen), 'NOT_FOUND', "someone else's key looks like no key");
    assert.equal((await app.graphql(ME, { token: secret })).data?.me?.username, 'dana');

    assert.equal(
      (await app.graphql(REVOKE_API_KEY, { token: dana.token, variables: { input: { id: apiKey.id } } })).data
        ?.revokeApiKey,
      true,
    );
    const after = await app.graphql(ME, { token: secret });
    assert.equal(after.status, 401);
    assert.equal(errorCode(after), 'UNAUTHENTICATED');
    const again = await app.graphql(REVOKE_API_KEY, { token: dana.token, variables: { input: { id: apiKey.id } } });
    assert.equal(errorCode(again), 'NOT_FOUND');
  });

  it('honours expiry and refuses one in the past', async () => {
    assert.equal(
      errorCode(await create(dana.token, 'stale', new Date(Date.now() - 1000).toISOString())),
      'BAD_USER_INPUT',
    );
    const { secret, apiKey } = (await create(dana.token, 'short-lived', new Date(Date.now() + 3_600_000).toISOString()))
      .data!.createApiKey;
    assert.equal((await app.graphql(ME, { token: secret })).data?.me?.username, 'dana');
    // Through the app's model, as any change the service makes: it reaches the credential cache.
    await app.database.connection
      .model('ApiKey')
      .updateOne({ _id: new Types.ObjectId(apiKey.id) }, { $set: { expiresAt: new Date(Date.now() - 1) } });
    assert.equal(errorCode(await app.graphql(ME, { token: secret })), 'UNAUTHENTICATED');
  });

  it('takes the owner from the caller, never from input', async () => {
    const response = await app.graphql(
      `mutation { createApiKey(input: { name: "x", userId: "${dana.id}" }) { secret } }`,
      { token: dana.token },
    );
    assert.equal(errorCode(response), 'BAD_USER_INPUT');
    assert.equal(
      errorCode(await app.graphql(CREATE_API_KEY, { variables: { input: { name: 'anonymous' } } })),
      'UNAUTHENTICATED',
    );
  });

  it('refuses bad names and a key beyond the cap', async () => {
    assert.equal(errorCode(await create(dana.token, '')), 'BAD_USER_INPUT');
    assert.equal(errorCode(await create(dana.token, 'n'.repeat(101))), 'BAD_USER_INPUT');
    assert.equal(
      errorCode(await app.graphql(REVOKE_API_KEY, { token: dana.token, variables: { input: { id: 'nope' } } })),
      'BAD_USER_INPUT',
    );
    const frank = await signUpAndLogIn(app, 'frank');
    for (let i = 0; i < 25; i++) assert.equal(errorCode(await create(frank.token, `key ${i}`)), undefined);
    assert.equal(errorCode(await create(frank.token, 'one too many')), 'BAD_USER_INPUT');
  });

  it('audits key changes without the key', async () => {
    const events = await app.graphql(AUDIT_EVENTS, { token: dana.token, variables: { first: 100 } });
    const types = events.data!.auditEvents.edges.map((edge) => edge.node.type);
    assert.ok(types.includes('api_key.created'));
    assert.ok(types.includes('api_key.revoked'));
    assert.ok(!JSON.stringify(events).includes('mfa_ak_'), 'no key in the audit trail');
  });
});
