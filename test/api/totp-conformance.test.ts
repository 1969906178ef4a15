import { totpFactor } from '../../plugins/totp/index.js';
import { type CodeContext, type CodeSource, codeAuthenticator, testFactorPlugin } from '../factor-conformance.js';
import { TOTP_STEP_MS, totpCode, wrongTotpCode } from '../support/mfa.js';

/** An authenticator app: codes from the secret in the enrollment details and the clock. */
const authenticatorApp: CodeSource = {
  fromEnrollment: ({ details, clock }) => totpCode(secretOf(details), clock),
  next: ({ details, clock }) => totpCode(secretOf(details), clock),
  freshCodeAfterMs: TOTP_STEP_MS,
  wrong(_validCode, { details, clock }: CodeContext) {
    // Not the code of any step the server accepts now (±1), only a different well-formed one.
    return wrongTotpCode(secretOf(details), clock);
  },
  secret: (details) => secretOf(details),
};

function secretOf(details: Record<string, unknown>): string {
  if (typeof details.secretKey !== 'string')
    throw new Error(`TOTP details without a secretKey: ${JSON.stringify(details)}`);
  return details.secretKey;
}

testFactorPlugin({
  plugin: () => totpFactor({ issuer: 'conformance' }),
  authenticator: codeAuthenticator(authenticatorApp),
});
