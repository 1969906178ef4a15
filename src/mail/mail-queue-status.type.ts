import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MailDelivery, type FailedMailJob, type MailQueueStatus } from './mail-queue-status.js';

registerEnumType(MailDelivery, {
  name: 'MailDelivery',
  description: "Who delivers the queue's mails, by this server's MAIL_WORKER and SMTP_URL.",
  valuesConfig: {
    INLINE_SMTP: { description: "MAIL_WORKER=inline: this server's own worker sends them over SMTP." },
    INLINE_LOG: {
      description:
        "MAIL_WORKER=inline, SMTP_URL unset (development only): this server's worker prints them to its log.",
    },
    SEPARATE_WORKER: {
      description: 'MAIL_WORKER=off: worker processes (npm run worker) deliver them; while none runs, jobs wait.',
    },
  },
});

@ObjectType('FailedMailJob', {
  description: 'A mail that was not delivered: what kind, how often tried and why; never its recipient or contents.',
})
export class FailedMailJobType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'The mail template, e.g. "mfa-code", "password-reset".' })
  template!: string;

  @Field(() => Int, { description: 'Tries made.' })
  attempts!: number;

  @Field(() => String, {
    description:
      'Why the last try failed, e.g. "SMTP 550 after RCPT TO: <address>: …"; addresses, links and codes are masked.',
  })
  failedReason!: string;

  @Field(() => Date, { nullable: true })
  failedAt?: Date;

  @Field(() => Date)
  queuedAt!: Date;

  static from(this: void, job: FailedMailJob): FailedMailJobType {
    return Object.assign(new FailedMailJobType(), {
      id: job.id,
      template: job.template,
      attempts: job.attempts,
      failedReason: job.reason,
      failedAt: job.failedAt,
      queuedAt: job.queuedAt,
    });
  }
}

@ObjectType('MailQueueStatus', { description: 'The mail queue: jobs by state, and the latest failed ones.' })
export class MailQueueStatusType {
  @Field(() => Int, { description: 'Queued, not yet taken by a worker.' })
  waiting!: number;

  @Field(() => Int, { description: 'Being sent now.' })
  active!: number;

  @Field(() => Int, { description: 'Waiting for a retry after a temporary failure.' })
  delayed!: number;

  @Field(() => Int, { description: 'Given up on (permanent failure or every try used); the latest are kept.' })
  failed!: number;

  @Field(() => MailDelivery)
  delivery!: MailDelivery;

  @Field(() => [FailedMailJobType], { description: 'The latest failed jobs, newest first.' })
  failedJobs!: FailedMailJobType[];

  static from(this: void, status: MailQueueStatus): MailQueueStatusType {
    return Object.assign(new MailQueueStatusType(), {
      waiting: status.waiting,
      active: status.active,
      delayed: status.delayed,
      failed: status.failed,
      delivery: status.delivery,
      failedJobs: status.failedJobs.map(FailedMailJobType.from),
    });
  }
}
