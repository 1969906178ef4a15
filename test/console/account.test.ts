import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  MyEmailDocument,
  SendEmailVerificationDocument,
  SignUpDocument,
  TrustedDevicesDocument,
} from '../generated/graphql.js';
import { TEST_PASSWORD, logIn } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import { userWithTotp } from '../support/attacker.js';
import { assertAccessible, collectCspViolations, launchChromium, screenshot } from '../support/browser.js';
import { VERIFICATION_SUBJECT, nextMail, verifyAddress } from '../support/email.js';
import { TestClock, totpCode } from '../support/mfa.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import type { CapturedMail } from '../support/smtp-sink.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { setPolicy } from '../support/trusted-devices.js';

// The sign-in's "Remember this device" (the device token in the HttpOnly mfa_device cookie), and the pages the
// account mails link to: forgot password, reset password and verify e-mail, the mails caught by a real SMTP sink.

const RESET_SUBJECT = /Reset your .* password/;
const NEW_PASSWORD = 'a brand new passphrase 7';

/** The console page a mail links to (`<PUBLIC_URL>/<page>#token=…`), as a path with its fragment on this app. */
function linkIn(mail: CapturedMail, page: 'reset-password' | 'verify-email'): string {
  const href = /https?:\/\/\S+/.exec(mail.parsed.text ?? '')?.[0];
  assert.ok(href, `no link in "${mail.parsed.subject}"`);
  const url = new URL(href);
  assert.equal(url.pathname, `/${page}`);
  assert.match(url.hash, /^#token=mfa_(ev|pr)_/);
  return `${url.pathname}${url.hash}`;
}

describe('web console: remembered devices and the account pages in a browser', () => {
  const clock = new TestClock();
  let sink: SmtpSink;
  let app: TestApp;
  let admin: MfaAdmin;
  let browser: Browser;

  before(async () => {
    sink = await startSmtpSink();
    app = await startTestApp({ ...ADMIN_ENV, SMTP_URL: sink.url }, { clock: clock.now });
    admin = await adminWithMfa(app, clock);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    await sink?.stop();
  });

  async function newPage(): Promise<{ context: BrowserContext; page: Page; csp: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    const page = await context.newPage();
    return { context, page, csp: collectCspViolations(page) };
  }

  async function signIn(page: Page, username: string, password = TEST_PASSWORD): Promise<void> {
    await page.goto(app.url);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Username', { exact: true }).fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  async function signOut(page: Page, username: string): Promise<void> {
    await page.getByRole('button', { name: username, exact: true }).click();
    await page.getByRole('menu').getByRole('menuitem', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  }

  async function signUp(username: string, email: string): Promise<void> {
    const result = await app.graphql(SignUpDocument, {
      variables: { input: { username, password: TEST_PASSWORD, email } },
    });
    assert.ok(result.data, JSON.stringify(result.errors));
  }

  it('"Remember this device": the next sign-in on this browser needs only the password; not offered with the policy at 0', async () => {
    await setPolicy(app, admin, { trustedDeviceDays: 30 });
    const ray = await userWithTotp(app, clock, 'ray');
    const { context, page, csp } = await newPage();
    try {
      await signIn(page, 'ray');
      await page.getByRole('heading', { name: 'Verify it is you' }).waitFor();
      const remember = page.getByRole('checkbox', { name: 'Remember this device', exact: true });
      assert.equal(await remember.isChecked(), false, 'not remembered unless asked');
      await assertAccessible(page, 'the second step with "Remember this device"');
      await screenshot(page, 'sign-in-remember-device');
      await remember.check();
      await page.getByLabel('Code', { exact: true }).fill(totpCode(ray.totp.secret, clock));
      clock.nextStep();
      await page.getByRole('button', { name: 'Verify', exact: true }).click();
      await page.getByRole('heading', { name: 'Welcome, ray' }).waitFor();

      const device = (await context.cookies()).find((cookie) => cookie.name === 'mfa_device');
      assert.ok(device, 'the browser keeps the device cookie');
      assert.equal(device.httpOnly, true, 'no script can read it');
      assert.equal(device.sameSite, 'Strict');
      assert.equal(await page.evaluate('document.cookie'), '', 'the console holds no token');
      const listed = await app.graphql(TrustedDevicesDocument, { token: ray.token });
      assert.equal(listed.data?.trustedDevices.length, 1, JSON.stringify(listed));

      await signOut(page, 'ray');
      await signIn(page, 'ray');
      await page.getByRole('heading', { name: 'Welcome, ray' }).waitFor();
      assert.equal(await page.getByRole('heading', { name: 'Verify it is you' }).count(), 0);
      await signOut(page, 'ray');

      // Turning the policy off forgets every device: the second factor again, and no checkbox to offer.
      await setPolicy(app, admin, { trustedDeviceDays: 0 });
      await signIn(page, 'ray');
      await page.getByRole('heading', { name: 'Verify it is you' }).waitFor();
      await page.getByLabel('Code', { exact: true }).waitFor();
      assert.equal(await page.getByRole('checkbox', { name: 'Remember this device' }).count(), 0);
      assert.equal(
        (await context.cookies()).some((cookie) => cookie.name === 'mfa_device'),
        false,
        'the refused device cookie was cleared',
      );
      await assertAccessible(page, 'the second step without "Remember this device"');
      assert.deepEqual(csp, []);
    } finally {
      await context.close();
    }
  });

  it('forgot password → the mailed link → a new password: it signs in, the old one does not, the link works once', async () => {
    const address = 'fay@example.com';
    await signUp('fay', address);
    await verifyAddress(app, sink, await logIn(app, 'fay'), address);
    const { context, page, csp } = await newPage();
    try {
      await page.goto(app.url);
      await page.getByRole('link', { name: 'Forgot your password?', exact: true }).click();
      await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor();
      await assertAccessible(page, 'the forgot-password page');
      await screenshot(page, 'forgot-password');

      // Nothing typed: said, and focused.
      await page.getByRole('button', { name: 'Send reset link', exact: true }).click();
      await page.getByRole('alert').filter({ hasText: 'Enter your username or your e-mail address.' }).waitFor();
      await assertAccessible(page, 'the forgot-password page with an error');

      // An unknown account gets the same answer as a known one.
      await page.getByLabel('Username or e-mail', { exact: true }).fill('nobody-here');
      await page.getByRole('button', { name: 'Send reset link', exact: true }).click();
      const sent = page.getByRole('status');
      await sent.filter({ hasText: 'If the account exists' }).waitFor();
      const unknownAnswer = await sent.textContent();

      await page.goto(`${app.url}/forgot-password`);
      const seen = sink.mails.length;
      await page.getByLabel('Username or e-mail', { exact: true }).fill(address);
      await page.getByRole('button', { name: 'Send reset link', exact: true }).click();
      await sent.filter({ hasText: 'If the account exists' }).waitFor();
      assert.equal(await sent.textContent(), unknownAnswer, 'the same words whether or not the account exists');
      await assertAccessible(page, 'the forgot-password answer');
      const link = linkIn(await nextMail(sink, address, RESET_SUBJECT, seen), 'reset-password');

      await page.goto(`${app.url}${link}`);
      await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
      await page.waitForURL((url) => url.hash === '');
      assert.equal(new URL(page.url()).pathname, '/reset-password', 'the token is gone from the address bar');
      await assertAccessible(page, 'the reset-password page');
      await screenshot(page, 'reset-password');

      // The API's password rules speak for themselves; a mistyped confirmation is caught first.
      await page.getByLabel('New password', { exact: true }).fill('short');
      await page.getByLabel('Confirm new password', { exact: true }).fill('short');
      await page.getByRole('button', { name: 'Set new password', exact: true }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: /at least \d+ characters/ })
        .waitFor();
      assert.equal(await page.evaluate('document.activeElement?.getAttribute("role")'), 'alert');
      await assertAccessible(page, 'a refused new password');
      await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel('Confirm new password', { exact: true }).fill(`${NEW_PASSWORD}x`);
      await page.getByRole('button', { name: 'Set new password', exact: true }).click();
      await page.getByRole('alert').filter({ hasText: 'The two passwords are not the same.' }).waitFor();
      await page.getByLabel('Confirm new password', { exact: true }).fill(NEW_PASSWORD);
      await page.getByRole('button', { name: 'Set new password', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'Your password is changed' }).waitFor();
      await assertAccessible(page, 'the reset done');

      await page.getByRole('link', { name: 'Sign in with the new password', exact: true }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await signIn(page, 'fay');
      await page.getByRole('alert').filter({ hasText: 'The username or password is wrong.' }).waitFor();
      await signIn(page, 'fay', NEW_PASSWORD);
      await page.getByRole('heading', { name: 'Welcome, fay' }).waitFor();
      await signOut(page, 'fay');

      // The link again: spent.
      await page.goto(`${app.url}${link}`);
      await page.getByLabel('New password', { exact: true }).fill(`${NEW_PASSWORD} again`);
      await page.getByLabel('Confirm new password', { exact: true }).fill(`${NEW_PASSWORD} again`);
      await page.getByRole('button', { name: 'Set new password', exact: true }).click();
      await page.getByRole('alert').filter({ hasText: 'This reset link has expired or was already used.' }).waitFor();
      await assertAccessible(page, 'a spent reset link');
      await page.getByRole('link', { name: 'Ask for a new one', exact: true }).waitFor();
      assert.ok(await logIn(app, 'fay', NEW_PASSWORD), 'the password stays the one set');
      assert.deepEqual(csp, []);
    } finally {
      await context.close();
    }
  });

  it('verify e-mail: the mailed link verifies the address; the same link again says it no longer works', async () => {
    const address = 'vic@example.com';
    await signUp('vic', address);
    const token = await logIn(app, 'vic');
    const seen = sink.mails.length;
    const sent = await app.graphql(SendEmailVerificationDocument, { token });
    assert.equal(sent.errors, undefined, JSON.stringify(sent.errors));
    const link = linkIn(await nextMail(sink, address, VERIFICATION_SUBJECT, seen), 'verify-email');
    const verified = async () => (await app.graphql(MyEmailDocument, { token })).data?.me?.emailVerified;
    assert.equal(await verified(), false);

    const { context, page, csp } = await newPage();
    try {
      await page.goto(`${app.url}${link}`);
      await page.getByRole('heading', { name: 'Verify your e-mail address' }).waitFor();
      await page.getByRole('status').filter({ hasText: 'Your e-mail address is verified.' }).waitFor();
      assert.equal(new URL(page.url()).hash, '', 'the token is gone from the address bar');
      assert.equal(await verified(), true, 'the API says the address is verified');
      await assertAccessible(page, 'the verified e-mail page');
      await screenshot(page, 'verify-email');

      await page.goto(`${app.url}${link}`);
      await page.getByRole('alert').filter({ hasText: 'This verification link no longer works' }).waitFor();
      await assertAccessible(page, 'a spent verification link');

      await page.goto(`${app.url}/verify-email`);
      await page.getByRole('alert').filter({ hasText: 'This link is incomplete' }).waitFor();
      await page.getByRole('link', { name: 'Continue to the console', exact: true }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      assert.deepEqual(csp, []);
    } finally {
      await context.close();
    }
  });
});
