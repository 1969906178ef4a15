/**
 * The TOTP numbers of this service, each with its reason beside it, each the
 * default of an option a deployment may override.
 */

/**
 * Hash of the HMAC. RFC 6238 §1.2 allows SHA-256 and SHA-512 as well, but
 * several authenticator apps ignore the `algorithm` URI parameter and always
 * use SHA-1 (RFC 4226 §5), so SHA-1 is the only safe default.
 */
export const TOTP_ALGORITHM = 'sha1';

/** Digits per code; RFC 4226 §5.3 requires at least 6. */
export const TOTP_DIGITS = 6;

/** Time-step size X; RFC 6238 §5.2 recommends 30 s as a balance of security and usability. */
export const TOTP_PERIOD_SECONDS = 30;

/**
 * Steps accepted on either side of the current one. RFC 6238 §5.2 recommends
 * at most one step of allowed network delay; we take one back for delay and
 * one forward for a phone clock that runs fast.
 */
export const TOTP_WINDOW_STEPS = 1;

/** Secret length; RFC 4226 §4 (R6) recommends 160 bits. */
export const TOTP_SECRET_BYTES = 20;

/** Shortest secret accepted; RFC 4226 §4 (R6): at least 128 bits. */
export const TOTP_MIN_SECRET_BYTES = 16;

/**
 * Longest secret accepted: otplib's MAX_SECRET_BYTES guardrail. It also fits
 * the HMAC block of SHA-1/SHA-256 (64 bytes, RFC 2104 §2), so the key is not
 * hashed down first.
 */
export const TOTP_MAX_SECRET_BYTES = 64;

/** Code lengths RFC 4226 §5.3 defines (6, "possibly 7 and 8"). */
export const TOTP_MIN_DIGITS = 6;
export const TOTP_MAX_DIGITS = 8;
