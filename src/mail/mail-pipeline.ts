import type { Redis } from 'ioredis';
import type { Config } from '../config/config.js';
import type { Logger } from '../logger.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { connectRedis, RedisUnavailableError } from '../redis.js';
import {
  createMailQueue,
  mailQueueHealth,
  QueueMailSender,
  type MailQueue,
  type MailQueueHealth,
} from './mail-queue.js';
import type { MailSender } from './mail-sender.js';
import { DEFAULT_MAIL_SETTINGS, type MailSettings } from './mail-settings.js';
import { createLogTransport, createSmtpTransport, type MailTransport } from './mail-transport.js';
import { createMailWorker, type MailWorker } from './mail-worker.js';

/** Longest wait for the queue's and the worker's connections at start. */
const READY_TIMEOUT_MS = 10_000;

export interface MailPipelineOptions {
  config: Config;
  redisUrl: string;
  secrets: SecretBox;
  logger: Logger;
  /** Deliver in this process too (MAIL_WORKER=inline), or only enqueue (`off`: `npm run worker` delivers). */
  startWorker: boolean;
  /** @default DEFAULT_MAIL_SETTINGS; `loadMailSettings(env)` reads them from the environment. */
  settings?: Partial<MailSettings>;
}

export interface MailPipeline {
  sender: MailSender;
  queue: MailQueue;
  /** Only when `startWorker`. */
  worker?: MailWorker;
  /** Job counts by state; rejects when Redis is unreachable. */
  health(): Promise<MailQueueHealth>;
  /** Lets the worker finish its current jobs, then closes the SMTP pool and the Redis connections. */
  close(): Promise<void>;
}

/**
 * The queue, and when asked the worker that empties it. Rejects with
 * RedisUnavailableError when Redis cannot be reached now.
 */
export async function createMailPipeline(options: MailPipelineOptions): Promise<MailPipeline> {
  const { config, logger, secrets } = options;
  const settings: MailSettings = { ...DEFAULT_MAIL_SETTINGS, ...options.settings };
  const connection = await connectRedis(options.redisUrl, logger);
  const queue = createMailQueue(connection, settings.queuePrefix);
  queue.on('error', (error) => logger.debug({ error: error.message }, 'mail queue: redis error'));
  let worker: MailWorker | undefined;
  let transport: MailTransport | undefined;
  try {
    await readyWithin(queue.waitUntilReady());
    if (options.startWorker) {
      // SMTP_URL unset is refused in production by the configuration; outside it, mails go to the log.
      transport = config.mail.smtpUrl
        ? createSmtpTransport(config.mail.smtpUrl, config.mail.from)
        : createLogTransport(logger, config.mail.from);
      if (!config.mail.smtpUrl)
        logger.warn(
          'SMTP_URL is unset: mails (with their codes) are printed to this log instead of sent — development only',
        );
      worker = createMailWorker({
        redisUrl: options.redisUrl,
        secrets,
        transport,
        logger,
        issuer: config.mfa.issuer,
        publicUrl: config.publicUrl,
        settings,
      });
      // Ready before it is handed out: a worker whose connections never came up cannot be closed gracefully.
      await readyWithin(worker.waitUntilReady());
    }
  } catch (error) {
    await worker?.close(true).catch(() => undefined);
    await transport?.close();
    await queue.close().catch(() => undefined);
    connection.disconnect();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    sender: new QueueMailSender({ queue, redis: connection, secrets }),
    queue,
    worker,
    health: () => mailQueueHealth(queue),
    close: () =>
      (closing ??= (async () => {
        try {
          if (worker) await closeWorker(worker, connection);
          await transport?.close();
          await queue.close();
        } finally {
          // Always, also when Redis is gone and closing the queue failed: a connection left reconnecting keeps the process alive.
          connection.disconnect();
        }
      })()),
  };
}

/** Redis answered a moment ago; if it stops answering during start-up, fail like an unreachable Redis instead of hanging. */
async function readyWithin(ready: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RedisUnavailableError('Redis stopped answering while the mail queue was starting')),
      READY_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([ready, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits for the current jobs to finish and be recorded, as SIGTERM asks —
 * unless Redis is gone: nothing can be recorded then (BullMQ hands those jobs
 * to another worker once Redis is back), and the worker's connections would
 * wait for Redis forever, so it stops at once. When Redis goes away in the
 * middle of a graceful close, this returns at once too, though BullMQ's own
 * loop may keep a timer for up to its internal retry delay (15 s): the
 * processes exit anyway. `probe` is the queue's connection to the same Redis.
 */
async function closeWorker(worker: MailWorker, probe: Redis): Promise<void> {
  if (probe.status !== 'ready') return worker.close(true);
  let onLost = () => {};
  const lost = new Promise<'lost'>((resolve) => (onLost = () => resolve('lost')));
  probe.once('close', onLost);
  try {
    // worker.disconnect() would wait for a connection that never came up; closing the backend with force does not.
    if ((await Promise.race([worker.close(), lost])) === 'lost') await worker.getBackend().close(true);
  } finally {
    probe.off('close', onLost);
  }
}
