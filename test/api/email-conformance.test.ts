import assert from 'node:assert/strict';
import { emailOtpFactor } from '../../plugins/email-otp/index.js';
import { SendMfaCodeDocument } from '../generated/graphql.js';
import { type CodeContext, type CodeSource, type ConformanceUser, testFactorPlugin } from '../factor-conformance.js';
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

  /** The newest code mail to the user once every queued mail is out (the worker delivers one at a time, so in order). */
  async function newestCode(app: TestApp, user: ConformanceUser, received: number): Promise<string> {
    await queueDrained(app);
    const mails = codeMailsTo(sink, addressOf(user));
    assert.ok(mails.length > received, `no new code mail to ${addressOf(user)} (had ${received})`);
    // The suite looks for the address in every log line; that covers the mail worker only if it logs there.
    assert.ok(
      app.logLines.some((line) => line.includes('"msg":"mail delivered"')),
      'the mail worker writes to the log the suite checks',
    );
    return codeIn(mails.at(-1)!);
  }

  return {
    enrollmentInput: (user) => ({ email: addressOf(user) }),
    // enableMfa sent it already; it may still be on its way.
    fromEnrollment: ({ app, user }) => newestCode(app, user, 0),
    async next({ app, user, factorId, mfaToken }: CodeContext) {
      const received = codeMailsTo(sink, addressOf(user)).length;
      // At sign-in with the mfaToken; otherwise (step-up, disableMfa) as the signed-in user.
      const sent = await app.graphql(
        SendMfaCodeDocument,
        mfaToken
          ? { variables: { input: { mfaToken, factorId } } }
          : { token: user.accessToken, variables: { input: { factorId } } },
      );
      assert.equal(sent.data?.sendMfaCode, true, JSON.stringify(sent.errors));
      return newestCode(app, user, received);
    },
    freshCodeAfterMs: RESEND_AFTER_MS,
    // One code is valid at a time (a send kills the previous one): any other six digits are wrong.
    wrong: (validCode) => otherCode(validCode),
  };
}

const sink = new SmtpSink();

testFactorPlugin({
  plugin: emailOtpFactor,
  codes: mailbox(sink),
  // Mails reach the sink in the order they were sent, so the newest one holds the current code.
  mailSettings: { concurrency: 1 },
  setup: async () => ({ SMTP_URL: (await sink.start()).url }),
  teardown: () => sink.stop(),
});
