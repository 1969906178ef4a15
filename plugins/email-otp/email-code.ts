import { randomInt, timingSafeEqual } from 'node:crypto';

/** Six digits, valid 10 minutes: long enough for mail to arrive, short enough that a leaked code soon dies. */
export const EMAIL_CODE_DIGITS = 6;
export const EMAIL_CODE_TTL_MS = 10 * 60_000;

/** A uniformly random code of EMAIL_CODE_DIGITS digits, leading zeros kept. */
export function newEmailCode(): string {
  return randomInt(0, 10 ** EMAIL_CODE_DIGITS)
    .toString()
    .padStart(EMAIL_CODE_DIGITS, '0');
}

/** What is hashed for send `sequence`: binding the sequence makes an earlier send's code useless against a later hash. */
export function codeHashInput(sequence: number, code: string): string {
  return `${sequence}:${code}`;
}

export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** `alice@example.com` → `a***e@example.com`: enough to recognise the address, not to harvest it. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const visible = local.length <= 2 ? local.slice(0, 1) : `${local[0]}***${local[local.length - 1]}`;
  return `${visible}${local.length <= 2 ? '***' : ''}${address.slice(at)}`;
}
