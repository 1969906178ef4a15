import { createHmac, randomUUID } from 'node:crypto';
import type { SealedSecret, SecretBox } from '../crypto/secret-box.js';
import { InvalidMailMessageError, type MailMessage } from './mail-sender.js';
import { isMailTemplateName, REQUIRED_PARAMS, type MailTemplateName } from './templates/mail-templates.js';

export const MAIL_QUEUE_NAME = 'mail';

// Retries: a mail that arrives after its code expired is useless, so the whole
// schedule fits well inside the e-mail code's 10-minute lifetime (EMAIL_CODE_TTL_MS):
// BullMQ's exponential back-off waits 2^(n-1) × base before retry n, so 8
// attempts wait 1+2+4+8+16+32+64 s = 127 s in all, and the last try starts
// about 2 minutes after the first (plus SMTP timeouts), leaving the reader
// most of the code's lifetime.
/** Tries per mail, the first one included. */
export const MAIL_ATTEMPTS = 8;
/** Wait before the first retry; doubles for each one after it. */
export const MAIL_BACKOFF_BASE_MS = 1000;
/** Completed jobs (scrubbed) stay this long so a repeated idempotency key is still recognised. */
export const COMPLETED_JOB_RETENTION_SECONDS = 60 * 60;
/** ...but no more of them than this (a few hundred bytes each), whatever the volume. */
export const COMPLETED_JOBS_KEPT = 100_000;
/** Failed jobs (scrubbed, with failedReason) kept for operators to look at. */
export const FAILED_JOBS_KEPT = 1000;

/** A job as it waits in Redis: the address and params only sealed. */
export interface PendingMailJob {
  template: MailTemplateName;
  locale?: string;
  sealed: SealedSecret;
}

/** A finished job: nothing left that could be opened, even with the key. */
export interface ScrubbedMailJob {
  template: MailTemplateName;
  scrubbed: true;
}

export type MailJobData = PendingMailJob | ScrubbedMailJob;

/** What only the worker sees, after opening a job. */
export interface OpenedMail {
  to: string;
  params: Record<string, string | number>;
}

/** One addr-spec, no display name, no list: a comma or angle bracket would let one mail go to several people. */
const SINGLE_ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/;
const MAX_ADDRESS_LENGTH = 254; // RFC 5321 §4.5.3.1.3 path limit, minus the angle brackets

export function validateMailMessage(message: MailMessage): void {
  if (!isMailTemplateName(message.template))
    throw new InvalidMailMessageError(`Unknown mail template "${String(message.template)}"`);
  if (typeof message.to !== 'string' || message.to.length > MAX_ADDRESS_LENGTH || !SINGLE_ADDRESS.test(message.to)) {
    throw new InvalidMailMessageError(`Mail "${message.template}" needs exactly one plain e-mail address in "to"`);
  }
  for (const name of REQUIRED_PARAMS[message.template]) {
    const value = message.params?.[name];
    if (typeof value !== 'string' && typeof value !== 'number')
      throw new InvalidMailMessageError(`Mail "${message.template}" needs the param "${name}"`);
  }
}

/** The key job ids are derived with: outside Redis, like the encryption keys. */
export function mailJobIdKey(secrets: SecretBox): Buffer {
  return secrets.hmacKey('mail-job-id').key;
}

/**
 * The BullMQ job id. From an idempotency key: a keyed hash, so the key (which
 * may name a user or an address) never appears in Redis key names, and the
 * same key always gives the same id. Without one: random.
 */
export function mailJobId(jobIdKey: Buffer, idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) return `mail-${randomUUID()}`;
  return `mail-${createHmac('sha256', jobIdKey).update(idempotencyKey).digest('hex').slice(0, 40)}`;
}

/** Sealed under the job id and template, so a payload copied onto another job does not open. */
const sealContext = (jobId: string, template: MailTemplateName) => `mail-job:${jobId}:${template}`;

export function sealMailJob(secrets: SecretBox, jobId: string, message: MailMessage): PendingMailJob {
  const opened: OpenedMail = { to: message.to, params: message.params };
  return {
    template: message.template,
    ...(message.locale ? { locale: message.locale } : {}),
    sealed: secrets.seal(JSON.stringify(opened), sealContext(jobId, message.template)),
  };
}

export function openMailJob(secrets: SecretBox, jobId: string, data: PendingMailJob): OpenedMail {
  return JSON.parse(secrets.open(data.sealed, sealContext(jobId, data.template))) as OpenedMail;
}

export function isScrubbed(data: MailJobData): data is ScrubbedMailJob {
  return 'scrubbed' in data && data.scrubbed === true;
}
