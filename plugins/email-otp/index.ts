import { badInput, codeFactor, mailboxKey, type FactorPlugin, type FactorPluginOptions } from '../../src/plugin-kit.js';
import {
  EMAIL_CODE_DIGITS,
  EMAIL_CODE_TTL_MS,
  codeHashInput,
  hashesEqual,
  maskEmail,
  newEmailCode,
} from './email-code.js';
import { EmailEnrollment } from './email-enrollment.type.js';

/** What the factor keeps between a send and the code's use; the code itself only as a keyed hash. */
interface EmailCodeState {
  maskedEmail: string;
  /** Sends so far; a code's send number is its replay key, so the core spends each send once. */
  sequence?: number;
  codeHash?: string;
  /** Epoch ms after which the code is refused. */
  codeExpiresAt?: number;
}

/**
 * One-time codes by e-mail (as in Catalogic vStor). NIST SP 800-63B §5.1.3.1 does not count
 * e-mail as an out-of-band authenticator: admins can disallow this type.
 * The address is the factor's sealed secret; each send replaces the code.
 */
export function emailOtpFactor(options: FactorPluginOptions): FactorPlugin {
  return codeFactor({
    type: 'email',
    displayName: 'One-time e-mail password',
    pattern: new RegExp(`^[0-9]{${EMAIL_CODE_DIGITS}}$`),
    detailsType: EmailEnrollment,
    delivery: { cooldownSeconds: 30, maxSendsPerHour: 10, maxAttemptsPerCode: 5 },
    async enroll({ owner, input }) {
      const address = typeof input.email === 'string' ? input.email : owner.email;
      if (!address) throw badInput('email', 'Give the address for codes: the account has none.');
      const maskedEmail = maskEmail(address);
      return {
        secret: address,
        state: { maskedEmail } satisfies EmailCodeState,
        details: Object.assign(new EmailEnrollment(), { maskedEmail }),
      };
    },
    async deliver({ factor, now, keyedHash }) {
      const state = factor.state as unknown as EmailCodeState;
      const sequence = (state.sequence ?? 0) + 1;
      const code = newEmailCode();
      const next: EmailCodeState = {
        ...state,
        sequence,
        codeHash: keyedHash(codeHashInput(sequence, code)),
        codeExpiresAt: now.getTime() + EMAIL_CODE_TTL_MS,
      };
      return {
        factorState: { ...next },
        send: () =>
          options.mail.send(
            {
              template: 'mfa-code',
              to: factor.secret!,
              params: { code, minutes: EMAIL_CODE_TTL_MS / 60_000, issuer: options.issuer },
            },
            { idempotencyKey: `mfa-code:${factor.id}:${sequence}` },
          ),
      };
    },
    destination: (factor) => mailboxKey(factor.secret!),
    provenEmail: (factor) => factor.secret,
    async match({ factor, code, now, keyedHash }) {
      const { sequence, codeHash, codeExpiresAt } = factor.state as unknown as EmailCodeState;
      if (sequence === undefined || !codeHash || codeExpiresAt === undefined || now.getTime() >= codeExpiresAt)
        return null;
      return hashesEqual(keyedHash(codeHashInput(sequence, code)), codeHash) ? sequence : null;
    },
  });
}

export default emailOtpFactor;
