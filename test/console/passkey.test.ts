import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { LoginDocument } from '../generated/graphql.js';
import { TEST_PASSWORD } from '../support/accounts.js';
import { assertAccessible, collectCspViolations, launchChromium, screenshot } from '../support/browser.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// A passkey enrolled and used through the console, with Chromium's virtual authenticator (DevTools protocol) as the
// device: the page's own navigator.credentials calls and its conversion of the API's JSON options, end to end.
// The page is at http://localhost:<port> (a secure context, the passkeys' RP ID), so the port is chosen first.

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

describe('web console: a passkey in a browser', () => {
  let app: TestApp;
  let browser: Browser;
  let origin: string;

  before(async () => {
    const port = await freePort();
    origin = `http://localhost:${port}`;
    app = await startTestApp({ PORT: String(port), PUBLIC_URL: origin });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('signs up on "Create an account", creates a passkey, then signs in with "Use a passkey" and with "Sign in with a passkey" alone', async () => {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1000, height: 800 } });
    try {
      const page = await context.newPage();
      const csp = collectCspViolations(page);
      const cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: {
          protocol: 'ctap2',
          transport: 'internal',
          hasResidentKey: true,
          hasUserVerification: true,
          isUserVerified: true,
          automaticPresenceSimulation: true,
        },
      });

      // The account, made on the console's own page; it lands signed in.
      await page.goto(origin);
      await page.getByRole('link', { name: 'Create an account', exact: true }).click();
      await page.getByRole('heading', { name: 'Create an account' }).waitFor();
      await page.getByLabel('Username', { exact: true }).fill('cyd');
      await page.getByLabel('E-mail address', { exact: true }).fill('cyd@example.com');
      await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
      await page.getByLabel('Confirm password', { exact: true }).fill('not the same');
      await page.getByRole('button', { name: 'Create account', exact: true }).click();
      await page.getByRole('alert').getByText('The two passwords are not the same.').waitFor();
      const early = await app.graphql(LoginDocument, {
        variables: { input: { username: 'cyd', password: TEST_PASSWORD } },
      });
      assert.equal(early.errors?.[0]?.extensions?.code, 'INVALID_CREDENTIALS', 'no account while the passwords differ');
      await page.getByLabel('Confirm password', { exact: true }).fill(TEST_PASSWORD);
      await assertAccessible(page, 'the sign-up page');
      await screenshot(page, 'sign-up');
      await page.getByRole('button', { name: 'Create account', exact: true }).click();
      await page.getByRole('heading', { name: 'Welcome, cyd' }).waitFor();
      await page.getByRole('button', { name: 'cyd', exact: true }).click();
      await page.getByRole('menuitem', { name: 'Sign out', exact: true }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();

      const signIn = async () => {
        await page.goto(origin);
        await page.getByLabel('Username', { exact: true }).fill('cyd');
        await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      };

      await signIn();
      await page.getByRole('heading', { name: 'Welcome, cyd' }).waitFor();
      await page.getByRole('button', { name: 'cyd', exact: true }).click();
      await page.getByRole('menuitem', { name: 'Enroll in multifactor authentication', exact: true }).click();
      await page.getByRole('radio', { name: 'Passkey', exact: true }).check();
      await page.getByRole('button', { name: 'Next', exact: true }).click();
      await page.getByLabel('Name', { exact: true }).fill('laptop');
      await assertAccessible(page, 'the passkey step');
      await screenshot(page, 'enroll-passkey');
      await page.getByRole('button', { name: 'Create passkey', exact: true }).click();

      await page.getByRole('list', { name: 'Recovery codes', exact: true }).waitFor();
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      assert.equal(credentials.length, 1, 'the authenticator holds the new passkey');
      await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download', exact: true }).click(),
      ]);
      await page.getByRole('button', { name: 'Finish', exact: true }).click();
      await page.getByText('Your account uses multifactor authentication.').waitFor();

      await page.getByRole('button', { name: 'cyd', exact: true }).click();
      await page.getByRole('menuitem', { name: 'Sign out', exact: true }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();

      await signIn();
      await page.getByRole('heading', { name: 'Verify it is you' }).waitFor();
      // Only a passkey: no code field to type into, the recovery code still offered.
      assert.equal(await page.getByLabel('Code', { exact: true }).count(), 0);
      await page.getByRole('button', { name: 'Use a recovery code', exact: true }).waitFor();
      await page.getByRole('button', { name: 'Use a passkey', exact: true }).click();
      await page.getByRole('heading', { name: 'Welcome, cyd' }).waitFor();
      const after = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      assert.ok(after.credentials[0].signCount > credentials[0].signCount, 'the passkey signed the sign-in');

      // Passwordless: no username, no password; the browser offers the site's passkey and the session is the cookie.
      await page.getByRole('button', { name: 'cyd', exact: true }).click();
      await page.getByRole('menuitem', { name: 'Sign out', exact: true }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.getByRole('button', { name: 'Sign in with a passkey', exact: true }).click();
      await page.getByRole('heading', { name: 'Welcome, cyd' }).waitFor();
      const last = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      assert.ok(last.credentials[0].signCount > after.credentials[0].signCount, 'the passkey signed in alone');
      const cookies = await context.cookies(origin);
      assert.deepEqual(
        cookies.map((cookie) => [cookie.name, cookie.httpOnly, cookie.sameSite]),
        [['mfa_session', true, 'Strict']],
      );
      assert.deepEqual(csp, []);
    } finally {
      await context.close();
    }
  });
});
