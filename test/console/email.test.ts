import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { SignUpDocument } from '../generated/graphql.js';
import { TEST_PASSWORD } from '../support/accounts.js';
import { assertAccessible, collectCspViolations, launchChromium, screenshot } from '../support/browser.js';
import { CODE_SUBJECT, codeIn, nextMail } from '../support/email.js';
import { TestClock } from '../support/mfa.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// E-mail codes through the console, the mails caught by an SMTP sink: enrollment ("Code", "Resend") and the second
// step's "Send code".

describe('web console: e-mail codes in a browser', () => {
  const clock = new TestClock();
  let sink: SmtpSink;
  let app: TestApp;
  let browser: Browser;

  before(async () => {
    sink = await startSmtpSink();
    app = await startTestApp({ SMTP_URL: sink.url }, { clock: clock.now });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    await sink?.stop();
  });

  it('enrolls with the mailed code (after "Resend", only the new one), then signs in with "Send code"', async () => {
    const address = 'eve@example.com';
    const signUp = await app.graphql(SignUpDocument, {
      variables: { input: { username: 'eve', password: TEST_PASSWORD, email: address } },
    });
    assert.ok(signUp.data, JSON.stringify(signUp.errors));
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1000, height: 800 } });
    try {
      const page = await context.newPage();
      const csp = collectCspViolations(page);
      const signIn = async () => {
        await page.goto(app.url);
        await page.getByLabel('Username', { exact: true }).fill('eve');
        await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      };

      await signIn();
      await page.getByRole('button', { name: 'eve', exact: true }).click();
      await page.getByRole('menuitem', { name: 'Enroll in multifactor authentication', exact: true }).click();
      let seen = sink.mails.length;
      await page.getByRole('radio', { name: 'One-time e-mail password', exact: true }).check();
      await page.getByRole('button', { name: 'Next', exact: true }).click();
      const sentTo = page.getByText(/^We sent a code to /);
      await sentTo.waitFor();
      const shown = (await sentTo.textContent()) ?? '';
      assert.doesNotMatch(shown, /eve@example\.com/, 'the address is masked');
      assert.match(shown, /@example\.com\.$/);
      const first = codeIn(await nextMail(sink, address, CODE_SUBJECT, seen));
      await assertAccessible(page, 'the e-mail step');
      await screenshot(page, 'enroll-email');

      // Past the resend cooldown, "Resend" mails a new code; the first one stops working.
      clock.advance(31_000);
      seen = sink.mails.length;
      await page.getByRole('button', { name: 'Resend', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'A new code is on its way.' }).waitFor();
      const second = codeIn(await nextMail(sink, address, CODE_SUBJECT, seen));
      if (first !== second) {
        await page.getByLabel('Code', { exact: true }).fill(first);
        await page.getByRole('button', { name: 'Next', exact: true }).click();
        await page.getByRole('alert').filter({ hasText: 'That code is not right' }).waitFor();
      }
      await page.getByLabel('Code', { exact: true }).fill(second);
      await page.getByRole('button', { name: 'Next', exact: true }).click();
      await page.getByRole('list', { name: 'Recovery codes', exact: true }).waitFor();
      await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download', exact: true }).click(),
      ]);
      await page.getByRole('button', { name: 'Finish', exact: true }).click();
      await page.getByText('Your account uses multifactor authentication.').waitFor();
      await page.getByRole('button', { name: 'eve', exact: true }).click();
      await page.getByRole('menuitem', { name: 'Sign out', exact: true }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();

      clock.advance(31_000);
      await signIn();
      await page.getByRole('heading', { name: 'Verify it is you' }).waitFor();
      seen = sink.mails.length;
      await page.getByRole('button', { name: 'Send code', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'A new code is on its way to your e-mail.' }).waitFor();
      const code = codeIn(await nextMail(sink, address, CODE_SUBJECT, seen));
      await page.getByLabel('Code', { exact: true }).fill(code);
      await page.getByRole('button', { name: 'Verify', exact: true }).click();
      await page.getByRole('heading', { name: 'Welcome, eve' }).waitFor();
      assert.deepEqual(csp, []);
    } finally {
      await context.close();
    }
  });
});
