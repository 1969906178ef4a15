import { escapeHtml, htmlCode, htmlDocument, htmlLink, oneLine } from './html.js';
import type { RenderContext, RenderedMail } from './mail-templates.js';

/** One paragraph in both forms: params raw in the text body, escaped in the HTML one. */
export interface Paragraph {
  text: string;
  html: string;
}

/** A paragraph whose interpolated values are params: `p\`Hello ${name}\``. */
export function p(strings: TemplateStringsArray, ...values: Array<string | number>): Paragraph {
  let text = strings[0];
  let html = escapeHtml(strings[0]);
  values.forEach((value, index) => {
    text += String(value) + strings[index + 1];
    html += escapeHtml(value) + escapeHtml(strings[index + 1]);
  });
  return { text, html };
}

/** One paragraph from sentences written apart (to keep source lines short), a space between them. */
export function sentences(...parts: Paragraph[]): Paragraph {
  return { text: parts.map((part) => part.text).join(' '), html: parts.map((part) => part.html).join(' ') };
}

/** A one-time code on its own line, large in HTML. */
export function codeBlock(code: string): Paragraph {
  return { text: `    ${code}`, html: htmlCode(code) };
}

/** A link on its own line: the address itself, in text and HTML, so the reader sees where it goes. */
export function link(url: string): Paragraph {
  return { text: `    ${url}`, html: htmlLink(url) };
}

/**
 * A page of the web console for a single-use token: the token goes in the fragment, which a browser never sends to
 * a server, so it reaches no access log and no Referer; the page reads it and calls the API.
 */
export function consolePage(context: RenderContext, page: string, token: string): string {
  return `${context.publicUrl}/${page}#token=${encodeURIComponent(token)}`;
}

/** When something happened, in UTC: the reader's time zone is unknown, and UTC is unambiguous. */
export function formatWhen(context: RenderContext): string {
  return new Intl.DateTimeFormat(context.locale, { dateStyle: 'long', timeStyle: 'long', timeZone: 'UTC' }).format(
    context.requestedAt,
  );
}

export function compose(context: RenderContext, subject: string, paragraphs: Paragraph[]): RenderedMail {
  const title = oneLine(subject);
  return {
    subject: title,
    text: `${paragraphs.map((paragraph) => paragraph.text).join('\n\n')}\n`,
    html: htmlDocument({ lang: context.locale, title, blocks: paragraphs.map((paragraph) => paragraph.html) }),
  };
}
