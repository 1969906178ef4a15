import { ScureBase32Plugin, generateSecret, generateSync, verifySync } from 'otplib';
import { NodeCryptoPlugin } from '@otplib/plugin-crypto-node';
import {
  TOTP_ALGORITHM,
  TOTP_DIGITS,
  TOTP_MAX_DIGITS,
  TOTP_MAX_SECRET_BYTES,
  TOTP_MIN_DIGITS,
  TOTP_MIN_SECRET_BYTES,
  TOTP_PERIOD_SECONDS,
  TOTP_SECRET_BYTES,
  TOTP_WINDOW_STEPS,
} from './totp.constants.js';

export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

// Built once: otplib's functional API defaults to the pure-JS noble crypto,
// so every call below passes Node's OpenSSL-backed HMAC, randomBytes and
// timingSafeEqual explicitly.
const nodeCrypto = new NodeCryptoPlugin();
const base32 = new ScureBase32Plugin();

const ASCII_ZERO = 0x30;
const ASCII_NINE = 0x39;

/** How codes are computed; every field is optional. */
export interface TotpParameters {
  /** @default 'sha1' */
  algorithm?: TotpAlgorithm;
  /** Digits per code, 6 to 8 (RFC 4226 §5.3). @default 6 */
  digits?: number;
  /** Time-step size X (RFC 6238 §4.1). @default 30 */
  periodSeconds?: number;
}

export interface MatchTotpStepInput extends TotpParameters {
  /** The factor's secret, base32 (RFC 4648) without padding. */
  secret: string;
  /** What the user typed. Only `^\d{digits}$` in ASCII can match. */
  code: string;
  /** The server's clock. @default Date.now() */
  now?: Date | number;
  /** Steps accepted on either side of the current one. @default 1 */
  window?: number;
  /**
   * The factor's last accepted step, if any: this step and older ones are not
   * tried, so a replayed code cannot match (RFC 6238 §5.2). The caller must
   * still record the returned step atomically.
   */
  afterStep?: number;
}

export interface GenerateTotpCodeInput extends TotpParameters {
  /** Base32 secret, as for {@link matchTotpStep}. */
  secret: string;
  /** @default Date.now() */
  now?: Date | number;
}

/**
 * A new random TOTP secret, base32 without padding, from Node's CSPRNG.
 * @param bytes Secret length, 16 to 64 (RFC 4226 §4 R6: ≥ 128 bits, 160 recommended). @default 20
 */
export function generateTotpSecret(bytes: number = TOTP_SECRET_BYTES): string {
  if (!Number.isInteger(bytes) || bytes < TOTP_MIN_SECRET_BYTES || bytes > TOTP_MAX_SECRET_BYTES) {
    throw new RangeError(
      `TOTP secret length must be ${TOTP_MIN_SECRET_BYTES}..${TOTP_MAX_SECRET_BYTES} bytes, got ${bytes}`,
    );
  }
  return generateSecret({ length: bytes, crypto: nodeCrypto, base32 });
}

/**
 * The time step T = floor(unix seconds / X) whose code equals `code`, trying
 * the current step and `window` steps on either side, or `null`. Malformed
 * codes are refused before any HMAC is computed; candidates are compared in
 * constant time (Node's timingSafeEqual). Returning the step, not a boolean,
 * lets the caller refuse a step it has already accepted (RFC 6238 §5.2: "the
 * verifier MUST NOT accept the second attempt of the OTP").
 * @throws RangeError for bad parameters; otplib errors for a corrupt secret.
 */
export function matchTotpStep(input: MatchTotpStepInput): number | null {
  const { secret, code, now = Date.now(), window = TOTP_WINDOW_STEPS, afterStep } = input;
  const { algorithm, digits, periodSeconds } = checkedParameters(input);
  if (!Number.isSafeInteger(window) || window < 0)
    throw new RangeError(`window must be a non-negative integer, got ${window}`);
  if (!isAsciiDigits(code, digits)) return null;
  const epochSeconds = toEpochSeconds(now);
  if (afterStep !== undefined) {
    if (!Number.isSafeInteger(afterStep) || afterStep < 0)
      throw new RangeError(`afterStep must be a non-negative integer, got ${afterStep}`);
    // otplib throws when afterTimeStep lies beyond the window; nothing could match then anyway.
    if (afterStep >= Math.floor(epochSeconds / periodSeconds) + window) return null;
  }
  const result = verifySync({
    secret,
    token: code,
    algorithm,
    digits,
    period: periodSeconds,
    epoch: epochSeconds,
    // otplib's tolerance is in seconds: ±window·X gives steps T-window..T+window.
    epochTolerance: window * periodSeconds,
    afterTimeStep: afterStep,
    crypto: nodeCrypto,
    base32,
  });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}

/** The code for the step containing `now`: for tests and conformance suites, never sent by the server. */
export function generateTotpCode(input: GenerateTotpCodeInput): string {
  const { algorithm, digits, periodSeconds } = checkedParameters(input);
  return generateSync({
    secret: input.secret,
    algorithm,
    digits,
    period: periodSeconds,
    epoch: toEpochSeconds(input.now ?? Date.now()),
    crypto: nodeCrypto,
    base32,
  });
}

function checkedParameters(input: TotpParameters): Required<TotpParameters> {
  const { algorithm = TOTP_ALGORITHM, digits = TOTP_DIGITS, periodSeconds = TOTP_PERIOD_SECONDS } = input;
  if (!Number.isInteger(digits) || digits < TOTP_MIN_DIGITS || digits > TOTP_MAX_DIGITS) {
    throw new RangeError(`digits must be ${TOTP_MIN_DIGITS}..${TOTP_MAX_DIGITS}, got ${digits}`);
  }
  if (!Number.isInteger(periodSeconds) || periodSeconds < 1) {
    throw new RangeError(`periodSeconds must be a positive integer, got ${periodSeconds}`);
  }
  return { algorithm, digits, periodSeconds };
}

/** `^\d{digits}$` in ASCII only, without a RegExp: no full-width digits, signs or spaces. */
function isAsciiDigits(code: unknown, digits: number): code is string {
  if (typeof code !== 'string' || code.length !== digits) return false;
  for (let i = 0; i < digits; i++) {
    const c = code.charCodeAt(i);
    if (c < ASCII_ZERO || c > ASCII_NINE) return false;
  }
  return true;
}

function toEpochSeconds(now: Date | number): number {
  const ms = typeof now === 'number' ? now : now.getTime();
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`now must be a valid time, got ${String(now)}`);
  return Math.floor(ms / 1000);
}
