import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { MAIL_BACKOFF_BASE_MS } from '../../src/mail/mail-job.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import {
  deleteKeys,
  redisUrl,
  sleep,
  startPipeline,
  testKeys,
  uniquePrefix,
  waitFor,
  type TestPipeline,
} from './mail-harness.js';

// Mail is delivered at least once, retried with back-off, and permanent SMTP rejections (5xx) are not retried, as retrying cannot help.
describe('mail delivery', () => {
  const prefix = uniquePrefix('delivery');
  const { secrets } = testKeys();
  let sink: SmtpSink;
  let pipeline: TestPipeline;
  let redis: Redis;
  let n = 0;
  /** A distinct recipient per test, so each test counts only its own mails. */
  const recipient = () => `delivery-${(n += 1)}@example.test`;
  const mailsTo = (to: string) => sink.mails.filter((mail) => mail.envelopeTo.includes(to));

  before(async () => {
    sink = await startSmtpSink();
    pipeline = await startPipeline({ smtpUrl: sink.url, secrets, prefix, startWorker: true });
    redis = new Redis(redisUrl);
  });
  beforeEach(() => sink.reset());
  after(async () => {
    await pipeline?.close();
    await sink?.stop();
    await deleteKeys(redis, prefix);
    redis?.disconnect();
  });

  it('sends once for one idempotency key, however often it is enqueued', async () => {
    const to = recipient();
    const message = { template: 'mfa-code' as const, to, params: { code: '112233', minutes: 10 } };
    await Promise.all([
      pipeline.sender.send(message, { idempotencyKey: 'challenge-1' }),
      pipeline.sender.send(message, { idempotencyKey: 'challenge-1' }),
    ]);
    await waitFor('the first delivery', () => mailsTo(to).length === 1);
    // Again after delivery: the completed job's id is kept, so a late retry of the request sends nothing.
    await pipeline.sender.send(message, { idempotencyKey: 'challenge-1' });
    await pipeline.sender.send(message, { idempotencyKey: 'challenge-2' });
    await waitFor('the second key’s delivery', () => mailsTo(to).length === 2);
    await sleep(300);
    assert.equal(mailsTo(to).length, 2);
  });

  it('resolves the enqueue while SMTP is down, and delivers once the server is back', async () => {
    const to = recipient();
    await sink.stop();
    const started = Date.now();
    // `send` only waits for Redis: it resolves although no mail can be delivered now.
    await pipeline.sender.send({ template: 'mfa-code', to, params: { code: '445566', minutes: 10 } });
    assert.ok(Date.now() - started < 500, 'send did not wait for delivery');
    await sleep(3000);
    await sink.start(); // the same port
    await waitFor('delivery after SMTP came back', () => mailsTo(to).length === 1, 15_000);
    // Back-off: failed at 0 s, 1 s, 3 s at most, so the retry at 7 s was the latest that could deliver.
    assert.ok(Date.now() - started < 3000 + 8 * MAIL_BACKOFF_BASE_MS, `delivered after ${Date.now() - started} ms`);
    await sleep(500);
    assert.equal(mailsTo(to).length, 1, 'delivered exactly once');
  });

  it('retries a temporary 4xx rejection and then delivers', async () => {
    const to = recipient();
    const rcptBefore = sink.rcptAttempts;
    sink.rejectRcpt(451, 2);
    await pipeline.sender.send({ template: 'factor-added', to, params: { factor: 'Authentication app' } });
    await waitFor('delivery after two 451s', () => mailsTo(to).length === 1, 10_000);
    assert.equal(sink.rcptAttempts - rcptBefore, 3, 'two refused tries, then the accepted one');
  });

  it('gives up on a permanent 5xx rejection after one try, and keeps the failed job visible', async () => {
    const to = recipient();
    const rcptBefore = sink.rcptAttempts;
    sink.rejectRcpt(550, 1);
    await pipeline.sender.send(
      { template: 'mfa-code', to, params: { code: '778899', minutes: 10 } },
      { idempotencyKey: 'rejected-1' },
    );
    const [failed] = await waitFor('the failed job', async () => {
      const jobs = await pipeline.queue.getFailed();
      return jobs.length > 0 && jobs;
    });
    assert.match(failed.failedReason, /^SMTP 550 after RCPT TO/);
    assert.equal(failed.attemptsMade, 1);
    // Longer than the first two back-off delays: a retry would have happened by now.
    await sleep(3 * MAIL_BACKOFF_BASE_MS + 200);
    assert.equal(sink.rcptAttempts - rcptBefore, 1, 'exactly one delivery attempt');
    assert.equal(mailsTo(to).length, 0);
    assert.equal(await failed.getState(), 'failed');
    assert.deepEqual((await pipeline.health()).failed, 1);
  });

  it("fails a job sealed under another key at once, and says the worker needs the server's keys", async () => {
    const otherServer = await startPipeline({
      smtpUrl: sink.url,
      secrets: testKeys().secrets,
      prefix,
      startWorker: false,
    });
    try {
      const rcptBefore = sink.rcptAttempts;
      await otherServer.sender.send(
        { template: 'factor-added', to: recipient(), params: { factor: 'Authentication app' } },
        { idempotencyKey: 'foreign-1' },
      );
      const failed = await waitFor('the failed job', async () =>
        (await pipeline.queue.getFailed()).find((job) => /cannot open/.test(job.failedReason)),
      );
      assert.match(failed.failedReason, /failed authentication/);
      assert.equal(failed.attemptsMade, 1);
      assert.deepEqual(failed.data, { template: 'factor-added', scrubbed: true });
      assert.equal(sink.rcptAttempts, rcptBefore, 'nothing was sent');
      assert.ok(pipeline.logLines.some((line) => line.includes('needs the same MFA_ENCRYPTION_KEYS')));
    } finally {
      await otherServer.close();
    }
  });
});
