import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { SetMfaPolicyStatusDocument, SignUpDocument } from '../generated/graphql.js';
import { TEST_PASSWORD } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import { launchChromium } from '../support/browser.js';
import { TestClock, totpCode } from '../support/mfa.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// What the MFA policy does to the console: a user whose policy an admin ENABLED is sent to enrollment at the next
// sign-in, and only admins see "Admin" in the user menu.

describe('web console: the MFA policy in a browser', () => {
  const clock = new TestClock();
  let app: TestApp;
  let admin: MfaAdmin;
  let browser: Browser;

  before(async () => {
    app = await startTestApp(ADMIN_ENV, { clock: clock.now });
    admin = await adminWithMfa(app, clock);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  async function signIn(page: Page, username: string, password: string): Promise<void> {
    await page.goto(app.url);
    await page.getByLabel('Username', { exact: true }).fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  async function menuItems(page: Page, username: string): Promise<string[]> {
    await page.getByRole('button', { name: username, exact: true }).click();
    const items = await page.getByRole('menu').getByRole('menuitem').allTextContents();
    await page.keyboard.press('Escape');
    return items;
  }

  it('sends a user whose policy an admin ENABLED to the enrollment wizard at the next sign-in, which enrolls', async () => {
    const signUp = await app.graphql(SignUpDocument, {
      variables: { input: { username: 'fay', password: TEST_PASSWORD, email: 'fay@example.com' } },
    });
    assert.ok(signUp.data, JSON.stringify(signUp.errors));
    await admin.stepUp();
    const set = await app.graphql(SetMfaPolicyStatusDocument, {
      token: admin.token,
      variables: { input: { userId: signUp.data.signUp.id, status: 'ENABLED' } },
    });
    assert.equal(set.data?.setMfaPolicyStatus.mfaPolicyStatus, 'ENABLED', JSON.stringify(set.errors));

    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1000, height: 800 } });
    try {
      const page = await context.newPage();
      await signIn(page, 'fay', TEST_PASSWORD);
      await page.getByRole('heading', { name: 'Enroll in multifactor authentication' }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/enroll');
      assert.ok(!(await menuItems(page, 'fay')).includes('Admin'));

      // The enrollment-scoped session (the cookie) enrolls the app, and the wizard ends on the home page.
      await page.getByRole('radio', { name: 'Authentication app', exact: true }).check();
      await page.getByRole('button', { name: 'Next', exact: true }).click();
      const secret = ((await page.locator('code.secret').textContent()) ?? '').replace(/ /g, '');
      await page.getByLabel('Code', { exact: true }).fill(totpCode(secret, clock));
      await page.getByRole('button', { name: 'Next', exact: true }).click();
      await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download', exact: true }).click(),
      ]);
      await page.getByRole('button', { name: 'Finish', exact: true }).click();
      await page.getByText('Your account uses multifactor authentication.').waitFor();
    } finally {
      await context.close();
    }
  });

  it('shows "Admin" in the menu of an admin, who signs in with a code', async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    try {
      const page = await context.newPage();
      clock.nextStep();
      await signIn(page, ADMIN_ENV.ADMIN_USERNAME, ADMIN_ENV.ADMIN_PASSWORD);
      await page.getByLabel('Code', { exact: true }).fill(totpCode(admin.totp.secret, clock));
      await page.getByRole('button', { name: 'Verify', exact: true }).click();
      await page.getByRole('heading', { name: `Welcome, ${ADMIN_ENV.ADMIN_USERNAME}` }).waitFor();
      assert.deepEqual(await menuItems(page, ADMIN_ENV.ADMIN_USERNAME), [
        'Enroll in multifactor authentication',
        'Security',
        'Admin',
        'Sign out',
      ]);
    } finally {
      await context.close();
    }
  });
});
