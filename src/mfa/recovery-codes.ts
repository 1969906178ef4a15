import { createHmac, randomBytes } from 'node:crypto';

/** RFC 4648 §6 base32: no 0, 1, 8 or 9, so 0/O and 1/I/L cannot be confused. */
const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE32_BITS_PER_CHAR = 5;

/**
 * Entropy per code. NIST SP 800-63B-4 §4.2.1.1 (saved recovery codes): "at
 * least 64 bits from an approved random bit generator". 80 bits = 16 base32
 * characters: the shortest length above 64 bits that splits into groups of four.
 */
export const RECOVERY_CODE_BITS = 80;
/** Characters in a normalized code: 80 / 5. */
export const RECOVERY_CODE_CHARS = RECOVERY_CODE_BITS / BASE32_BITS_PER_CHAR;
/** Characters per dash-separated group in the readable form `XXXX-XXXX-XXXX-XXXX`. */
export const RECOVERY_CODE_GROUP_CHARS = 4;
/** Codes issued at once: ten, enough to last until the user makes new ones, few enough to print or copy. */
export const RECOVERY_CODE_COUNT_DEFAULT = 10;
/** Upper bound on one batch; a typo in a caller should not mint a million codes. */
const RECOVERY_CODE_COUNT_MAX = 100;
/**
 * Longest code or recovery code looked at; longer input is refused before any
 * work (the core and the GraphQL inputs use it): generous for spaces and dashes, small enough to be cheap.
 */
export const MAX_CODE_INPUT_CHARS = 64;
/** HMAC keys at least as long as the hash output (NIST SP 800-107r1 §5.3.4). */
const HMAC_KEY_MIN_BYTES = 32;

/** Keyed hashes of recovery codes use this purpose's key (SecretBox.hmacKey), never the database's. */
export const RECOVERY_CODE_HMAC_PURPOSE = 'recovery-codes';

/** Recovery codes as stored, on the user and on a pending enrollment: keyed hashes, never the codes. */
export interface RecoveryCodeSet {
  /** Which key the hashes are keyed with (see SecretBox.hmacKey). */
  kid: string;
  hashes: string[];
}

const RECOVERY_CODE_BYTES = RECOVERY_CODE_BITS / 8;
/**
 * What a person may put between characters: ASCII space, tab and '-', plus
 * the no-break space and the Unicode dashes (U+2010–U+2015, U+2212) that word
 * processors and notes apps substitute when codes are copied around.
 * Separators carry no information, so accepting them costs no entropy.
 * Letters and digits, on the other hand, must be ASCII: no NFKC folding, so
 * full-width 'Ａ' is refused rather than guessed at.
 */
const SEPARATORS = /[ \t\u00A0\u2010-\u2015\u2212-]/g;
const CODE_PATTERN = new RegExp(`^[A-Za-z2-7]{${RECOVERY_CODE_CHARS}}$`);
const NORMALIZED_PATTERN = new RegExp(`^[A-Z2-7]{${RECOVERY_CODE_CHARS}}$`);

/** `count` fresh codes in their readable form, e.g. `K7QX-M2PA-W4ZR-6TBD`. Show once; store only hashes. */
export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT_DEFAULT): string[] {
  if (!Number.isInteger(count) || count < 1 || count > RECOVERY_CODE_COUNT_MAX) {
    throw new RangeError(`Recovery code count must be an integer from 1 to ${RECOVERY_CODE_COUNT_MAX}`);
  }
  return Array.from({ length: count }, () => {
    const code = base32(randomBytes(RECOVERY_CODE_BYTES));
    return code.match(new RegExp(`.{${RECOVERY_CODE_GROUP_CHARS}}`, 'g'))!.join('-');
  });
}

/**
 * The canonical form of what a person typed (16 upper-case base32 characters),
 * or null when it cannot be a recovery code. Case, spaces and dashes do not matter.
 */
export function normalizeRecoveryCode(input: string): string | null {
  if (typeof input !== 'string' || input.length > MAX_CODE_INPUT_CHARS) return null;
  const compact = input.replace(SEPARATORS, '');
  // Checked before upper-casing: toUpperCase maps 'ı' to 'I', 'ſ' to 'S' and 'ﬀ' to 'FF'.
  return CODE_PATTERN.test(compact) ? compact.toUpperCase() : null;
}

/**
 * What the database keeps: HMAC-SHA256 over the user id and the normalized
 * code, base64url. The key (SecretBox.hmacKey('recovery-codes')) is not in the
 * database, so a stolen table cannot be brute-forced offline; the user id makes
 * one user's hash useless for anyone else.
 */
export function hashRecoveryCode(normalized: string, userId: string, key: Buffer): string {
  if (!NORMALIZED_PATTERN.test(normalized))
    throw new TypeError('hashRecoveryCode takes the output of normalizeRecoveryCode');
  if (userId === '') throw new TypeError('hashRecoveryCode needs a user id');
  if (key.length < HMAC_KEY_MIN_BYTES) throw new RangeError(`HMAC key must be at least ${HMAC_KEY_MIN_BYTES} bytes`);
  // The code has a fixed length, so "<userId>\0<code>" cannot be read two ways.
  return createHmac('sha256', key).update(`${userId}\0${normalized}`, 'utf8').digest('base64url');
}

/** RFC 4648 §6 without padding; whole 5-bit groups only (80 bits = 16 characters). */
function base32(bytes: Buffer): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= BASE32_BITS_PER_CHAR) {
      bits -= BASE32_BITS_PER_CHAR;
      out += BASE32_ALPHABET[(buffer >> bits) & 0b11111];
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}
