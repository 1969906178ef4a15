import { serviceUnavailable } from '../errors.js';
import { mailQueueHealth, type MailQueue, type MailQueueHealth } from './mail-queue.js';
import { redactFailedReason } from './mail-transport.js';

/** Who delivers the queue's mails, as this server's configuration says. */
export const MailDelivery = {
  /** MAIL_WORKER=inline with SMTP_URL: this server's own worker sends them over SMTP. */
  INLINE_SMTP: 'INLINE_SMTP',
  /** MAIL_WORKER=inline without SMTP_URL (development only): this server's worker prints them to its log. */
  INLINE_LOG: 'INLINE_LOG',
  /** MAIL_WORKER=off: only `npm run worker` processes deliver; with none running, jobs wait. */
  SEPARATE_WORKER: 'SEPARATE_WORKER',
} as const;
export type MailDelivery = (typeof MailDelivery)[keyof typeof MailDelivery];

/** A failed job as an operator may see it: never the address, params, code or body (the job holds none by then). */
export interface FailedMailJob {
  id: string;
  template: string;
  attempts: number;
  /** Redacted (see redactFailedReason). */
  reason: string;
  failedAt?: Date;
  queuedAt: Date;
}

export interface MailQueueStatus extends MailQueueHealth {
  delivery: MailDelivery;
  failedJobs: FailedMailJob[];
}

/** The most failed jobs one read lists; the queue keeps FAILED_JOBS_KEPT of them. */
export const MAX_FAILED_JOBS_LISTED = 100;

/**
 * The mail queue as the admin console shows it: counts by state and why the latest failed jobs failed. Who may read
 * it (an admin in a session that passed MFA) is the API's `Access.ADMIN` rule; mail knows nothing of accounts.
 */
export class MailQueueMonitor {
  constructor(
    private readonly deps: {
      delivery: MailDelivery;
      /** Absent where no queue runs (the CLIs): a read is SERVICE_UNAVAILABLE. */
      queue?: MailQueue;
    },
  ) {}

  /** SERVICE_UNAVAILABLE while Redis does not answer. */
  async status(failedJobs: number): Promise<MailQueueStatus> {
    const queue = this.deps.queue;
    if (!queue) throw serviceUnavailable('This process has no mail queue.');
    try {
      const [health, failed] = await Promise.all([
        mailQueueHealth(queue),
        failedJobs > 0 ? queue.getFailed(0, failedJobs - 1) : Promise.resolve([]),
      ]);
      return {
        ...health,
        delivery: this.deps.delivery,
        // Only these fields leave: job.data held the sealed address and params until the worker scrubbed it.
        failedJobs: failed
          .filter((job) => job?.id !== undefined)
          .map((job) => ({
            id: job.id!,
            template: job.name,
            attempts: job.attemptsMade,
            reason: redactFailedReason(job.failedReason ?? ''),
            failedAt: job.finishedOn ? new Date(job.finishedOn) : undefined,
            queuedAt: new Date(job.timestamp),
          })),
      };
    } catch (error) {
      throw Object.assign(serviceUnavailable('The mail queue cannot be read right now (Redis does not answer).'), {
        cause: error,
      });
    }
  }
}
