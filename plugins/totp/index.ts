import { codeFactor, type FactorPlugin, type FactorPluginOptions } from '../../src/plugin-kit.js';
import { otpauthUri } from './otpauth-uri.js';
import { qrCodeSvg } from './qr-code.js';
import { generateTotpSecret, matchTotpStep } from './totp-code.js';
import { TotpEnrollment } from './totp-enrollment.type.js';
import { TOTP_DIGITS, TOTP_SECRET_BYTES } from './totp.constants.js';

export interface TotpFactorOptions extends Pick<FactorPluginOptions, 'issuer'> {
  /** Secret length; RFC 4226 §4 asks for at least 128 bits and recommends 160. @default 20 */
  secretBytes?: number;
}

/**
 * Authenticator-app codes (RFC 6238: SHA-1, 6 digits, 30 s steps, ±1 step).
 * A code's time step is its replay key: the core spends it, so each code works once.
 */
export function totpFactor(options: TotpFactorOptions): FactorPlugin {
  const secretBytes = options.secretBytes ?? TOTP_SECRET_BYTES;
  return codeFactor({
    type: 'totp',
    displayName: 'Authentication app',
    pattern: new RegExp(`^[0-9]{${TOTP_DIGITS}}$`),
    detailsType: TotpEnrollment,
    async enroll({ owner }) {
      const secret = generateTotpSecret(secretBytes);
      const qrString = otpauthUri({ issuer: options.issuer, accountName: owner.username, secret });
      const details = Object.assign(new TotpEnrollment(), {
        secretKey: secret,
        qrString,
        qrCodeSvg: await qrCodeSvg(qrString),
      });
      return { secret, details };
    },
    async match({ factor, code, now, afterKey }) {
      if (!factor.secret) return null;
      return matchTotpStep({ secret: factor.secret, code, now, afterStep: afterKey });
    },
  });
}

export default totpFactor;
