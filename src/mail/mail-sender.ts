import { AppError, ErrorCode } from '../errors.js';
import type { MailTemplateName } from './templates/mail-templates.js';

export interface MailMessage {
  template: MailTemplateName;
  /** One address. It is sealed before it reaches Redis. */
  to: string;
  /** BCP 47, e.g. `de-AT`; falls back to the language, then to English. */
  locale?: string;
  /** The template's params (see MailTemplateParams); sealed with the address, so one-time codes never reach Redis in the clear. */
  params: Record<string, string | number>;
}

/** The only part of the mail pipeline the rest of the service sees. */
export interface MailSender {
  /**
   * Enqueues the mail and resolves once the job is stored in Redis; delivery
   * happens later, at least once. The same `idempotencyKey` within an hour
   * enqueues nothing new (a retried request does not send twice). Rejects
   * with MailQueueUnavailableError when Redis cannot take the job.
   */
  send(message: MailMessage, options?: { idempotencyKey?: string }): Promise<void>;
}

/** Redis is unreachable or too slow: the mail was not enqueued. Clients see SERVICE_UNAVAILABLE. */
export class MailQueueUnavailableError extends AppError {
  constructor() {
    super(
      ErrorCode.SERVICE_UNAVAILABLE,
      'E-mail cannot be sent right now. Try again in a moment, or use another sign-in method.',
    );
    this.name = 'MailQueueUnavailableError';
  }
}

/** A programming error in the caller: unknown template, missing param, or not exactly one address. */
export class InvalidMailMessageError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidMailMessageError';
  }
}
