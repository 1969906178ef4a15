import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Types } from 'mongoose';
import type { ApiKeyRecord } from '../../src/api-keys/api-key.model.js';
import { MAX_API_KEYS_PER_USER } from '../../src/api-keys/api-keys.service.js';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../src/embedded-mongo/index.js';
import { hashToken } from '../../src/crypto/opaque-token.js';
import {
  ApiKeysDocument as API_KEYS,
  CreateApiKeyDocument as CREATE_API_KEY,
  RevokeApiKeyDocument as REVOKE_API_KEY,
} from '../generated/graphql.js';
import { signUpAndLogIn } from '../support/accounts.js';
import { tally, userWithTotp, type MfaUser } from '../support/attacker.js';
import { TestClock } from '../support/mfa.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** createApiKey's limit, attacked with parallel calls through two servers on one database (as two processes would be). */
describe('at most MAX_API_KEYS_PER_USER live API keys, however many creations race', () => {
  const clock = new TestClock();
  let database: EmbeddedMongo;
  let apps: [TestApp, TestApp];
  let mona: MfaUser;
  before(async () => {
    database = await startEmbeddedMongo({ memory: true, port: 0 });
    // Two servers on one database, as in production: the same database, the same encryption keys.
    const env = {
      MONGODB_URI: `${database.uri.replace(/\/$/, '')}/api-key-limit`,
      MFA_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    };
    apps = [await startTestApp(env, { clock: clock.now }), await startTestApp(env, { clock: clock.now })];
    mona = await userWithTotp(apps[0], clock, 'mona'); // accepting the factor is the fresh proof createApiKey asks of her
  });
  after(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await database.stop();
  });

  const keys = () => apps[0].database.connection.db!.collection<Omit<ApiKeyRecord, '_id'>>('apiKeys');
  /** `count` parallel createApiKey calls, alternating between the two servers. */
  const race = (token: string, count: number) =>
    Promise.all(
      Array.from({ length: count }, (_, i) =>
        apps[i % 2].graphql(CREATE_API_KEY, { token, variables: { input: { name: `key ${i}` } } }),
      ),
    );

  it('100 parallel createApiKey calls leave exactly the limit, each in a slot of its own', async () => {
    const outcome = tally(await race(mona.token, 100));
    assert.deepEqual(outcome, { OK: MAX_API_KEYS_PER_USER, BAD_USER_INPUT: 100 - MAX_API_KEYS_PER_USER });
    const live = await keys()
      .find({ userId: new Types.ObjectId(mona.id), revokedAt: { $exists: false } })
      .toArray();
    assert.equal(live.length, MAX_API_KEYS_PER_USER);
    assert.equal(new Set(live.map((key) => key.slot)).size, MAX_API_KEYS_PER_USER);
    assert.equal((await apps[1].graphql(API_KEYS, { token: mona.token })).data?.apiKeys.length, MAX_API_KEYS_PER_USER);
  });

  it('a revocation gives its slot back: one more, and only one, of the next race gets in', async () => {
    const [newest] = (await apps[0].graphql(API_KEYS, { token: mona.token })).data!.apiKeys;
    assert.equal(
      (await apps[1].graphql(REVOKE_API_KEY, { token: mona.token, variables: { input: { id: newest.id } } })).data
        ?.revokeApiKey,
      true,
    );
    assert.deepEqual(tally(await race(mona.token, 20)), { OK: 1, BAD_USER_INPUT: 19 });
    assert.equal(
      await keys().countDocuments({ userId: new Types.ObjectId(mona.id), revokedAt: { $exists: false } }),
      MAX_API_KEYS_PER_USER,
    );
  });

  it('keys created before slots existed count against the limit too', async () => {
    const { id, token } = await signUpAndLogIn(apps[0], 'nils');
    const legacy = Array.from({ length: MAX_API_KEYS_PER_USER - 2 }, (_, i) => ({
      userId: new Types.ObjectId(id),
      name: `old ${i}`,
      secretHash: hashToken(`legacy-${id}-${i}`),
      hint: 'mfa_ak_old',
      createdAt: new Date(),
    }));
    await keys().insertMany(legacy);
    assert.deepEqual(tally(await race(token, 20)), { OK: 2, BAD_USER_INPUT: 18 });
    assert.equal(
      await keys().countDocuments({ userId: new Types.ObjectId(id), revokedAt: { $exists: false } }),
      MAX_API_KEYS_PER_USER,
    );
  });
});
