import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { MailQueueDocument as MAIL_QUEUE } from '../generated/graphql.js';
import { ADMIN_ENV, adminWithMfa } from '../support/admin.js';
import { TestClock } from '../support/mfa.js';
import { exited, freePort, startRedisServer } from '../support/processes.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

/** Only so that a hung request fails the test instead of stalling it. */
const ANSWER_GUARD_MS = 10_000;

// The admin console's mail queue with Redis gone: a clear SERVICE_UNAVAILABLE at once, not a hang or a crash.
describe('mailQueue while Redis is down', () => {
  const clock = new TestClock();
  let redis: ChildProcess;
  let app: TestApp;
  let admin: string;

  before(async () => {
    const port = await freePort();
    redis = await startRedisServer(port);
    app = await startTestApp({ ...ADMIN_ENV, REDIS_URL: `redis://127.0.0.1:${port}` }, { clock: clock.now });
    admin = (await adminWithMfa(app, clock)).token;
  });

  after(async () => {
    await app?.stop();
    redis?.kill('SIGKILL');
  });

  it('reads the counts while Redis is up, and answers SERVICE_UNAVAILABLE promptly once it is killed', async () => {
    const up = await app.graphql(MAIL_QUEUE, { token: admin });
    assert.equal(up.data?.mailQueue.failed, 0, JSON.stringify(up.errors));
    redis.kill('SIGKILL');
    await exited(redis, 5000);
    let timer: NodeJS.Timeout | undefined;
    const down = await Promise.race([
      app.graphql(MAIL_QUEUE, { token: admin }),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no answer')), ANSWER_GUARD_MS))),
    ]).finally(() => clearTimeout(timer));
    assert.equal(errorCode(down), 'SERVICE_UNAVAILABLE', JSON.stringify(down.errors));
    assert.ok(!JSON.stringify(down).includes('ECONNREFUSED'), 'the answer names no connection detail');
  });
});
