import nodemailer from 'nodemailer';
import type { NodemailerError } from 'nodemailer/lib/errors';
import type { Logger } from '../logger.js';
import type { RenderedMail } from './templates/mail-templates.js';

// Nodemailer's defaults (2 min to connect, 10 min of socket silence) would let
// one stuck server hold a worker slot for the whole life of an e-mail code.
/** Time to open the TCP connection to the SMTP server. */
export const SMTP_CONNECTION_TIMEOUT_MS = 10_000;
/** Time for the server's greeting once connected. */
export const SMTP_GREETING_TIMEOUT_MS = 10_000;
/** Longest silence from the server mid-conversation. */
export const SMTP_SOCKET_TIMEOUT_MS = 60_000;

export interface OutgoingMail extends RenderedMail {
  to: string;
}

/** Where rendered mails go: SMTP in production, the log in development. */
export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>;
  /** Called after the worker has finished its current jobs. */
  close(): Promise<void>;
}

/** Pooled SMTP: connections are reused across jobs instead of a TCP + TLS + AUTH handshake per mail. */
export function createSmtpTransport(smtpUrl: string, from: string): MailTransport {
  const transporter = nodemailer.createTransport(
    {
      url: smtpUrl,
      pool: true,
      connectionTimeout: SMTP_CONNECTION_TIMEOUT_MS,
      greetingTimeout: SMTP_GREETING_TIMEOUT_MS,
      socketTimeout: SMTP_SOCKET_TIMEOUT_MS,
      // Our mails have no attachments; nothing in a message may make the worker read files or fetch URLs.
      disableFileAccess: true,
      disableUrlAccess: true,
    },
    { from },
  );
  return {
    async send(mail) {
      await transporter.sendMail({ to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
    },
    async close() {
      transporter.close();
    },
  };
}

/**
 * DEVELOPMENT ONLY (SMTP_URL unset; configuration refuses this in
 * production): prints each rendered mail to the log instead of sending it, so
 * the embedded default works without a mail server. These log lines DO
 * contain the address and the one-time code — that is their purpose.
 */
export function createLogTransport(logger: Logger, from: string): MailTransport {
  return {
    async send(mail) {
      logger.info(
        { mail: { from, to: mail.to, subject: mail.subject, text: mail.text } },
        'mail printed, not sent (development: SMTP_URL is unset)',
      );
    },
    async close() {},
  };
}

/** A send failure as the worker records it: whether retrying can help, and a reason safe to store and log. */
export interface SendFailure {
  permanent: boolean;
  reason: string;
}

const MAX_REASON_CHARS = 300;
/** An address with its angle brackets, if any. */
const ADDRESS_LIKE = /<?[^\s<>()[\]\\,;:"']+@[^\s<>()[\]\\,;:"']+>?/g;

/**
 * RFC 5321 §4.2.1: 5yz replies are permanent, 4yz transient. Nodemailer sets
 * `permanent` from the reply (5xx except 503, a session-state complaint);
 * errors without a reply (refused connection, timeout, TLS) are transient.
 * Server replies often quote the recipient, so every address-like word and
 * every string in `secrets` is masked before the reason goes anywhere.
 */
export function describeSendFailure(error: unknown, secrets: string[]): SendFailure {
  const failure = (error ?? {}) as NodemailerError;
  const code = typeof failure.responseCode === 'number' ? failure.responseCode : undefined;
  const permanent = failure.permanent ?? (code !== undefined && code >= 500 && code !== 503);
  let reason: string;
  if (code !== undefined) {
    reason = `SMTP ${code}${failure.command ? ` after ${failure.command}` : ''}: ${failure.response ?? ''}`;
  } else {
    const kind = [
      failure.code,
      failure.originalCode && failure.originalCode !== failure.code ? failure.originalCode : undefined,
    ]
      .filter(Boolean)
      .join('/');
    reason = `${kind || 'error'}: ${failure.message ?? String(error)}`;
  }
  return { permanent, reason: redact(reason, secrets) };
}

/** A URL (a reset or verification link carries its token). */
const URL_LIKE = /\b[a-z][a-z0-9+.-]*:\/\/\S+/gi;
/** One of the service's own tokens (mfa_pr_…, mfa_ev_…, mfa_at_…), quoted without its link. */
const TOKEN_LIKE = /(?<![A-Za-z0-9])mfa_[a-z]{2}_[A-Za-z0-9_-]+/g;
/**
 * Six or more digits in a row: a one-time code, never an SMTP reply or enhanced status code (2.1.5, 550). Even glued
 * to a word ("code123456"), where a word boundary would let it through.
 */
const CODE_LIKE = /\d{6,}/g;
/** A reply to AUTH: servers echo the SMTP account's user name in it ("535 5.7.8 authentication failed for smtp-user"). */
const AUTH_REPLY = /^(SMTP \d{3} after AUTH\b[^:]*): (.*)$/s;
/** An RFC 3463 enhanced status code (5.7.8): what an AUTH reply keeps. */
const ENHANCED_STATUS = /\b[245]\.\d{1,3}\.\d{1,3}\b/;
/**
 * How much of a reason is read at all: a server's reply, or a stored reason another writer left, may be any size, and
 * the address pattern's cost grows with the square of an unbroken run's length (40,000 characters: a second).
 */
const MAX_REASON_SCANNED = 4 * MAX_REASON_CHARS;

/**
 * A stored failure reason as it may be shown to an operator (the admin console's mail queue). The worker already
 * wrote it through `describeSendFailure`, which masked the job's own address and params; this masks what it could
 * not know to look for — any address, link, token or code-like number in a reason another worker version or BullMQ
 * itself wrote, and whatever a reply to AUTH says besides its codes — and keeps the rest (the SMTP reply code, the
 * server's words) readable.
 */
export function redactFailedReason(reason: string): string {
  let scanned = bounded(reason);
  const auth = AUTH_REPLY.exec(scanned);
  if (auth) scanned = `${auth[1]}: ${ENHANCED_STATUS.exec(auth[2])?.[0] ?? ''} (the server's words are not shown)`;
  return redact(
    scanned.replace(URL_LIKE, '<link>').replace(TOKEN_LIKE, '[redacted]').replace(CODE_LIKE, '[redacted]'),
    [],
  );
}

/** The start of `text` the patterns read; a cut word is dropped, as it could be an address or token's front half. */
function bounded(text: string): string {
  return text.length > MAX_REASON_SCANNED ? text.slice(0, MAX_REASON_SCANNED).replace(/\S*$/, '…') : text;
}

function redact(text: string, secrets: string[]): string {
  let safe = bounded(text).replace(ADDRESS_LIKE, '<address>');
  for (const secret of secrets.filter((value) => value.length >= 3))
    safe = safe.replace(new RegExp(escapeRegExp(secret), 'gi'), '[redacted]');
  return safe.replace(/\s+/g, ' ').trim().slice(0, MAX_REASON_CHARS);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
