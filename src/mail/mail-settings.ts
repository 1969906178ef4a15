import { ConfigError } from '../config/config-error.js';
import { integer } from '../config/env-values.js';

/** Knobs of the queue and its worker. Read from the environment by `loadMailSettings`. */
export interface MailSettings {
  /** Prefix of every Redis key of the service, the queue's included (REDIS_KEY_PREFIX). Servers and workers must agree. @default "mfa" */
  queuePrefix: string;
  /** Mails one worker process delivers at once (MAIL_WORKER_CONCURRENCY). @default 10 */
  concurrency: number;
  /**
   * How long a worker's claim on a job lasts unless renewed (MAIL_LOCK_DURATION_MS);
   * a worker that died mid-job loses it after this, and another one delivers the mail.
   * @default 30000
   */
  lockDurationMs: number;
  /** How often workers look for jobs whose worker died (MAIL_STALLED_INTERVAL_MS). @default 30000 */
  stalledIntervalMs: number;
}

export const DEFAULT_MAIL_SETTINGS: Readonly<MailSettings> = {
  queuePrefix: 'mfa',
  concurrency: 10,
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
};

export function loadMailSettings(env: NodeJS.ProcessEnv = process.env): MailSettings {
  // A deployment still setting the old name would otherwise share the default prefix with every other one on its Redis.
  if (env.MAIL_QUEUE_PREFIX !== undefined) {
    throw new ConfigError(
      'MAIL_QUEUE_PREFIX was renamed REDIS_KEY_PREFIX (it now prefixes every Redis key, not only the queue): set REDIS_KEY_PREFIX instead',
    );
  }
  const prefix = env.REDIS_KEY_PREFIX?.trim() || DEFAULT_MAIL_SETTINGS.queuePrefix;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix))
    throw new ConfigError('REDIS_KEY_PREFIX must be 1-64 characters of A-Z a-z 0-9 _ . -');
  return {
    queuePrefix: prefix,
    concurrency: integer(env, 'MAIL_WORKER_CONCURRENCY', DEFAULT_MAIL_SETTINGS.concurrency, 1, 500),
    lockDurationMs: integer(env, 'MAIL_LOCK_DURATION_MS', DEFAULT_MAIL_SETTINGS.lockDurationMs, 1000, 600_000),
    stalledIntervalMs: integer(env, 'MAIL_STALLED_INTERVAL_MS', DEFAULT_MAIL_SETTINGS.stalledIntervalMs, 500, 600_000),
  };
}
