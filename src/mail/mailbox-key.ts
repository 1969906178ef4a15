import { domainToASCII } from 'node:url';

/** Domains whose mailboxes ignore dots in the local part (Gmail: "Dots don't matter in Gmail addresses"). */
const DOTLESS_DOMAINS = new Map([
  ['gmail.com', 'gmail.com'],
  ['googlemail.com', 'gmail.com'],
]);

/**
 * One string per mailbox, however an address spells it, for counting sends:
 * the domain in lowercase ASCII (IDNA, RFC 5891; domains are case-blind,
 * RFC 5321 §2.4), the local part in lowercase (case-sensitive only in theory,
 * §2.4), without a sub-address ("+tag", RFC 5233) and, for Gmail, without dots.
 * Two distinct mailboxes may share a key: a tighter count, never a looser one.
 */
export function mailboxKey(address: string): string {
  const trimmed = address.trim();
  const at = trimmed.lastIndexOf('@');
  const domain = trimmed
    .slice(at + 1)
    .replace(/\.$/, '')
    .toLowerCase();
  const asciiDomain = domainToASCII(domain) || domain;
  let local = trimmed.slice(0, at).normalize('NFC').toLowerCase();
  local = local.split('+')[0] || local;
  const dotless = DOTLESS_DOMAINS.get(asciiDomain);
  return dotless ? `${local.replaceAll('.', '')}@${dotless}` : `${local}@${asciiDomain}`;
}
