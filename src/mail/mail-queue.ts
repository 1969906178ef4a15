import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { SecretBox } from '../crypto/secret-box.js';
import {
  COMPLETED_JOB_RETENTION_SECONDS,
  COMPLETED_JOBS_KEPT,
  FAILED_JOBS_KEPT,
  MAIL_ATTEMPTS,
  MAIL_BACKOFF_BASE_MS,
  MAIL_QUEUE_NAME,
  mailJobId,
  mailJobIdKey,
  sealMailJob,
  validateMailMessage,
  type MailJobData,
} from './mail-job.js';
import { MailQueueUnavailableError, type MailMessage, type MailSender } from './mail-sender.js';

/** Longest an enqueue may take before the caller gets SERVICE_UNAVAILABLE; a healthy add takes well under a millisecond of Redis time. */
export const ENQUEUE_TIMEOUT_MS = 2000;

export type MailQueue = Queue<MailJobData>;

/** Jobs by state, for readiness and operators. */
export interface MailQueueHealth {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

/**
 * `connection` must fail fast (no offline queue): an enqueue while Redis is
 * away is refused at once instead of waiting for it to come back.
 */
export function createMailQueue(connection: Redis, prefix: string): MailQueue {
  return new Queue<MailJobData>(MAIL_QUEUE_NAME, {
    connection,
    prefix,
    defaultJobOptions: {
      attempts: MAIL_ATTEMPTS,
      backoff: { type: 'exponential', delay: MAIL_BACKOFF_BASE_MS },
      // The ids of completed jobs stay (for idempotency); their data is scrubbed by the worker.
      removeOnComplete: { age: COMPLETED_JOB_RETENTION_SECONDS, count: COMPLETED_JOBS_KEPT },
      removeOnFail: { count: FAILED_JOBS_KEPT },
      // Our failure messages are written to carry no address or code; one trace is enough to debug.
      stackTraceLimit: 1,
    },
  });
}

/** The MailSender of the service: seal, then one BullMQ add. */
export class QueueMailSender implements MailSender {
  readonly #jobIdKey: Buffer;

  constructor(private readonly deps: { queue: MailQueue; redis: Redis; secrets: SecretBox }) {
    this.#jobIdKey = mailJobIdKey(deps.secrets);
  }

  async send(message: MailMessage, options: { idempotencyKey?: string } = {}): Promise<void> {
    validateMailMessage(message);
    // ioredis reconnects in the background; until then a command would fail anyway, so say so now.
    if (this.deps.redis.status !== 'ready') throw new MailQueueUnavailableError();
    const jobId = mailJobId(this.#jobIdKey, options.idempotencyKey);
    const data = sealMailJob(this.deps.secrets, jobId, message);
    let timer: NodeJS.Timeout | undefined;
    try {
      // After a timeout the add may still land: a caller that retries with the same idempotency key sends once.
      await Promise.race([
        this.deps.queue.add(message.template, data, { jobId }),
        new Promise(
          (_, reject) => (timer = setTimeout(() => reject(new Error('enqueue timed out')), ENQUEUE_TIMEOUT_MS)),
        ),
      ]);
    } catch (error) {
      throw Object.assign(new MailQueueUnavailableError(), { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}

export async function mailQueueHealth(queue: MailQueue): Promise<MailQueueHealth> {
  const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
  return {
    waiting: counts.waiting ?? 0,
    active: counts.active ?? 0,
    delayed: counts.delayed ?? 0,
    failed: counts.failed ?? 0,
  };
}
