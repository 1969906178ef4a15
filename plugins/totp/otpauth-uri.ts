import type { TotpAlgorithm, TotpParameters } from './totp-code.js';
import { TOTP_ALGORITHM, TOTP_DIGITS, TOTP_PERIOD_SECONDS } from './totp.constants.js';

export interface OtpauthUriInput extends TotpParameters {
  /** Service name shown in the authenticator app, e.g. MFA_ISSUER. */
  issuer: string;
  /** The user's name or e-mail address. */
  accountName: string;
  /** Base32 secret without padding. */
  secret: string;
}

/**
 * The `otpauth://totp/` URI an authenticator app scans, in Google's Key Uri
 * Format: label `issuer:accountName`, then `secret`, `issuer`, `algorithm`,
 * `digits` and `period`, all written out even at their defaults.
 *
 * Issuer and account name are percent-encoded each on its own (RFC 3986, space
 * as %20, never '+'), so a ':' inside either becomes %3A and only the separator
 * stays a literal ':'. The format forbids colons in either name; encoding them
 * keeps such names intact for apps that split the label before decoding, and
 * the `issuer` parameter carries the issuer unambiguously for the others.
 * @throws TypeError for an empty issuer, account name or secret;
 *         URIError for a string with a lone surrogate.
 */
export function otpauthUri(input: OtpauthUriInput): string {
  const {
    issuer,
    accountName,
    secret,
    algorithm = TOTP_ALGORITHM,
    digits = TOTP_DIGITS,
    periodSeconds = TOTP_PERIOD_SECONDS,
  } = input;
  for (const [name, value] of Object.entries({ issuer, accountName, secret })) {
    if (typeof value !== 'string' || value.length === 0)
      throw new TypeError(`otpauthUri: ${name} must be a non-empty string`);
  }
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(accountName)}`;
  const query = [
    `secret=${encodeURIComponent(secret)}`,
    `issuer=${encodeURIComponent(issuer)}`,
    `algorithm=${uriAlgorithm(algorithm)}`,
    `digits=${digits}`,
    `period=${periodSeconds}`,
  ].join('&');
  return `otpauth://totp/${label}?${query}`;
}

function uriAlgorithm(algorithm: TotpAlgorithm): string {
  switch (algorithm) {
    case 'sha1':
      return 'SHA1';
    case 'sha256':
      return 'SHA256';
    case 'sha512':
      return 'SHA512';
  }
  throw new TypeError(`otpauthUri: unsupported algorithm ${String(algorithm)}`);
}
