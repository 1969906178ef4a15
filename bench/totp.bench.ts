import { createHmac, timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ScureBase32Plugin, verifySync } from 'otplib';
import { generateTotpSecret, matchTotpStep } from '../plugins/totp/totp-code.js';
import { TOTP_DIGITS, TOTP_PERIOD_SECONDS, TOTP_WINDOW_STEPS } from '../plugins/totp/totp.constants.js';
import { formatTable } from './table.js';

export interface TotpBenchResult {
  /** Verifications per second, each trying the three steps T-1, T, T+1 with a code that matches none. */
  matchTotpStepPerSecond: number;
  rawHmacPerSecond: number;
  /** otplib with its own default crypto (pure-JS noble): what a fallback would look like. */
  otplibDefaultCryptoPerSecond: number;
  /** matchTotpStep ÷ raw HMAC: near 1 is overhead only; near the pure-JS ratio means Node's crypto is not used. */
  ratio: number;
}

const DIGITS_MODULUS = 10 ** TOTP_DIGITS;
const base32 = new ScureBase32Plugin();

/** HOTP (RFC 4226 §5.3) with Node's HMAC: counter as 8 big-endian bytes, dynamic truncation, modulo 10^digits. */
function hotp(key: Buffer, counter: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % DIGITS_MODULUS).padStart(TOTP_DIGITS, '0');
}

/** The same work as matchTotpStep with a wrong code: decode the secret, three candidates, constant-time compares. */
function rawVerify(secret: string, code: string, epochSeconds: number): number | null {
  const key = Buffer.from(base32.decode(secret));
  const step = Math.floor(epochSeconds / TOTP_PERIOD_SECONDS);
  let found: number | null = null;
  for (let candidate = step - TOTP_WINDOW_STEPS; candidate <= step + TOTP_WINDOW_STEPS; candidate++) {
    if (timingSafeEqual(Buffer.from(hotp(key, candidate)), Buffer.from(code)) && found === null) found = candidate;
  }
  return found;
}

function rate(operation: (i: number) => unknown, durationMs: number): number {
  for (let i = 0; i < 2_000; i++) operation(i); // JIT warm-up
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < durationMs) for (let i = 0; i < 100; i++, count++) operation(count);
  return count / ((performance.now() - started) / 1000);
}

export function benchTotp(options: { durationMs: number }): TotpBenchResult {
  const secret = generateTotpSecret();
  const epochSeconds = Math.floor(Date.now() / 1000);
  // A code that none of the three steps produces, so every verifier computes all three candidates.
  const key = Buffer.from(base32.decode(secret));
  const step = Math.floor(epochSeconds / TOTP_PERIOD_SECONDS);
  const window = new Set([-1, 0, 1].map((d) => hotp(key, step + d)));
  let wrong = 0;
  while (window.has(String(wrong).padStart(TOTP_DIGITS, '0'))) wrong++;
  const code = String(wrong).padStart(TOTP_DIGITS, '0');
  const now = epochSeconds * 1000;
  const tolerance = TOTP_WINDOW_STEPS * TOTP_PERIOD_SECONDS;

  const matchTotpStepPerSecond = rate(() => matchTotpStep({ secret, code, now }), options.durationMs);
  const rawHmacPerSecond = rate(() => rawVerify(secret, code, epochSeconds), options.durationMs);
  const otplibDefaultCryptoPerSecond = rate(
    () => verifySync({ secret, token: code, epoch: epochSeconds, epochTolerance: tolerance }),
    options.durationMs,
  );
  return {
    matchTotpStepPerSecond,
    rawHmacPerSecond,
    otplibDefaultCryptoPerSecond,
    ratio: matchTotpStepPerSecond / rawHmacPerSecond,
  };
}

export function totpReport(result: TotpBenchResult): string {
  const row = (name: string, perSecond: number) => [
    name,
    perSecond.toFixed(0),
    (perSecond / result.rawHmacPerSecond).toFixed(2),
  ];
  return formatTable([
    ['TOTP verify (3 candidates, wrong code)', 'verifies/s', '÷ raw HMAC'],
    row('matchTotpStep (otplib + Node crypto plugin)', result.matchTotpStepPerSecond),
    row('raw crypto.createHmac HOTP (RFC 4226 §5.3)', result.rawHmacPerSecond),
    row('otplib verifySync, default crypto (pure JS)', result.otplibDefaultCryptoPerSecond),
  ]);
}
