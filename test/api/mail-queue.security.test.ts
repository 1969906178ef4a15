import { Worker } from 'bullmq';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAIL_QUEUE_NAME } from '../../src/mail/mail-job.js';
import { MailQueueDocument as MAIL_QUEUE } from '../generated/graphql.js';
import { ADMIN_ENV, adminWithMfa } from '../support/admin.js';
import { TestClock } from '../support/mfa.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

// What mailQueue shows of failed jobs whose reason some other writer stored (another worker version, BullMQ itself,
// anything with the Redis password): never a token, a code or the SMTP account's name, and a huge reason neither
// stalls the server nor comes back whole.

/** Only so that a stalled server fails the test instead of hanging it. */
const ANSWER_GUARD_MS = 20_000;

describe('mailQueue: failed reasons other writers stored', () => {
  const clock = new TestClock();
  let app: TestApp;
  let admin: string;
  let worker: Worker;

  /** A job that fails for good with `reason` as its failedReason, through BullMQ's own manual processing. */
  const failJob = async (reason: string) => {
    await app.mail.queue.add('password-reset', { template: 'password-reset', scrubbed: true }, { attempts: 1 });
    const job = await worker.getNextJob('test-token');
    assert.ok(job, 'a job to take');
    await job.moveToFailed(new Error(reason), 'test-token', false);
  };

  before(async () => {
    // No worker in the server: only this test's takes the jobs.
    app = await startTestApp({ ...ADMIN_ENV, MAIL_WORKER: 'off' }, { clock: clock.now });
    admin = (await adminWithMfa(app, clock)).token;
    worker = new Worker(MAIL_QUEUE_NAME, null, {
      connection: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', maxRetriesPerRequest: null },
      prefix: app.mail.queue.opts.prefix,
      autorun: false,
    });
  });
  after(async () => {
    await worker?.close();
    await app?.stop();
  });

  it("masks tokens without their link, codes glued to words and an AUTH reply's words", async () => {
    await failJob('SMTP 535 after AUTH PLAIN: 535 5.7.8 authentication failed for relay-prod-user');
    await failJob('error: rejected, quoted token=mfa_pr_c2VjcmV0LXJlc2V0LXRva2Vu and code:482913x and code482913');
    const answer = await app.graphql(MAIL_QUEUE, { token: admin, variables: { failedJobs: 2 } });
    assert.equal(errorCode(answer), undefined, JSON.stringify(answer.errors));
    const reasons = answer.data!.mailQueue.failedJobs.map((job) => job.failedReason);
    assert.equal(reasons.length, 2, JSON.stringify(reasons));
    const shown = reasons.join('\n');
    for (const secret of ['relay-prod-user', 'mfa_pr_', 'c2VjcmV0', '482913'])
      assert.ok(!shown.includes(secret), `${secret} in ${shown}`);
    assert.ok(shown.includes('SMTP 535 after AUTH PLAIN: 5.7.8'), shown);
  });

  it('answers promptly with at most 300 characters when a stored reason is huge', async () => {
    await failJob(`SMTP 550 after DATA: ${'x'.repeat(100_000)}`);
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const answer = await Promise.race([
      app.graphql(MAIL_QUEUE, { token: admin, variables: { failedJobs: 1 } }),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no answer')), ANSWER_GUARD_MS))),
    ]).finally(() => clearTimeout(timer));
    const tookMs = Date.now() - started;
    assert.equal(errorCode(answer), undefined, JSON.stringify(answer.errors));
    const [job] = answer.data!.mailQueue.failedJobs;
    assert.ok(job.failedReason.length <= 300, String(job.failedReason.length));
    assert.ok(tookMs < 2000, `answered in ${tookMs} ms`);
  });
});
