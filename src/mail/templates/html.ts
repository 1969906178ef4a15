const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Every param goes through this before it reaches HTML: a user-chosen name is not markup. */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]);
}

/** A header value on one line: params reach the subject, and a line break there would start a new header. */
export function oneLine(value: string | number): string {
  return String(value)
    .replace(/[\r\n\t]+/g, ' ')
    .trim();
}

/**
 * The HTML body: self-contained, inline styles only — no remote images, no
 * tracking pixels, and no links in security notices (a security mail must not look like phishing; mail clients block
 * remote content anyway, and a notice with links teaches users to click them). The one exception is the mail a user
 * has just asked for (password reset, address confirmation): it links to the service's own page (PUBLIC_URL), the
 * address written out, beside the token to type.
 * `blocks` are already-escaped HTML fragments.
 */
export function htmlDocument(options: { lang: string; title: string; blocks: string[] }): string {
  const body = options.blocks.map((block) => `<p style="margin:0 0 16px">${block}</p>`).join('\n');
  return [
    '<!DOCTYPE html>',
    `<html lang="${escapeHtml(options.lang)}">`,
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
    `<title>${escapeHtml(options.title)}</title></head>`,
    '<body style="margin:0;padding:24px;background:#f6f6f6;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#222">',
    '<div style="max-width:520px;margin:0 auto;padding:24px;background:#fff;border-radius:8px;line-height:1.5;font-size:15px">',
    body,
    '</div></body></html>',
  ].join('\n');
}

/** A link that shows its own address, so the reader sees where it goes before opening it. */
export function htmlLink(url: string): string {
  return `<a href="${escapeHtml(url)}" style="color:#0b57d0;word-break:break-all">${escapeHtml(url)}</a>`;
}

/** A code set apart so it is easy to read and copy. */
export function htmlCode(code: string): string {
  const style = [
    'display:inline-block',
    'padding:8px 16px',
    'font-size:28px',
    'letter-spacing:6px',
    'font-family:Menlo,Consolas,monospace',
    'background:#f0f0f0',
    'border-radius:6px',
  ].join(';');
  return `<span style="${style}">${escapeHtml(code)}</span>`;
}
