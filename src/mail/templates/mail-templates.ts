/** Every mail the service sends; a job names one of these. */
export const MAIL_TEMPLATE_NAMES = [
  'mfa-code',
  'factor-added',
  'factor-removed',
  'recovery-code-used',
  'recovery-codes-regenerated',
  'mfa-changed-by-admin',
  'email-verification',
  'password-reset',
  'email-change-requested',
  'email-changed',
  'account-deactivated',
  'account-reactivated',
  'account-deleted',
  'account-unlocked',
  'account-role-changed',
  'password-changed',
  'password-reset-required',
] as const;

export type MailTemplateName = (typeof MAIL_TEMPLATE_NAMES)[number];

/**
 * The params each template reads. `issuer` (the service name the user knows)
 * is optional everywhere and defaults to MFA_ISSUER. The time a notice names
 * is when the mail was enqueued, so callers do not pass it.
 */
export interface MailTemplateParams {
  /** A one-time code by e-mail: `code` is the code itself, `minutes` its lifetime. */
  'mfa-code': { code: string; minutes: number; issuer?: string };
  /** `factor`: what was added, as the user would name it (e.g. "Authentication app"). */
  'factor-added': { factor: string; issuer?: string };
  'factor-removed': { factor: string; issuer?: string };
  /** `remaining`: unused recovery codes left. */
  'recovery-code-used': { remaining: number; issuer?: string };
  'recovery-codes-regenerated': { issuer?: string };
  /** `what`: the change, in words (e.g. "turned off two-step sign-in"). */
  'mfa-changed-by-admin': { what: string; issuer?: string };
  /** `token`: the single-use verification token; `hours`: its lifetime. */
  'email-verification': { token: string; hours: number; issuer?: string };
  /** `token`: the single-use reset token; `minutes`: its lifetime; `username`: whose account (one address may have several). */
  'password-reset': { token: string; minutes: number; username: string; issuer?: string };
  /** To the old address: `newAddress`, masked, is waiting for its verification. */
  'email-change-requested': { newAddress: string; issuer?: string };
  /** To the old address: the change is done, `newAddress` masked. */
  'email-changed': { newAddress: string; issuer?: string };
  /** An administrator's user management (notices to the account concerned). */
  'account-deactivated': { issuer?: string };
  'account-reactivated': { issuer?: string };
  'account-deleted': { issuer?: string };
  'account-unlocked': { issuer?: string };
  /** `role`: the new role, as the API names it ("ADMIN", "USER"). */
  'account-role-changed': { role: string; issuer?: string };
  /** `via`: "change" (by the owner, who stays signed in there) or "reset" (every session ended). */
  'password-changed': { via: 'change' | 'reset'; issuer?: string };
  'password-reset-required': { issuer?: string };
}

/** Params a template cannot render without; checked when a mail is enqueued, not when it is sent. */
export const REQUIRED_PARAMS: {
  readonly [T in MailTemplateName]: ReadonlyArray<keyof MailTemplateParams[T] & string>;
} = {
  'mfa-code': ['code', 'minutes'],
  'factor-added': ['factor'],
  'factor-removed': ['factor'],
  'recovery-code-used': ['remaining'],
  'recovery-codes-regenerated': [],
  'mfa-changed-by-admin': ['what'],
  'email-verification': ['token', 'hours'],
  'password-reset': ['token', 'minutes', 'username'],
  'email-change-requested': ['newAddress'],
  'email-changed': ['newAddress'],
  'account-deactivated': [],
  'account-reactivated': [],
  'account-deleted': [],
  'account-unlocked': [],
  'account-role-changed': ['role'],
  'password-changed': ['via'],
  'password-reset-required': [],
};

export function isMailTemplateName(name: unknown): name is MailTemplateName {
  return typeof name === 'string' && (MAIL_TEMPLATE_NAMES as readonly string[]).includes(name);
}

/** What a renderer produces: both bodies of one mail. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export interface RenderContext {
  /** The service name shown to the user. */
  issuer: string;
  /** Where the service's pages are (PUBLIC_URL, no trailing slash): the console's pages that mails link to. */
  publicUrl: string;
  /** When the mail was asked for; notices say when the change happened. */
  requestedAt: Date;
  /** The locale actually used (after falling back). */
  locale: string;
}

/** One locale's renderers: every template, so a locale is complete or absent. */
export type MailCatalog = {
  readonly [T in MailTemplateName]: (params: MailTemplateParams[T], context: RenderContext) => RenderedMail;
};
