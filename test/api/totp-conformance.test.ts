import { totpFactor } from '../../plugins/totp/index.js';
import { type CodeContext, type CodeSource, testFactorPlugin } from '../factor-conformance.js';
import { TOTP_STEP_MS, totpCode } from '../support/mfa.js';

/** An authenticator app: codes from the secret in the enrollment details and the clock. */
const authenticatorApp: CodeSource = {
  fromEnrollment: ({ details, clock }) => totpCode(secretOf(details), clock),
  next: ({ details, clock }) => totpCode(secretOf(details), clock),
  freshCodeAfterMs: TOTP_STEP_MS,
  wrong(validCode, { details, clock }: CodeContext) {
    // Not the code of any step the server accepts now (±1), only a different well-formed one.
    const window = new Set([-1, 0, 1].map((steps) => totpCode(secretOf(details), clock, steps)));
    let code = validCode;
    do code = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    while (window.has(code));
    return code;
  },
  secret: (details) => secretOf(details),
};

function secretOf(details: Record<string, unknown>): string {
  if (typeof details.secretKey !== 'string') throw new Error(`TOTP details without a secretKey: ${JSON.stringify(details)}`);
  return details.secretKey;
}

testFactorPlugin({ plugin: () => totpFactor({ issuer: 'conformance' }), codes: authenticatorApp });
