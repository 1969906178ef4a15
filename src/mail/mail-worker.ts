import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Logger } from '../logger.js';
import { SecretBoxError, type SecretBox } from '../crypto/secret-box.js';
import {
  isScrubbed,
  MAIL_QUEUE_NAME,
  openMailJob,
  type MailJobData,
  type OpenedMail,
  type PendingMailJob,
} from './mail-job.js';
import type { MailSettings } from './mail-settings.js';
import { describeSendFailure, type MailTransport } from './mail-transport.js';
import { isMailTemplateName, type MailTemplateParams, type RenderedMail } from './templates/mail-templates.js';
import { renderMail } from './templates/render-mail.js';

export interface MailWorkerDeps {
  redisUrl: string;
  secrets: SecretBox;
  transport: MailTransport;
  logger: Logger;
  /** The service name mails show unless a job names another. */
  issuer: string;
  /** PUBLIC_URL: where the console's pages are, which the reset and verification mails link to. */
  publicUrl: string;
  settings: MailSettings;
}

export type MailWorker = Worker<MailJobData, void>;

/**
 * Opens, renders and sends one mail per job. Delivery is at least once: a
 * worker killed mid-send leaves the job locked until `lockDurationMs`, then
 * another worker sends it again.
 */
export function createMailWorker(deps: MailWorkerDeps): MailWorker {
  const { logger, settings } = deps;
  const worker = new Worker<MailJobData, void>(MAIL_QUEUE_NAME, (job) => processMailJob(job, deps), {
    // Its own connections: workers block on Redis, and BullMQ requires maxRetriesPerRequest: null for that.
    connection: {
      url: deps.redisUrl,
      maxRetriesPerRequest: null,
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
    },
    prefix: settings.queuePrefix,
    concurrency: settings.concurrency,
    lockDuration: settings.lockDurationMs,
    stalledInterval: settings.stalledIntervalMs,
  });
  // Redis errors repeat on every reconnect attempt: the first one is a warning, the rest debug until it is back.
  let redisDown = false;
  worker.on('error', (error) => {
    logger[redisDown ? 'debug' : 'warn']({ error: error.message }, 'mail worker: redis error');
    redisDown = true;
  });
  // The worker's own 'ready' fires once; its backend's fires on every reconnect.
  worker.getBackend().on('ready', () => {
    if (redisDown) logger.info('mail worker: redis is back');
    redisDown = false;
  });
  return worker;
}

async function processMailJob(job: Job<MailJobData, void>, deps: MailWorkerDeps): Promise<void> {
  const { logger } = deps;
  const where = { jobId: job.id, template: job.data.template, attempt: job.attemptsMade + 1 };
  // Scrubbed already: the mail went out and the worker died before BullMQ recorded it.
  if (isScrubbed(job.data)) return;
  if (!isMailTemplateName(job.data.template)) {
    await scrub(job, logger);
    throw new UnrecoverableError(`unknown mail template "${String(job.data.template).slice(0, 64)}"`);
  }
  const opened = await open(job, job.data, deps);
  let rendered: RenderedMail;
  try {
    rendered = renderMail(job.data.template, opened.params as unknown as MailTemplateParams[typeof job.data.template], {
      locale: job.data.locale,
      issuer: deps.issuer,
      publicUrl: deps.publicUrl,
      requestedAt: new Date(job.timestamp),
    });
  } catch {
    // The error text could quote a param; the template name is enough to find the bug.
    await scrub(job, logger);
    throw new UnrecoverableError(`cannot render mail template "${job.data.template}"`);
  }
  try {
    await deps.transport.send({ to: opened.to, ...rendered });
  } catch (error) {
    const { permanent, reason } = describeSendFailure(error, secretWords(opened));
    const final = permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    logger.warn(
      { ...where, permanent, final, reason },
      final ? 'mail not delivered, giving up' : 'mail not delivered, will retry',
    );
    if (final) await scrub(job, logger);
    throw permanent ? new UnrecoverableError(reason) : new Error(reason);
  }
  logger.debug(where, 'mail delivered');
  await scrub(job, logger);
}

async function open(job: Job<MailJobData, void>, data: PendingMailJob, deps: MailWorkerDeps): Promise<OpenedMail> {
  let opened: OpenedMail;
  try {
    opened = openMailJob(deps.secrets, job.id!, data);
  } catch (error) {
    // SecretBoxError messages name no plaintext; anything else (a parse error) might quote it, so it is not repeated.
    const reason = error instanceof SecretBoxError ? error.message : 'the payload is not a mail';
    deps.logger.error(
      { jobId: job.id, reason },
      'mail job cannot be opened: the worker needs the same MFA_ENCRYPTION_KEYS as the server ' +
        '(a DATA_DIR=:memory: server has a key no other process knows)',
    );
    // An unknown kid may be a key the server has and this worker does not have yet (rolling deploy): retry.
    if (error instanceof SecretBoxError && error.code === 'UNKNOWN_KEY')
      throw new Error(`cannot open the mail job: ${reason}`, { cause: error });
    await scrub(job, deps.logger);
    throw new UnrecoverableError(`cannot open the mail job: ${reason}`);
  }
  if (typeof opened?.to !== 'string' || typeof opened.params !== 'object' || opened.params === null) {
    await scrub(job, deps.logger);
    throw new UnrecoverableError('cannot open the mail job: the payload is not a mail');
  }
  return opened;
}

/**
 * The last step of every job that will not run again: the sealed address and
 * params are replaced, so not even a key holder can read them from Redis
 * afterwards. A failure here must not fail a mail that was already sent.
 */
async function scrub(job: Job<MailJobData, void>, logger: Logger): Promise<void> {
  try {
    await job.updateData({ template: job.data.template, scrubbed: true });
  } catch (error) {
    logger.warn(
      { jobId: job.id, error: (error as Error).message },
      'could not scrub a finished mail job (its payload stays sealed)',
    );
  }
}

/** Strings a server reply might quote back: the address, its local part, and the params (which include codes). */
function secretWords({ to, params }: OpenedMail): string[] {
  return [to, to.split('@')[0], ...Object.values(params ?? {}).map(String)];
}
