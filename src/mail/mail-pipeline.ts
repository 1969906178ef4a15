import type { Config } from '../config/config.js';
import type { Logger } from '../logger.js';
import type { SecretBox } from '../mfa/secret-box.js';
import { connectRedis } from '../redis.js';
import { createMailQueue, mailQueueHealth, QueueMailSender, type MailQueue, type MailQueueHealth } from './mail-queue.js';
import type { MailSender } from './mail-sender.js';
import { DEFAULT_MAIL_SETTINGS, type MailSettings } from './mail-settings.js';
import { createLogTransport, createSmtpTransport } from './mail-transport.js';
import { createMailWorker, type MailWorker } from './mail-worker.js';

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
  let close: (() => Promise<void>) | undefined;
  try {
    await queue.waitUntilReady();
    if (options.startWorker) {
      // SMTP_URL unset is refused in production by the configuration; outside it, mails go to the log.
      const transport = config.mail.smtpUrl ? createSmtpTransport(config.mail.smtpUrl, config.mail.from) : createLogTransport(logger, config.mail.from);
      if (!config.mail.smtpUrl) logger.warn('SMTP_URL is unset: mails (with their codes) are printed to this log instead of sent — development only');
      worker = createMailWorker({ redisUrl: options.redisUrl, secrets, transport, logger, issuer: config.mfa.issuer, settings });
      const running = worker;
      close = async () => {
        await running.close();
        await transport.close();
      };
    }
  } catch (error) {
    await queue.close().catch(() => undefined);
    connection.disconnect();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    sender: new QueueMailSender(queue, connection, secrets),
    queue,
    worker,
    health: () => mailQueueHealth(queue),
    close: () =>
      (closing ??= (async () => {
        await close?.();
        await queue.close();
        connection.disconnect();
      })()),
  };
}
