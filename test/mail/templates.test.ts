import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { MailMessage } from '../../src/mail/mail-sender.js';
import { InvalidMailMessageError } from '../../src/mail/mail-sender.js';
import { MAIL_TEMPLATE_NAMES } from '../../src/mail/templates/mail-templates.js';
import { renderMail, resolveLocale } from '../../src/mail/templates/render-mail.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import {
  deleteKeys,
  ISSUER,
  PUBLIC_URL,
  redisUrl,
  startPipeline,
  testKeys,
  uniquePrefix,
  type TestPipeline,
} from './mail-harness.js';

const TO = 'template-reader@example.test';

/** One message per template, with what its subject and text must say. */
const CASES: Array<{ message: MailMessage; subject: RegExp; text: RegExp[] }> = [
  {
    message: { template: 'mfa-code', to: TO, params: { code: '630418', minutes: 10 } },
    subject: /^Your Test Issuer verification code$/,
    text: [/630418/, /expires in 10 minutes/, /Never share this code/],
  },
  {
    message: { template: 'factor-added', to: TO, params: { factor: 'Authentication app' } },
    subject: /added/,
    text: [/Authentication app was added/, /If this wasn't you/],
  },
  {
    message: { template: 'factor-removed', to: TO, params: { factor: 'E-mail codes' } },
    subject: /removed/,
    text: [/E-mail codes was removed/, /If this wasn't you/],
  },
  {
    message: { template: 'recovery-code-used', to: TO, params: { remaining: 2 } },
    subject: /recovery code was used/,
    text: [/2 unused codes are left/, /Create a new set/, /If this wasn't you/],
  },
  {
    message: { template: 'recovery-codes-regenerated', to: TO, params: {} },
    subject: /New recovery codes/,
    text: [/previous codes no longer work/, /If this wasn't you/],
  },
  {
    message: { template: 'mfa-changed-by-admin', to: TO, params: { what: 'turned off two-step sign-in' } },
    subject: /administrator changed/,
    text: [/turned off two-step sign-in/, /contact your administrator/],
  },
  {
    message: { template: 'email-verification', to: TO, params: { token: 'mfa_ev_TESTTOKEN', hours: 24 } },
    subject: /^Confirm your e-mail address for Test Issuer$/,
    text: [
      /open this page:\n\n {4}https:\/\/auth\.example\.test\/verify-email#token=mfa_ev_TESTTOKEN\n/,
      /enter this token .*\(verifyEmail\):\n\n {4}mfa_ev_TESTTOKEN\n/,
      /works once and expires in 24 hours/,
      /ignore this message/,
    ],
  },
  {
    message: {
      template: 'password-reset',
      to: TO,
      params: { token: 'mfa_pr_TESTTOKEN', minutes: 30, username: 'ada' },
    },
    subject: /^Reset your Test Issuer password$/,
    text: [
      /open this page:\n\n {4}https:\/\/auth\.example\.test\/reset-password#token=mfa_pr_TESTTOKEN\n/,
      /enter this token .*\(resetPassword\):\n\n {4}mfa_pr_TESTTOKEN\n/,
      /account "ada"/,
      /expires in 30 minutes/,
      /still need it to sign in/,
    ],
  },
  {
    message: { template: 'email-change-requested', to: TO, params: { newAddress: 'n***a@example.org' } },
    subject: /new e-mail address was given/,
    text: [/n\*\*\*a@example\.org was given as the new address/, /If this wasn't you/],
  },
  {
    message: { template: 'email-changed', to: TO, params: { newAddress: 'n***a@example.org' } },
    subject: /address of your Test Issuer account was changed/,
    text: [/changed to n\*\*\*a@example\.org/, /If this wasn't you/],
  },
  {
    message: { template: 'account-deactivated', to: TO, params: {} },
    subject: /account was deactivated$/,
    text: [/cannot sign in/, /API keys no longer work/, /contact your administrator/],
  },
  {
    message: { template: 'account-reactivated', to: TO, params: {} },
    subject: /account was reactivated$/,
    text: [/can sign in again/, /stay ended/],
  },
  {
    message: { template: 'account-deleted', to: TO, params: {} },
    subject: /account was deleted$/,
    text: [/deleted your Test Issuer account/, /contact your administrator/],
  },
  {
    message: { template: 'account-unlocked', to: TO, params: {} },
    subject: /account was unlocked$/,
    text: [/cleared the failed sign-in attempts/, /change your password/],
  },
  {
    message: { template: 'account-role-changed', to: TO, params: { role: 'ADMIN' } },
    subject: /^Your role on Test Issuer changed$/,
    text: [/to ADMIN/, /must use two-step sign-in/],
  },
  {
    message: { template: 'password-changed', to: TO, params: { via: 'change' } },
    subject: /^Your Test Issuer password was changed$/,
    text: [/was changed on/, /other sessions have ended/, /change your password now/],
  },
  {
    message: { template: 'password-changed', to: TO, params: { via: 'reset' } },
    subject: /^Your Test Issuer password was reset$/,
    text: [/was reset on/, /Every session signed in before has ended/],
  },
  {
    message: { template: 'password-reset-required', to: TO, params: {} },
    subject: /^Choose a new Test Issuer password$/,
    text: [/asked you to choose a new password/, /Forgot your password/],
  },
];

/** The console page each token mail links to. */
const CONSOLE_PAGES: Partial<Record<string, string>> = {
  'email-verification': 'verify-email',
  'password-reset': 'reset-password',
};

describe('mail templates, delivered through the queue and parsed', () => {
  const prefix = uniquePrefix('templates');
  const { secrets } = testKeys();
  let sink: SmtpSink;
  let pipeline: TestPipeline;
  let redis: Redis;

  before(async () => {
    sink = await startSmtpSink();
    pipeline = await startPipeline({ smtpUrl: sink.url, secrets, prefix, startWorker: true });
    redis = new Redis(redisUrl);
  });
  after(async () => {
    await pipeline?.close();
    await sink?.stop();
    await deleteKeys(redis, prefix);
    redis?.disconnect();
  });

  it('covers every template', () => {
    assert.deepEqual([...new Set(CASES.map((c) => c.message.template))].sort(), [...MAIL_TEMPLATE_NAMES].sort());
  });

  it('delivers each template with subject, text, HTML and recipient', async () => {
    const before = Date.now();
    for (const { message } of CASES) await pipeline.sender.send(message);
    const mails = await sink.waitForMails(CASES.length);
    for (const { message, subject, text } of CASES) {
      const mail = mails.find((m) => m.parsed.headers.get('subject') && subject.test(m.parsed.subject ?? ''));
      assert.ok(mail, `no mail for ${message.template}`);
      assert.deepEqual(mail.envelopeTo, [TO]);
      assert.equal((mail.parsed.to as { text: string }).text, TO);
      assert.match(mail.parsed.from?.text ?? '', /no-reply@localhost/);
      for (const pattern of text) assert.match(mail.parsed.text ?? '', pattern, `${message.template} text`);
      const html = String(mail.parsed.html);
      assert.match(html, /^<!DOCTYPE html>/);
      assert.doesNotMatch(html, /<img|<script|<link|<iframe/i, 'no remote content, no tracking');
      // Links only in the mails a user just asked for, and only to the console's own page for the token.
      const page = CONSOLE_PAGES[message.template];
      const links = [...html.matchAll(/https?:\/\/[^\s"<]+/gi)].map((match) => match[0]);
      if (page) {
        const url = `${PUBLIC_URL}/${page}#token=${(message.params as { token: string }).token}`;
        assert.deepEqual(links, [url, url], `${message.template}: the link's href and its visible text`);
        assert.ok(html.includes(`<a href="${url}"`), `${message.template} links to ${url}`);
      } else assert.deepEqual(links, [], `${message.template} links nowhere`);
      if (message.template !== 'mfa-code' && message.template !== 'email-verification') {
        // Notices say when: today's date, in UTC.
        const today = new Intl.DateTimeFormat('en', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(before));
        assert.ok(mail.parsed.text?.includes(today), `${message.template} names the date`);
      }
    }
  });

  it('escapes params in HTML and keeps them literal in text', async () => {
    const what = `removed <b>"Bob's" phone</b> & more`;
    const already = sink.mails.length;
    await pipeline.sender.send({ template: 'mfa-changed-by-admin', to: TO, params: { what } });
    const [mail] = (await sink.waitForMails(already + 1)).slice(already);
    const html = String(mail.parsed.html);
    assert.ok(html.includes('removed &lt;b&gt;&quot;Bob&#39;s&quot; phone&lt;/b&gt; &amp; more'), html);
    assert.ok(!html.includes('<b>'));
    assert.ok(mail.parsed.text?.includes(what));
  });

  it('keeps a line break in a param out of the subject', () => {
    const rendered = renderMail(
      'factor-added',
      { factor: 'x', issuer: 'Evil\r\nBcc: victim@example.test' },
      { issuer: ISSUER, publicUrl: PUBLIC_URL, requestedAt: new Date() },
    );
    assert.doesNotMatch(rendered.subject, /[\r\n]/);
  });

  it('falls back from any locale to English', () => {
    assert.equal(resolveLocale(undefined), 'en');
    assert.equal(resolveLocale('en-GB'), 'en');
    assert.equal(resolveLocale('de-AT'), 'en');
    const rendered = renderMail(
      'mfa-code',
      { code: '123456', minutes: 10 },
      { locale: 'fr', issuer: ISSUER, publicUrl: PUBLIC_URL, requestedAt: new Date() },
    );
    assert.match(rendered.html, /<html lang="en">/);
  });

  it('refuses a message that cannot be rendered or addressed, before it reaches Redis', async () => {
    const bad: unknown[] = [
      { template: 'no-such-template', to: TO, params: {} },
      { template: 'mfa-code', to: TO, params: { minutes: 10 } },
      { template: 'mfa-code', to: 'a@example.test, b@example.test', params: { code: '123456', minutes: 10 } },
      { template: 'mfa-code', to: 'Someone <a@example.test>', params: { code: '123456', minutes: 10 } },
      { template: 'mfa-code', to: 'not-an-address', params: { code: '123456', minutes: 10 } },
    ];
    for (const message of bad)
      await assert.rejects(pipeline.sender.send(message as MailMessage), InvalidMailMessageError);
  });
});
