import assert from 'node:assert/strict';
import { emailOtpFactor } from '../../plugins/email-otp/index.js';
import {
  type CodeContext,
  type CodeSource,
  type ConformanceUser,
  codeAuthenticator,
  testFactorPlugin,
} from '../factor-conformance.js';
import { codeIn, codeMailsTo, queueDrained } from '../support/email.js';
import { SmtpSink } from '../support/smtp-sink.js';
import type { TestApp } from '../support/test-app.js';
import { otherCode } from '../support/mfa.js';

/** The plugin's resend cooldown (30 s), and a second: a fresh code can be sent after this. */
const RESEND_AFTER_MS = 31_000;

/**
 * A mailbox: codes come from the mails a real SMTP server (in this process)
 * receives. Each user has the factor send to an address of its own, not the
 * account's: the account address is stored in plain on the user by design,
 * so only a separate one shows whether the factor's sealed secret leaks.
 */
function mailbox(sink: SmtpSink): CodeSource {
  const addressOf = (user: ConformanceUser) => `${user.username}.codes@example.org`;
  /** Code mails to each address already read: each code is read from a mail that came after them. */
  const read = new Map<string, number>();
  const enrollmentCodes = new Map<string, string>();

  /** The newest code mail to the user once every queued mail is out (the worker delivers one at a time, so in order). */
  async function newestCode(app: TestApp, user: ConformanceUser): Promise<string> {
    await queueDrained(app);
    const address = addressOf(user);
    const mails = codeMailsTo(sink, address);
    assert.ok(mails.length > (read.get(address) ?? 0), `no new code mail to ${address} (had ${read.get(address)})`);
    read.set(address, mails.length);
    // The suite looks for the address in every log line; that covers the mail worker only if it logs there.
    assert.ok(
      app.logLines.some((line) => line.includes('"msg":"mail delivered"')),
      'the mail worker writes to the log the suite checks',
    );
    return codeIn(mails.at(-1)!);
  }

  return {
    enrollmentInput: (user) => ({ email: addressOf(user) }),
    // enableMfa sent it already; it may still be on its way. Asked again for one factor, the same code.
    async fromEnrollment({ app, user, factorId }: CodeContext) {
      const code = enrollmentCodes.get(factorId) ?? (await newestCode(app, user));
      enrollmentCodes.set(factorId, code);
      return code;
    },
    // beginMfa sent it (at sign-in with the mfaToken; otherwise, for step-up and disableMfa, to the session's user).
    async next({ app, user, delivered }: CodeContext) {
      assert.equal(delivered, true, 'beginMfa sends an e-mail code');
      return newestCode(app, user);
    },
    freshCodeAfterMs: RESEND_AFTER_MS,
    // One code is valid at a time (a send kills the previous one): any other six digits are wrong.
    wrong: (validCode) => otherCode(validCode),
  };
}

const sink = new SmtpSink();

testFactorPlugin({
  plugin: emailOtpFactor,
  authenticator: codeAuthenticator(mailbox(sink)),
  // Mails reach the sink in the order they were sent, so the newest one holds the current code.
  mailSettings: { concurrency: 1 },
  setup: async () => ({ SMTP_URL: (await sink.start()).url }),
  teardown: () => sink.stop(),
});
