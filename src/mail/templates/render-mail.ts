import { en } from './en.js';
import type { MailCatalog, MailTemplateName, MailTemplateParams, RenderedMail } from './mail-templates.js';

/** Locale → its catalog. Add a locale by adding a complete catalog here. */
const CATALOGS: Readonly<Record<string, MailCatalog>> = { en };
const FALLBACK_LOCALE = 'en';

/** `de-AT` → `de-AT`, else `de`, else English. */
export function resolveLocale(requested: string | undefined): string {
  if (!requested) return FALLBACK_LOCALE;
  const exact = Object.keys(CATALOGS).find((locale) => locale.toLowerCase() === requested.toLowerCase());
  if (exact) return exact;
  const language = requested.split(/[-_]/)[0].toLowerCase();
  return language in CATALOGS ? language : FALLBACK_LOCALE;
}

export function renderMail<T extends MailTemplateName>(
  template: T,
  params: MailTemplateParams[T],
  options: { locale?: string; issuer: string; publicUrl: string; requestedAt: Date },
): RenderedMail {
  const locale = resolveLocale(options.locale);
  const render = CATALOGS[locale][template] as (
    params: MailTemplateParams[T],
    context: Parameters<MailCatalog[T]>[1],
  ) => RenderedMail;
  return render(params, {
    issuer: params.issuer ?? options.issuer,
    publicUrl: options.publicUrl,
    requestedAt: options.requestedAt,
    locale,
  });
}
