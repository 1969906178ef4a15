import assert from 'node:assert/strict';
import {
  AcceptMfaDocument,
  EnableEmailMfaDocument,
  SendEmailVerificationDocument,
  SendMfaCodeDocument,
  VerifyEmailDocument,
} from '../generated/graphql.js';
import type { CapturedMail, SmtpSink } from './smtp-sink.js';
import type { TestApp } from './test-app.js';

/** The six-digit code in a `mfa-code` mail. */
export function codeIn(mail: CapturedMail): string {
  const code = /\b(\d{6})\b/.exec(mail.parsed.text ?? '')?.[1];
  assert.ok(code, `no code in "${mail.parsed.subject}"`);
  return code;
}

/** Waits for the next mail to `to` whose subject matches, counting from `after` mails already seen. */
export async function nextMail(sink: SmtpSink, to: string, subject: RegExp, after: number): Promise<CapturedMail> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = sink.mails
      .slice(after)
      .find((mail) => mail.envelopeTo.includes(to) && subject.test(mail.parsed.subject ?? ''));
    if (found) return found;
    if (Date.now() > deadline)
      throw new Error(
        `no mail "${subject}" to ${to}; got: ${sink.mails
          .slice(after)
          .map((mail) => mail.parsed.subject)
          .join(' | ')}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const CODE_SUBJECT = /verification code/;

/** enableMfa for e-mail → the mailed code → acceptMfa, as a client does. */
export async function enrollEmail(
  app: TestApp,
  sink: SmtpSink,
  token: string,
  address: string,
): Promise<{ factorId: string; scratchCodes: string[] }> {
  const seen = sink.mails.length;
  const enabled = await app.graphql(EnableEmailMfaDocument, { token, variables: { input: { factorType: 'email' } } });
  assert.equal(enabled.errors, undefined, JSON.stringify(enabled.errors));
  const code = codeIn(await nextMail(sink, address, CODE_SUBJECT, seen));
  const accepted = await app.graphql(AcceptMfaDocument, {
    token,
    variables: { input: { token: enabled.data!.enableMfa.token, code } },
  });
  assert.equal(accepted.errors, undefined, JSON.stringify(accepted.errors));
  return { factorId: accepted.data!.acceptMfa.id, scratchCodes: enabled.data!.enableMfa.scratchCodes ?? [] };
}

/** sendMfaCode, then the code from the mail it caused. */
export async function sendAndReadCode(
  app: TestApp,
  sink: SmtpSink,
  input: { mfaToken?: string; factorId: string },
  address: string,
  token?: string,
): Promise<string> {
  const seen = sink.mails.length;
  const sent = await app.graphql(SendMfaCodeDocument, { token, variables: { input } });
  assert.equal(sent.errors, undefined, JSON.stringify(sent.errors));
  return codeIn(await nextMail(sink, address, CODE_SUBJECT, seen));
}

/** Resolves once the app's mail queue holds no waiting, active or delayed job: every mail enqueued so far was delivered (or failed). */
export async function queueDrained(app: TestApp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { waiting, active, delayed } = await app.mail.health();
    if (waiting + active + delayed === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `the mail queue did not drain within ${timeoutMs} ms: ${JSON.stringify({ waiting, active, delayed })}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The code mails to `to` the sink has received so far, oldest first. */
export function codeMailsTo(sink: SmtpSink, to: string): CapturedMail[] {
  return sink.mails.filter((mail) => mail.envelopeTo.includes(to) && CODE_SUBJECT.test(mail.parsed.subject ?? ''));
}

export const VERIFICATION_SUBJECT = /Confirm your e-mail address/;

/** The single-use token in a verification or reset mail. */
export function accountTokenIn(mail: CapturedMail): string {
  const token = /\b(mfa_(?:ev|pr)_[A-Za-z0-9_-]{43})\b/.exec(mail.parsed.text ?? '')?.[1];
  assert.ok(token, `no token in "${mail.parsed.subject}"`);
  return token;
}

/** PUBLIC_URL of the apps whose tests follow the console links in mails. */
export const CONSOLE_URL = 'https://console.example.test';

/**
 * The token carried by the console link of a verification or reset mail (`<PUBLIC_URL>/<page>#token=…`), once the
 * link is checked to be there in the text and as the HTML's one link, with the token in the fragment alone.
 */
export function consoleLinkTokenIn(mail: CapturedMail, page: 'reset-password' | 'verify-email'): string {
  const href = /https?:\/\/\S+/.exec(mail.parsed.text ?? '')?.[0];
  assert.ok(href, `no link in "${mail.parsed.subject}"`);
  const url = new URL(href);
  assert.equal(url.origin, CONSOLE_URL);
  assert.equal(url.pathname, `/${page}`);
  assert.equal(url.search, '', 'nothing in the query, which a server would log');
  const token = new URLSearchParams(url.hash.slice(1)).get('token');
  assert.ok(token, 'the token is in the fragment');
  const links = [...String(mail.parsed.html).matchAll(/<a href="([^"]*)"/g)].map((match) => match[1]);
  assert.deepEqual(links, [href], 'the HTML links to the same page');
  return token;
}

/** sendEmailVerification, then the token from the mail it caused. */
export async function requestVerificationToken(
  app: TestApp,
  sink: SmtpSink,
  token: string,
  address: string,
): Promise<string> {
  const seen = sink.mails.length;
  const sent = await app.graphql(SendEmailVerificationDocument, { token });
  assert.equal(sent.errors, undefined, JSON.stringify(sent.errors));
  return accountTokenIn(await nextMail(sink, address, VERIFICATION_SUBJECT, seen));
}

/**
 * Verifies the signed-in user's address as a user does (the token mailed to it,
 * then verifyEmail): security notices go only to verified addresses.
 */
export async function verifyAddress(app: TestApp, sink: SmtpSink, token: string, address: string): Promise<void> {
  const verificationToken = await requestVerificationToken(app, sink, token, address);
  const verified = await app.graphql(VerifyEmailDocument, { variables: { input: { token: verificationToken } } });
  assert.equal(verified.errors, undefined, JSON.stringify(verified.errors));
  await queueDrained(app);
}
