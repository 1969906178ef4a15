import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { signUpAndLogIn } from '../support/accounts.js';
import { enrollEmail, nextMail, CODE_SUBJECT } from '../support/email.js';
import { sharedRedisUrl } from '../support/processes.js';
import { keysUnder } from '../support/redis-keys.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// `npm test` while `npm start` ran on the same Redis once failed 11 tests: both used the key prefix "mfa",
// the dev server's mail worker took the tests' jobs, and each test app flushed the whole database.
describe('test runs beside a dev server on one Redis', () => {
  let redis: Redis;
  let sinks: SmtpSink[];
  let apps: TestApp[];
  const sentinels = [`mfa:sentinel-${randomBytes(4).toString('hex')}`, `another-run:${randomBytes(4).toString('hex')}`];

  before(async () => {
    redis = new Redis(sharedRedisUrl);
    for (const key of sentinels) await redis.set(key, 'not the tests’');
    sinks = [await startSmtpSink(), await startSmtpSink()];
    // Two apps with inline mail workers: each stands for the other's "dev server".
    apps = await Promise.all(sinks.map((sink) => startTestApp({ SMTP_URL: `smtp://127.0.0.1:${sink.port}` })));
  });
  after(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await Promise.all(sinks.map((sink) => sink.stop()));
    await redis.del(...sentinels);
    redis.disconnect();
  });

  it('gives each app its own key prefix, never the default one', () => {
    const prefixes = apps.map((app) => app.services.config.redisKeyPrefix);
    assert.notEqual(prefixes[0], prefixes[1]);
    for (const prefix of prefixes) assert.notEqual(prefix, 'mfa');
  });

  it("delivers each app's mail through its own worker only", async () => {
    for (const [index, app] of apps.entries()) {
      const username = `shared${index}${randomBytes(3).toString('hex')}`;
      const { token } = await signUpAndLogIn(app, username);
      await enrollEmail(app, sinks[index], token, `${username}@example.com`);
      await nextMail(sinks[index], `${username}@example.com`, CODE_SUBJECT, 0);
      assert.equal(
        sinks[1 - index].mails.filter((mail) => mail.envelopeTo.includes(`${username}@example.com`)).length,
        0,
        'the other worker took none of its jobs',
      );
    }
  });

  it('deletes its own keys when it stops, and no one else’s', async () => {
    const app = await startTestApp();
    await signUpAndLogIn(app, `keys${randomBytes(3).toString('hex')}`);
    await app.graphql('mutation { login(input: {username: "nobody", password: "wrong password"}) { mfaRequired } }');
    const prefix = app.services.config.redisKeyPrefix;
    assert.ok((await keysUnder(redis, prefix)).length > 0, 'the throttle wrote under the app prefix');
    await app.stop();
    assert.deepEqual(await keysUnder(redis, prefix), []);
    for (const key of sentinels) assert.equal(await redis.get(key), 'not the tests’', key);
    assert.ok(
      (await keysUnder(redis, apps[0].services.config.redisKeyPrefix)).length > 0,
      'a running app keeps its keys',
    );
  });
});
