import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { createMailPipeline, type MailPipeline } from '../../src/mail/mail-pipeline.js';
import { ENQUEUE_TIMEOUT_MS } from '../../src/mail/mail-queue.js';
import { MailQueueUnavailableError, type MailMessage } from '../../src/mail/mail-sender.js';
import { exited, freePort, startRedisServer } from '../support/processes.js';
import { testConfig, testKeys, uniquePrefix, waitFor } from './mail-harness.js';

const MESSAGE: MailMessage = {
  template: 'mfa-code',
  to: 'unavailable@example.test',
  params: { code: '135790', minutes: 10 },
};

// Redis down → e-mail sends fail with SERVICE_UNAVAILABLE, promptly, and work again once it is back.
describe('mail queue without Redis', () => {
  let port: number;
  let redisServer: ChildProcess;
  let pipeline: MailPipeline;

  const timed = async (work: Promise<unknown>) => {
    const started = Date.now();
    const error = await work.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    return { error, ms: Date.now() - started };
  };

  before(async () => {
    port = await freePort();
    redisServer = await startRedisServer(port);
    const redisUrl = `redis://127.0.0.1:${port}`;
    pipeline = await createMailPipeline({
      config: testConfig(undefined),
      redisUrl,
      secrets: testKeys().secrets,
      logger: createLogger({ level: 'silent' }),
      startWorker: false,
      settings: { queuePrefix: uniquePrefix('unavailable') },
    });
  });
  after(async () => {
    redisServer?.kill('SIGCONT');
    await pipeline?.close().catch(() => undefined);
    redisServer?.kill('SIGKILL');
  });

  it('enqueues while Redis is up', async () => {
    await pipeline.sender.send(MESSAGE);
    assert.equal((await pipeline.health()).waiting, 1);
  });

  it('rejects at once with SERVICE_UNAVAILABLE when Redis is gone, and recovers when it returns', async () => {
    redisServer.kill('SIGTERM');
    await exited(redisServer, 5000);
    const { error, ms } = await timed(pipeline.sender.send(MESSAGE));
    assert.ok(error instanceof MailQueueUnavailableError, String(error));
    assert.equal(error.code, ErrorCode.SERVICE_UNAVAILABLE);
    assert.ok(ms < 200, `rejected after ${ms} ms`);
    await assert.rejects(pipeline.health());

    redisServer = await startRedisServer(port); // empty: it kept nothing (no persistence in this test)
    await waitFor(
      'the queue to reconnect',
      () =>
        pipeline.sender.send(MESSAGE).then(
          () => true,
          () => false,
        ),
      5000,
    );
  });

  it('rejects after the enqueue timeout when Redis hangs', async () => {
    redisServer.kill('SIGSTOP');
    try {
      const { error, ms } = await timed(pipeline.sender.send(MESSAGE));
      assert.ok(error instanceof MailQueueUnavailableError, String(error));
      assert.ok(ms >= ENQUEUE_TIMEOUT_MS - 50 && ms < ENQUEUE_TIMEOUT_MS + 500, `rejected after ${ms} ms`);
    } finally {
      redisServer.kill('SIGCONT');
    }
  });

  it('closes a worker promptly when Redis is gone (SIGTERM must not wait for Redis)', async () => {
    const withWorker = await createMailPipeline({
      config: testConfig(undefined),
      redisUrl: `redis://127.0.0.1:${port}`,
      secrets: testKeys().secrets,
      logger: createLogger({ level: 'silent' }),
      startWorker: true,
      settings: { queuePrefix: uniquePrefix('unavailable-close') },
    });
    redisServer.kill('SIGKILL');
    await exited(redisServer, 5000);
    await waitFor(
      'the pipeline to notice',
      () =>
        withWorker.health().then(
          () => false,
          () => true,
        ),
      5000,
    );
    const { error, ms } = await timed(withWorker.close());
    assert.equal(error, undefined);
    assert.ok(ms < 1000, `closed after ${ms} ms`);
  });
});
