import { hash, randomBytes } from 'node:crypto';

/** 256 random bits: far beyond guessing, so a fast hash is enough to store them (no offline attack on 2^256). */
const TOKEN_BYTES = 32;

/**
 * `lastUsedAt` of sessions and API keys is written at most this often, so a
 * busy credential does not turn every read into a write.
 */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** A new opaque token: `prefix` + base64url of random bytes. */
export function newOpaqueToken(prefix: string, bytes = TOKEN_BYTES): string {
  return prefix + randomBytes(bytes).toString('base64url');
}

/** The base64url of TOKEN_BYTES random bytes, as newOpaqueToken writes it after the prefix. */
const TOKEN_BODY = /^[A-Za-z0-9_-]{43}$/;

/**
 * What the database keeps of `token` when it has the shape newOpaqueToken gives with `prefix`; undefined for
 * anything else, which no lookup should be spent on.
 */
export function opaqueTokenHash(token: string, prefix: string): string | undefined {
  return token.startsWith(prefix) && TOKEN_BODY.test(token.slice(prefix.length)) ? hashToken(token) : undefined;
}

/**
 * What the database keeps instead of a token. The one-shot `crypto.hash` (Node ≥ 20.12): every authenticated request
 * hashes its token, and it takes a third of the time of a Hash object.
 */
export function hashToken(token: string): string {
  return hash('sha256', token, 'base64url');
}
