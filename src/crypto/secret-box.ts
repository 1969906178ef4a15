import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ConfigError } from '../config/config-error.js';

/** AES-256 takes exactly this many key bytes. */
export const KEY_BYTES = 32;
/** 96-bit IVs: the length NIST SP 800-38D §8.2 recommends for GCM. */
const IV_BYTES = 12;
/** Full 128-bit tags; shorter ones weaken forgery resistance (SP 800-38D §5.2.1.2, Appendix C). */
const TAG_BYTES = 16;
const KID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
const ENV = 'MFA_ENCRYPTION_KEYS';

export type EncryptionKey = { readonly kid: string; readonly key: Buffer };

/** A secret as stored: all base64, plain JSON. `kid` names the key that sealed it. */
export type SealedSecret = { kid: string; iv: string; tag: string; data: string };

export type SecretBoxErrorCode = 'UNKNOWN_KEY' | 'MALFORMED' | 'AUTHENTICATION_FAILED';

/** Opening failed. Never carries plaintext or key material. */
export class SecretBoxError extends Error {
  constructor(
    readonly code: SecretBoxErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/**
 * Parses `kid:base64key,kid2:base64key`; the first key encrypts. Messages name
 * entries by position and never echo them, because a malformed entry may be a
 * pasted key.
 */
export function parseEncryptionKeys(spec: string): EncryptionKey[] {
  if (spec.trim() === '') throw new ConfigError(`${ENV} is empty; expected kid:base64key[,kid:base64key...]`);
  const keys: EncryptionKey[] = [];
  for (const [index, entry] of spec
    .split(',')
    .map((part) => part.trim())
    .entries()) {
    const where = `${ENV} entry ${index + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) throw new ConfigError(`${where} is not kid:base64key`);
    const kid = entry.slice(0, colon);
    if (!KID_PATTERN.test(kid)) throw new ConfigError(`${where}: the kid must be 1-32 characters of A-Z a-z 0-9 _ -`);
    const key = strictBase64(entry.slice(colon + 1));
    if (key?.length !== KEY_BYTES)
      throw new ConfigError(
        `${where} (kid "${kid}"): the key must be ${KEY_BYTES} bytes in base64 (openssl rand -base64 32)`,
      );
    if (keys.some((known) => known.kid === kid)) throw new ConfigError(`${where}: kid "${kid}" appears twice`);
    keys.push({ kid, key });
  }
  return keys;
}

/** AES-256-GCM for factor secrets at rest, with key ids so keys can rotate. */
export class SecretBox {
  readonly #keys: ReadonlyMap<string, Buffer>;
  /** Derived keyed-hash keys by purpose and kid: HKDF is deterministic, and the code paths ask on every request. */
  readonly #hmacKeys = new Map<string, Buffer>();
  /** The kid new secrets are sealed under. */
  readonly currentKid: string;
  /** Every configured kid, the current one first. */
  readonly kids: readonly string[];

  constructor(keys: readonly EncryptionKey[]) {
    const unique = new Set(keys.map(({ kid }) => kid)).size === keys.length;
    if (keys.length === 0 || !unique || keys.some(({ key }) => key.length !== KEY_BYTES))
      throw new ConfigError(`${ENV}: needs unique kids and ${KEY_BYTES}-byte keys`);
    this.#keys = new Map(keys.map(({ kid, key }) => [kid, Buffer.from(key)]));
    this.currentKid = keys[0].kid;
    this.kids = keys.map(({ kid }) => kid);
  }

  static fromSpec(spec: string): SecretBox {
    return new SecretBox(parseEncryptionKeys(spec));
  }

  /**
   * `context` is authenticated but not stored (e.g. `factor:<id>`), so a
   * ciphertext copied onto another record does not open there.
   */
  seal(plaintext: string, context: string): SealedSecret {
    // A fresh random IV per message: with 96-bit random IVs, SP 800-38D §8.3
    // allows 2^32 messages per key before the chance of a repeat matters.
    const iv = randomBytes(IV_BYTES);
    requireContext(context);
    const cipher = createCipheriv('aes-256-gcm', this.#key(this.currentKid), iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      kid: this.currentKid,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
  }

  open(sealed: SealedSecret, context: string): string {
    requireContext(context);
    if (typeof sealed !== 'object' || sealed === null) throw malformed();
    const key = this.#key(sealed.kid);
    const iv = strictBase64(sealed.iv);
    const tag = strictBase64(sealed.tag);
    const data = strictBase64(sealed.data);
    if (iv?.length !== IV_BYTES || tag?.length !== TAG_BYTES || !data) throw malformed();
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(
        'AUTHENTICATION_FAILED',
        `Sealed secret (kid "${sealed.kid}") failed authentication: tampered, or another context`,
      );
    }
  }

  /** True when sealed under an older key: open and seal again to move it to the current one. */
  needsRotation(sealed: SealedSecret): boolean {
    return sealed.kid !== this.currentKid;
  }

  /**
   * A 256-bit key for keyed hashes (e.g. purpose 'recovery-codes'), derived
   * with HKDF-SHA256 (RFC 5869) from an encryption key: it lives outside the
   * database, differs per purpose (the `info` input, §3.2), and an old kid's
   * key stays derivable while that kid is configured. No salt: the input key
   * is already uniformly random (§3.1).
   */
  hmacKey(purpose: string, kid: string = this.currentKid): { kid: string; key: Buffer } {
    if (purpose === '') throw new TypeError('hmacKey needs a purpose');
    const cacheKey = JSON.stringify([purpose, kid]);
    let key = this.#hmacKeys.get(cacheKey);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.#key(kid), Buffer.alloc(0), `mfa-graphql/hmac/${purpose}`, KEY_BYTES));
      this.#hmacKeys.set(cacheKey, key);
    }
    return { kid, key: Buffer.from(key) }; // a copy: a caller that wipes its key must not wipe the cache
  }

  #key(kid: string | undefined): Buffer {
    const key = typeof kid === 'string' ? this.#keys.get(kid) : undefined;
    const shown = typeof kid === 'string' && KID_PATTERN.test(kid) ? `"${kid}"` : '(not a valid kid)';
    if (!key) throw new SecretBoxError('UNKNOWN_KEY', `No encryption key with kid ${shown} is configured (${ENV})`);
    return key;
  }
}

const malformed = () =>
  new SecretBoxError(
    'MALFORMED',
    'Sealed secret is malformed: iv, tag or data is not canonical base64 of the right length',
  );

/** An empty context would silently drop the binding to a record. */
function requireContext(context: string): void {
  if (typeof context !== 'string' || context === '')
    throw new TypeError('SecretBox needs a non-empty context, e.g. factor:<id>');
}

/** Canonical base64 only: Node's decoder skips junk silently, which would hide typos and tampering. */
function strictBase64(text: unknown): Buffer | undefined {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}
