import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import {
  containsToken,
  deleteKeys,
  dumpKeys,
  redisUrl,
  startPipeline,
  testKeys,
  uniquePrefix,
  waitFor,
  type TestPipeline,
} from './mail-harness.js';

// Neither plaintext codes nor addresses linger in Redis once a job is done or
// failed — and here not even while it waits: they are sealed first.
describe('codes and addresses never reach Redis or the log', () => {
  const prefix = uniquePrefix('secrets');
  const { secrets } = testKeys();
  const local = `zq${randomInt(1e9, 1e10)}`;
  const address = `${local}@example.test`;
  const code = String(randomInt(100_000, 1_000_000));
  /** An idempotency key a caller might well build from the address: it must not show either. */
  const idempotencyKey = (n: number) => `mfa-code:${address}:${n}`;
  let sink: SmtpSink;
  let sender: TestPipeline;
  let worker: TestPipeline | undefined;
  let redis: Redis;

  const assertClean = async (when: string) => {
    const { keys, text } = await dumpKeys(redis, prefix);
    assert.ok(keys.length > 0, 'the queue has keys to look at');
    for (const secret of [address, local, code])
      assert.ok(!containsToken(text, secret), `"${secret}" is in Redis ${when}:\n${text}`);
    return text;
  };
  const send = (n: number) =>
    sender.sender.send(
      { template: 'mfa-code', to: address, params: { code, minutes: 10 } },
      { idempotencyKey: idempotencyKey(n) },
    );
  const jobs = async () =>
    (await sender.queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed'])).filter(Boolean);

  before(async () => {
    sink = await startSmtpSink();
    sender = await startPipeline({ smtpUrl: sink.url, secrets, prefix, startWorker: false });
    redis = new Redis(redisUrl);
  });
  after(async () => {
    await worker?.close();
    await sender?.close();
    await sink?.stop();
    await deleteKeys(redis, prefix);
    redis?.disconnect();
  });

  it('stores only a sealed payload while the job waits', async () => {
    await send(1);
    await assertClean('while the job waits');
    const [job] = await jobs();
    assert.deepEqual(Object.keys(job.data).sort(), ['sealed', 'template']);
    assert.deepEqual(Object.keys((job.data as { sealed: object }).sealed).sort(), ['data', 'iv', 'kid', 'tag']);
    assert.ok(
      !JSON.stringify(await dumpKeys(redis, prefix)).includes('mfa-code:'),
      'the idempotency key is hashed into the job id',
    );
  });

  it('scrubs the payload once the mail is delivered', async () => {
    worker = await startPipeline({ smtpUrl: sink.url, secrets, prefix, startWorker: true });
    const [mail] = await sink.waitForMails(1);
    assert.ok(mail.parsed.text?.includes(code), 'the mail itself carries the code');
    const job = await waitFor('the completed job', async () => (await sender.queue.getCompleted())[0]);
    assert.deepEqual(job.data, { template: 'mfa-code', scrubbed: true });
    await assertClean('after delivery');
  });

  it('keeps neither in the reason of a retry nor of a final failure, though the server quotes the address', async () => {
    sink.rejectRcpt(451, 1); // the sink's reply is "451 <address>: test rejection"
    await send(2);
    const delayed = await waitFor('the job waiting for its retry', async () => (await sender.queue.getDelayed())[0]);
    assert.match(delayed.failedReason, /^SMTP 451 after RCPT TO: 451 <address>: /);
    await assertClean('while a retry waits');
    await sink.waitForMails(2);

    sink.rejectRcpt(550, 1);
    await send(3);
    const failed = await waitFor('the failed job', async () => (await sender.queue.getFailed())[0]);
    assert.match(failed.failedReason, /^SMTP 550 after RCPT TO: 550 <address>: /);
    assert.deepEqual(failed.data, { template: 'mfa-code', scrubbed: true });
    await assertClean('after a final failure');
  });

  it('writes neither to the log when SMTP_URL is set', () => {
    const lines = [...sender.logLines, ...worker!.logLines];
    assert.ok(
      lines.some((line) => line.includes('giving up')) && lines.some((line) => line.includes('will retry')),
      'failures were logged',
    );
    for (const line of lines)
      for (const secret of [address, local, code])
        assert.ok(!containsToken(line, secret), `log line shows "${secret}": ${line}`);
  });
});

describe('without SMTP_URL (development)', () => {
  const prefix = uniquePrefix('devlog');
  let pipeline: TestPipeline;
  let redis: Redis;

  before(async () => {
    pipeline = await startPipeline({ smtpUrl: undefined, secrets: testKeys().secrets, prefix, startWorker: true });
    redis = new Redis(redisUrl);
  });
  after(async () => {
    await pipeline?.close();
    await deleteKeys(redis, prefix);
    redis?.disconnect();
  });

  it('prints the mail, code included, to the log instead of sending it, and says so', async () => {
    await pipeline.sender.send({
      template: 'mfa-code',
      to: 'dev@example.test',
      params: { code: '024680', minutes: 10 },
    });
    const line = await waitFor('the printed mail', () =>
      pipeline.logLines.find((entry) => entry.includes('mail printed, not sent')),
    );
    assert.ok(line.includes('024680') && line.includes('dev@example.test'));
    assert.ok(
      pipeline.logLines.some((entry) => entry.includes('SMTP_URL is unset') && entry.includes('development only')),
    );
  });
});
