import { Counter, Gauge, type Registry } from 'prom-client';
import type { MailPipeline, MailQueueHealth } from '../mail/index.js';
import type { CollectErrors } from './collect-errors.js';

export const MAIL_QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const satisfies ReadonlyArray<
  keyof MailQueueHealth
>;
/** The collector name of the queue counts in mfa_metrics_collect_errors_total. */
export const MAIL_QUEUE_COLLECTOR = 'mail_queue';
/** The longest a scrape waits for the queue's counts; a healthy Redis answers in a millisecond. */
export const MAIL_QUEUE_COUNT_TIMEOUT_MS = 1000;

export interface MailMetrics {
  /** Reads the gauges from `counts` at each scrape (the queue's job counts; rejects when Redis is away). */
  readQueueFrom(counts: () => Promise<MailQueueHealth>): void;
  /** Counts the deliveries of an in-process worker from its events. */
  countDeliveries(worker: NonNullable<MailPipeline['worker']>): void;
}

export function mailMetrics(
  registry: Registry,
  collectErrors: CollectErrors,
  timeoutMs = MAIL_QUEUE_COUNT_TIMEOUT_MS,
): MailMetrics {
  let readCounts: (() => Promise<MailQueueHealth>) | undefined;
  new Gauge({
    name: 'mfa_mail_queue_jobs',
    help: 'Mail jobs in the queue by state, read from Redis at scrape time (left out when Redis does not answer in time)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      if (!readCounts) return;
      const counts = await collectErrors.within(MAIL_QUEUE_COLLECTOR, timeoutMs, readCounts);
      if (counts) for (const state of MAIL_QUEUE_STATES) this.set({ state }, counts[state]);
    },
  });
  const deliveries = new Counter({
    name: 'mfa_mail_deliveries_total',
    help: "Mail delivery attempts of this process's worker, by outcome (sent; retried: failed, will be tried again; failed: given up)",
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return {
    readQueueFrom(counts) {
      readCounts = counts;
    },
    countDeliveries(worker) {
      for (const outcome of ['sent', 'retried', 'failed']) deliveries.inc({ outcome }, 0);
      worker.on('completed', () => deliveries.inc({ outcome: 'sent' }));
      // BullMQ sets finishedOn when the job is moved to failed for good; a job to be retried goes back to the queue without it.
      worker.on('failed', (job) =>
        deliveries.inc({ outcome: job && typeof job.finishedOn !== 'number' ? 'retried' : 'failed' }),
      );
    },
  };
}
