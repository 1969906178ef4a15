import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { Types } from 'mongoose';
import { ConfigError } from '../../src/config/config.js';
import { VerifyMfaDocument as VERIFY_MFA } from '../generated/graphql.js';
import { failuresOf, tally, userWithTotp, type MfaUser } from '../support/attacker.js';
import { startSharedDatabase, type SharedDatabase } from '../support/mongo-under-test.js';
import { TestClock, mfaToken, signInWithTotp, totpCode } from '../support/mfa.js';
import { childEnv, compiled, runNode, sharedRedisUrl } from '../support/processes.js';
import { deleteKeys } from '../support/redis-keys.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

const key = (kid: string) => `${kid}:${randomBytes(32).toString('base64')}`;

// An operator's mistake (a server started without the keys the others use) must not look like wrong codes and lock users out.
describe('a second server on the same database without the same MFA_ENCRYPTION_KEYS', () => {
  const clock = new TestClock();
  const K1 = key('k1');
  let database: SharedDatabase;
  let first: TestApp;
  let user: MfaUser;
  const startSecond = (keys: string) =>
    startTestApp({ MONGODB_URI: database.uri, MFA_ENCRYPTION_KEYS: keys }, { clock: clock.now });

  before(async () => {
    database = await startSharedDatabase();
    first = await startTestApp({ MONGODB_URI: database.uri, MFA_ENCRYPTION_KEYS: K1 }, { clock: clock.now });
    user = await userWithTotp(first, clock, 'ursula');
  });
  after(async () => {
    await first?.stop();
    await database?.close();
  });

  it('refuses to start, naming the key id it lacks', async () => {
    await assert.rejects(startSecond(key('k2')), (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(
        error.message,
        /^MFA_ENCRYPTION_KEYS has no key with kid "k1" \(1 factor\(s\)\), which stored factor secrets are sealed under/,
      );
      assert.ok(!error.message.includes(K1.slice(3)), 'no key material in the message');
      return true;
    });
  });

  it('refuses to start with another key under the same key id, which the canary sealed by the first server shows', async () => {
    await assert.rejects(
      startSecond(key('k1')),
      /MFA_ENCRYPTION_KEYS: the key with kid "k1" is not the key this database's secrets were sealed with/,
    );
  });

  it('makes `npm start` exit 78 (EX_CONFIG) with that message', async () => {
    const redisKeyPrefix = `test-${process.pid}-${randomBytes(4).toString('hex')}`;
    const run = await runNode(compiled('main.js'), [], {
      env: childEnv({
        PORT: '0',
        MONGODB_URI: database.uri,
        MFA_ENCRYPTION_KEYS: key('k2'),
        REDIS_URL: sharedRedisUrl,
        REDIS_KEY_PREFIX: redisKeyPrefix,
        LOG_LEVEL: 'info',
      }),
    });
    const redis = new Redis(sharedRedisUrl);
    await deleteKeys(redis, redisKeyPrefix); // what its mail worker made before the check
    redis.disconnect();
    assert.equal(run.code, 78, run.stdout + run.stderr);
    assert.match(run.stdout, /configuration error: MFA_ENCRYPTION_KEYS has no key with kid \\"k1\\"/);
  });

  it('starts with the same keys (a new one first, as when rotating), and signs the user in', async () => {
    const second = await startSecond(`${key('k2')},${K1}`);
    try {
      await signInWithTotp(second, user.username, user.totp, clock);
    } finally {
      await second.stop();
    }
  });
});

describe('a factor sealed under a key the running server lacks', () => {
  const clock = new TestClock();
  let app: TestApp;
  let user: MfaUser;
  const factors = () => app.database.connection.db!.collection('factors');
  const sealUnder = (kid: string) =>
    factors().updateOne({ _id: new Types.ObjectId(user.totp.factorId) }, { $set: { 'secret.kid': kid } });
  const verify = async (code: string) =>
    app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: await mfaToken(app, user.username), factorId: user.totp.factorId, code } },
    });

  before(async () => {
    app = await startTestApp({ MFA_ENCRYPTION_KEYS: key('k1') }, { clock: clock.now });
    user = await userWithTotp(app, clock, 'victor');
    await sealUnder('removed'); // as if its key had been taken out of MFA_ENCRYPTION_KEYS
  });
  after(() => app?.stop());

  it('answers SERVICE_UNAVAILABLE to the right code, counts no attempt, and logs the key id once a try', async () => {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const answer = await verify(totpCode(user.totp.secret, clock));
      assert.equal(answer.data, null);
      assert.equal(errorCode(answer), 'SERVICE_UNAVAILABLE', JSON.stringify(answer.errors));
      assert.doesNotMatch(JSON.stringify(answer), /removed|kid|SecretBox/, 'the client learns nothing about keys');
    }
    assert.equal(await failuresOf(app, user.id), 0, 'ten tries, no failure counted');
    const lines = app.logLines.filter((line) => line.includes('cannot open a factor secret'));
    assert.equal(lines.length, 10);
    assert.match(lines[0], /"kid":"removed".*No encryption key with kid \\"removed\\" is configured/);
    assert.ok(!app.logLines.join('').includes(user.totp.secret), 'never the secret');
  });

  it('gives every reservation back when the tries arrive in parallel', async () => {
    const tokens = await Promise.all(Array.from({ length: 8 }, () => mfaToken(app, user.username)));
    const code = totpCode(user.totp.secret, clock);
    const answers = await Promise.all(
      tokens.map((mfa) =>
        app.graphql(VERIFY_MFA, { variables: { input: { mfaToken: mfa, factorId: user.totp.factorId, code } } }),
      ),
    );
    const codes = tally(answers);
    assert.ok(
      codes.SERVICE_UNAVAILABLE >= 1 &&
        Object.keys(codes).every((code) => ['SERVICE_UNAVAILABLE', 'TOO_MANY_ATTEMPTS'].includes(code)),
      JSON.stringify(codes),
    );
    assert.equal(await failuresOf(app, user.id), 0);
  });

  it('leaves the user able to sign in once the key is back', async () => {
    await sealUnder('k1');
    await signInWithTotp(app, user.username, user.totp, clock);
  });
});
